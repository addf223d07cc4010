/** Small network helpers: literal IP addresses and CIDR blocks. */
package dev.aigw.gateway.net;
