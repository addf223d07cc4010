/** Logs: the access log, and the batch processor shared by logger plugins. */
package dev.aigw.gateway.log;
