package dev.aigw.gateway.store;

/** One stored entry: its full key, its JSON text, and the store revisions that created and last changed it. */
public record KeyValue(String key, String value, long createRevision, long modRevision) {
}
