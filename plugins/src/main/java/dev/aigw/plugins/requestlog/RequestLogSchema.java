package dev.aigw.plugins.requestlog;

import dev.aigw.gateway.log.BatchProcessorConfig;
import io.vertx.core.json.JsonObject;

/** ai-request-log's schema and metadata schema (the price table). */
final class RequestLogSchema {

    private RequestLogSchema() {
    }

    private static final String SCHEMA = """
            {
              "type": "object",
              "properties": {
                "custom_cost_header": {"type": "string", "minLength": 1, "pattern": "^[A-Za-z0-9_-]+$"},
                "log_all_requests": {"type": "boolean", "default": false},
                "max_payload_bytes": {"type": "integer", "minimum": 1, "default": 65536}
              }
            }
            """;

    private static final String PRICE = """
            {
              "type": "object",
              "properties": {
                "input": {"type": "number", "minimum": 0},
                "output": {"type": "number", "minimum": 0},
                "cached_input": {"type": "number", "minimum": 0}
              },
              "required": ["input"],
              "additionalProperties": false
            }
            """;

    static String schema(String batchName) {
        return BatchProcessorConfig.wrapSchema(new JsonObject(SCHEMA), batchName).encode();
    }

    static String metadataSchema() {
        JsonObject s = new JsonObject()
                .put("type", "object")
                .put("properties", new JsonObject()
                        .put("prices", new JsonObject().put("type", "object")
                                .put("additionalProperties", new JsonObject(PRICE)))
                        .put("replace_default_prices", new JsonObject().put("type", "boolean").put("default", false)));
        return BatchProcessorConfig.wrapMetadataSchema(s).encode();
    }
}
