package dev.aigw.plugins.kafkalogger;

import dev.aigw.gateway.log.BatchProcessorConfig;
import io.vertx.core.json.JsonObject;

/** APISIX's kafka-logger schema and metadata schema, with the batch-processor properties merged in. */
final class KafkaLoggerSchema {

    private KafkaLoggerSchema() {
    }

    private static final String SCHEMA = """
            {
              "type": "object",
              "properties": {
                "meta_format": {"type": "string", "default": "default", "enum": ["default", "origin"]},
                "log_format": {"type": "object"},
                "log_format_extra": {"type": "object"},
                "broker_list": {
                  "type": "object",
                  "minProperties": 1,
                  "patternProperties": {
                    ".*": {"type": "integer", "minimum": 1, "maximum": 65535}
                  }
                },
                "brokers": {
                  "type": "array",
                  "minItems": 1,
                  "uniqueItems": true,
                  "items": {
                    "type": "object",
                    "properties": {
                      "host": {"type": "string"},
                      "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                      "sasl_config": {
                        "type": "object",
                        "properties": {
                          "mechanism": {"type": "string", "default": "PLAIN",
                                        "enum": ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]},
                          "user": {"type": "string"},
                          "password": {"type": "string"}
                        },
                        "required": ["user", "password"]
                      }
                    },
                    "required": ["host", "port"]
                  }
                },
                "tls": {
                  "type": "object",
                  "properties": {"verify": {"type": "boolean", "default": false}}
                },
                "kafka_topic": {"type": "string"},
                "producer_type": {"type": "string", "default": "async", "enum": ["async", "sync"]},
                "required_acks": {"type": "integer", "default": 1, "enum": [1, -1]},
                "key": {"type": "string"},
                "timeout": {"type": "integer", "minimum": 1, "default": 3},
                "include_req_body": {"type": "boolean", "default": false},
                "include_req_body_expr": {"type": "array", "minItems": 1, "items": {"type": "array"}},
                "include_resp_body": {"type": "boolean", "default": false},
                "include_resp_body_expr": {"type": "array", "minItems": 1, "items": {"type": "array"}},
                "max_req_body_bytes": {"type": "integer", "minimum": 1, "default": 524288},
                "max_resp_body_bytes": {"type": "integer", "minimum": 1, "default": 524288},
                "cluster_name": {"type": "integer", "minimum": 1, "default": 1},
                "producer_batch_num": {"type": "integer", "minimum": 1, "default": 200},
                "producer_batch_size": {"type": "integer", "minimum": 0, "default": 1048576},
                "producer_max_buffering": {"type": "integer", "minimum": 1, "default": 50000},
                "producer_time_linger": {"type": "integer", "minimum": 1, "default": 1},
                "meta_refresh_interval": {"type": "integer", "minimum": 1, "default": 30},
                "api_version": {"type": "integer", "default": 1, "enum": [0, 1, 2]}
              },
              "oneOf": [
                {"required": ["broker_list", "kafka_topic"]},
                {"required": ["brokers", "kafka_topic"]}
              ]
            }
            """;

    private static final String METADATA_SCHEMA = """
            {
              "type": "object",
              "properties": {
                "log_format": {"type": "object"},
                "log_format_extra": {"type": "object"}
              }
            }
            """;

    static String schema(String batchName) {
        return BatchProcessorConfig.wrapSchema(new JsonObject(SCHEMA), batchName).encode();
    }

    static String metadataSchema() {
        return BatchProcessorConfig.wrapMetadataSchema(new JsonObject(METADATA_SCHEMA)).encode();
    }
}
