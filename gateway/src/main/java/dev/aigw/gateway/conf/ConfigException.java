package dev.aigw.gateway.conf;

/**
 * The configuration cannot be used. The message is meant for the operator as is: one sentence that
 * names the file or the key at fault, e.g.
 * {@code invalid configuration: deployment.etcd.host must be a list of URLs}.
 */
public final class ConfigException extends RuntimeException {

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
