package dev.aigw.gateway.conf;

/** An address to listen on; {@code ip} is {@code 0.0.0.0} when the configuration names only a port. */
public record Listen(String ip, int port) {
}
