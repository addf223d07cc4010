/** Routes: the immutable route table, how it is built from stored JSON and swapped on change. */
package dev.aigw.gateway.route;
