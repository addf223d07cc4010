/**
 * APISIX's {@code http-logger} plugin (log entries batched and POSTed to an HTTP sink), and
 * {@link dev.aigw.plugins.httplogger.LoggerEntries}, the entry building it shares with {@code file-logger}.
 */
package dev.aigw.plugins.httplogger;
