package dev.aigw.gateway.store;

import java.util.Map;

/** Every entry under the prefix at one store revision, keyed by full key. */
public record StoreSnapshot(long revision, Map<String, KeyValue> entries) {
}
