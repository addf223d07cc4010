package dev.aigw.gateway.spi;

import io.vertx.core.Future;

/**
 * A part of the gateway that lives outside the core module and starts with it, found with
 * {@link java.util.ServiceLoader}: the Admin API is one. The core never imports an extension; it
 * hands each one the {@link GatewayServices} it may use.
 */
public interface GatewayExtension {

    /** A short name for logs. */
    String name();

    /** Starts the extension; the gateway fails to start if the future fails. */
    Future<Void> start(GatewayServices services);

    /** Stops it (at shutdown, before the store closes). */
    Future<Void> stop();
}
