/** APISIX's {@code request-id} plugin: a request id in a header of your choice, upstream and back. */
package dev.aigw.plugins.requestid;
