package dev.aigw.gateway.log;

import dev.aigw.gateway.context.RequestContext;

/**
 * Receives every finished request (response complete, or client gone with status 499), after the
 * plugins' log phase. The access log is one. Must only enqueue: it runs on the event loop.
 */
public interface RequestLogSink {

    void log(RequestContext ctx);
}
