/** APISIX's {@code file-logger} plugin: one JSON line per request appended to a file, off the event loop. */
package dev.aigw.plugins.filelogger;
