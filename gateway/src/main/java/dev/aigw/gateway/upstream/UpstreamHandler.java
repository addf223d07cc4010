package dev.aigw.gateway.upstream;

import dev.aigw.gateway.context.RequestContext;

/**
 * Sends a request to where it is going and writes the answer back to the client. The default one
 * is the route's HTTP upstream; a plugin such as ai-proxy installs its own in
 * {@link dev.aigw.gateway.plugin.Plugin#beforeProxy}.
 *
 * <p>An implementation writes the response through {@link RequestContext#sendHead},
 * {@link RequestContext#write} and {@link RequestContext#end} (so header and body filters run), fills
 * the upstream variables ({@code upstream_addr}, {@code upstream_status}, …) and must always end the
 * response: with the upstream's answer, or with a JSON error (502 on connection failure, 504 on
 * timeout). It runs on the request's event loop and never blocks.
 */
public interface UpstreamHandler {

    void proxy(RequestContext ctx);
}
