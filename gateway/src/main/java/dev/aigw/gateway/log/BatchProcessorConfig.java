package dev.aigw.gateway.log;

import io.vertx.core.json.JsonObject;

/**
 * The batch processor settings that every APISIX logger accepts next to its own configuration
 * ({@code name}, {@code batch_max_size}, {@code inactive_timeout}, {@code buffer_duration},
 * {@code max_retry_count}, {@code retry_delay}), with APISIX's defaults. Durations are kept in
 * milliseconds; the JSON form is in whole seconds, as in APISIX.
 *
 * @param name              label of the processor in logs
 * @param batchMaxSize      a batch is sent as soon as it holds this many entries
 * @param inactiveTimeoutMs a batch is sent when no entry arrived for this long
 * @param bufferDurationMs  a batch is sent at the latest this long after its oldest entry
 * @param maxRetryCount     how many times a failed batch is retried before it is dropped
 * @param retryDelayMs      wait between two attempts
 */
public record BatchProcessorConfig(String name, int batchMaxSize, long inactiveTimeoutMs, long bufferDurationMs,
                                   int maxRetryCount, long retryDelayMs) {

    public static final int DEFAULT_BATCH_MAX_SIZE = 1000;
    public static final int DEFAULT_INACTIVE_TIMEOUT = 5;
    public static final int DEFAULT_BUFFER_DURATION = 60;
    public static final int DEFAULT_MAX_RETRY_COUNT = 0;
    public static final int DEFAULT_RETRY_DELAY = 1;

    public BatchProcessorConfig {
        if (batchMaxSize < 1 || inactiveTimeoutMs < 1 || bufferDurationMs < 1 || maxRetryCount < 0 || retryDelayMs < 0) {
            throw new IllegalArgumentException("invalid batch processor settings");
        }
    }

    /**
     * APISIX's batch-processor schema properties, to be merged into a logger's schema with
     * {@link #wrapSchema}.
     */
    public static JsonObject schemaProperties(String defaultName) {
        return new JsonObject()
                .put("name", new JsonObject().put("type", "string").put("default", defaultName))
                .put("max_retry_count", integer(0, DEFAULT_MAX_RETRY_COUNT))
                .put("retry_delay", integer(0, DEFAULT_RETRY_DELAY))
                .put("buffer_duration", integer(1, DEFAULT_BUFFER_DURATION))
                .put("inactive_timeout", integer(1, DEFAULT_INACTIVE_TIMEOUT))
                .put("batch_max_size", integer(1, DEFAULT_BATCH_MAX_SIZE));
    }

    private static JsonObject integer(int minimum, int dflt) {
        return new JsonObject().put("type", "integer").put("minimum", minimum).put("default", dflt);
    }

    /**
     * Adds the batch-processor properties to a logger's schema (APISIX's {@code wrap_schema}); a
     * property the logger declares itself is left alone. Returns the same (mutated) object.
     */
    public static JsonObject wrapSchema(JsonObject schema, String defaultName) {
        JsonObject props = schema.getJsonObject("properties");
        if (props == null) {
            props = new JsonObject();
            schema.put("properties", props);
        }
        for (var e : schemaProperties(defaultName)) {
            if (!props.containsKey(e.getKey())) {
                props.put(e.getKey(), e.getValue());
            }
        }
        return schema;
    }

    /**
     * Adds {@code max_pending_entries} to a logger's metadata schema (APISIX's
     * {@code wrap_metadata_schema}).
     */
    public static JsonObject wrapMetadataSchema(JsonObject schema) {
        JsonObject props = schema.getJsonObject("properties");
        if (props == null) {
            props = new JsonObject();
            schema.put("properties", props);
        }
        props.put("max_pending_entries", integer(1, BatchProcessorBacklog.DEFAULT_MAX_PENDING_ENTRIES));
        return schema;
    }

    /** Reads the settings from a logger's (already validated) configuration, with APISIX's defaults. */
    public static BatchProcessorConfig from(JsonObject conf, String defaultName) {
        return new BatchProcessorConfig(
                conf.getString("name", defaultName),
                conf.getInteger("batch_max_size", DEFAULT_BATCH_MAX_SIZE),
                conf.getInteger("inactive_timeout", DEFAULT_INACTIVE_TIMEOUT) * 1000L,
                conf.getInteger("buffer_duration", DEFAULT_BUFFER_DURATION) * 1000L,
                conf.getInteger("max_retry_count", DEFAULT_MAX_RETRY_COUNT),
                conf.getInteger("retry_delay", DEFAULT_RETRY_DELAY) * 1000L);
    }
}
