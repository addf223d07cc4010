package dev.aigw.gateway.plugin;

/** A plugin configuration that is well-formed JSON but not acceptable; the message names the field. */
public class PluginConfigException extends Exception {
    public PluginConfigException(String message) {
        super(message);
    }
}
