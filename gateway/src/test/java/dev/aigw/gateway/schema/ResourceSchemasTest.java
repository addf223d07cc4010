package dev.aigw.gateway.schema;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Messages as APISIX's Admin API writes them (t/admin/routes*.t, upstream*.t, global-rules.t). */
class ResourceSchemasTest {

    private final ResourceSchemas schemas = ResourceSchemas.load();

    private static JsonObject json(String s) {
        return new JsonObject(s);
    }

    private static final String UP = "\"upstream\":{\"nodes\":{\"127.0.0.1:8080\":1},\"type\":\"roundrobin\"}";

    @Test
    void validRoutesPass() {
        assertNull(schemas.validateRoute(json("{\"uri\":\"/index.html\",\"methods\":[\"GET\"]," + UP + "}")));
        assertNull(schemas.validateRoute(json("{\"uris\":[\"/a\",\"/b\"],\"hosts\":[\"*.foo.com\"],\"plugins\":{}}")));
        assertNull(schemas.validateRoute(json("{\"uri\":\"/a\",\"upstream_id\":\"1\",\"id\":1,\"priority\":3,"
                + "\"vars\":[[\"arg_a\",\"==\",\"b\"]],\"remote_addrs\":[\"127.0.0.1\",\"10.0.0.0/8\",\"::1\"]}")));
        assertNull(schemas.validateRoute(json("{\"uri\":\"/a\",\"upstream\":{\"nodes\":[{\"host\":\"a.com\",\"port\":80,"
                + "\"weight\":1}],\"timeout\":{\"connect\":1,\"send\":2,\"read\":3.5},\"scheme\":\"https\"}}")));
    }

    @Test
    void typeErrorsNameTheProperty() {
        assertEquals("invalid configuration: property \"uri\" validation failed: wrong type: expected string, got number",
                schemas.validateRoute(json("{\"uri\":3," + UP + "}")));
        assertEquals("invalid configuration: property \"plugins\" validation failed: wrong type: expected object, got string",
                schemas.validateRoute(json("{\"uri\":\"/a\",\"plugins\":\"x\"}")));
        assertEquals("invalid configuration: property \"vars\" validation failed: wrong type: expected array, got table",
                schemas.validateRoute(json("{\"uri\":\"/a\",\"vars\":{}," + UP + "}")));
    }

    @Test
    void enumsItemsAndCombinators() {
        assertEquals("invalid configuration: property \"methods\" validation failed: failed to validate item 1: "
                        + "matches none of the enum values",
                schemas.validateRoute(json("{\"uri\":\"/a\",\"methods\":[\"invalid_method\"]," + UP + "}")));
        assertEquals("invalid configuration: property \"id\" validation failed: object matches none of the required",
                schemas.validateRoute(json("{\"uri\":\"/a\",\"id\":-100," + UP + "}")));
        assertEquals("invalid configuration: property \"upstream_id\" validation failed: object matches none of the required",
                schemas.validateRoute(json("{\"uri\":\"/a\",\"upstream_id\":\"invalid$\"}")));
        assertEquals("invalid configuration: allOf 1 failed: value should match only one schema, but matches none",
                schemas.validateRoute(json("{" + UP + "}")));
        assertEquals("invalid configuration: object matches none of the required: [\"plugins\",\"uri\"] or "
                        + "[\"upstream\",\"uri\"] or [\"upstream_id\",\"uri\"] or [\"service_id\",\"uri\"] or "
                        + "[\"plugins\",\"uris\"] or [\"upstream\",\"uris\"] or [\"upstream_id\",\"uris\"] or "
                        + "[\"service_id\",\"uris\"]",
                schemas.validateRoute(json("{\"uri\":\"/a\"}")));
        assertEquals("invalid configuration: additional properties forbidden, found invalid_property",
                schemas.validateRoute(json("{\"uri\":\"/a\",\"invalid_property\":1," + UP + "}")));
        assertEquals("invalid configuration: property \"host\" validation failed: failed to match pattern "
                        + "\"^\\\\*$|^\\\\*?[0-9a-zA-Z-._\\\\[\\\\]:]+$\" with \"$$$\"",
                schemas.validateRoute(json("{\"uri\":\"/a\",\"host\":\"$$$\"," + UP + "}")));
    }

    @Test
    void semanticChecksAroundTheSchema() {
        assertEquals("only one of host or hosts is allowed",
                schemas.validateRoute(json("{\"uri\":\"/a\",\"host\":\"a.com\",\"hosts\":[\"b.com\"]," + UP + "}")));
        assertEquals("only one of remote_addr or remote_addrs is allowed",
                schemas.validateRoute(json("{\"uri\":\"/a\",\"remote_addr\":\"127.0.0.1\","
                        + "\"remote_addrs\":[\"127.0.0.1\"]," + UP + "}")));
        assertEquals("invalid port 70000",
                schemas.validateUpstream(json("{\"nodes\":{\"127.0.0.1:70000\":1}}")));
        assertEquals("missing key", schemas.validateUpstream(json("{\"nodes\":{\"a:80\":1},\"type\":\"chash\"}")));
        assertEquals("invalid configuration: failed to match pattern \"^[a-zA-Z0-9-_]+$\" with \"$#^@\"",
                schemas.validateUpstream(json("{\"nodes\":{\"a:80\":1},\"type\":\"chash\",\"hash_on\":\"header\","
                        + "\"key\":\"$#^@\"}")));
        assertEquals("invalid configuration: IPv6 address must be enclosed with '[' and ']'",
                schemas.validateUpstream(json("{\"nodes\":[{\"host\":\"::1\",\"port\":80,\"weight\":1}]}")));
    }

    @Test
    void upstreamLimitsAndNesting() {
        assertEquals("invalid configuration: property \"retries\" validation failed: expected -1 to be at least 0",
                schemas.validateUpstream(json("{\"nodes\":{\"a:80\":1},\"retries\":-1}")));
        assertEquals("invalid configuration: property \"timeout\" validation failed: property \"connect\" validation "
                        + "failed: expected 0 to be greater than 0",
                schemas.validateUpstream(json("{\"nodes\":{\"a:80\":1},\"timeout\":{\"connect\":0,\"send\":1,\"read\":1}}")));
        assertEquals("invalid configuration: property \"hash_on\" validation failed: matches none of the enum values",
                schemas.validateUpstream(json("{\"nodes\":{\"a:80\":1},\"hash_on\":\"bad\"}")));
        assertEquals("invalid configuration: property \"nodes\" validation failed: object matches none of the required",
                schemas.validateUpstream(json("{\"nodes\":{\"a:80\":-1}}")));
        assertEquals("invalid configuration: value should match only one schema, but matches none",
                schemas.validateUpstream(json("{\"type\":\"roundrobin\"}")));
        assertEquals("invalid configuration: property \"upstream\" validation failed: property \"timeout\" validation "
                        + "failed: property \"read\" is required",
                schemas.validateRoute(json("{\"uri\":\"/a\",\"upstream\":{\"nodes\":{\"a:80\":1},"
                        + "\"timeout\":{\"connect\":1,\"send\":1}}}")));
        assertEquals("invalid configuration: property \"labels\" validation failed: failed to validate env "
                        + "(matching \".*\"): wrong type: expected string, got table",
                schemas.validateUpstream(json("{\"nodes\":{\"a:80\":1},\"labels\":{\"env\":[\"x\"]}}")));
        assertEquals("invalid configuration: property \"desc\" validation failed: string too long, expected at most "
                        + "256, got 257",
                schemas.validateUpstream(json("{\"nodes\":{\"a:80\":1},\"desc\":\"" + "x".repeat(257) + "\"}")));
    }

    @Test
    void globalRules() {
        assertNull(schemas.validateGlobalRule(json("{\"id\":\"1\",\"plugins\":{}}")));
        assertEquals("invalid configuration: property \"plugins\" is required",
                schemas.validateGlobalRule(json("{\"id\":\"1\"}")));
        assertNull(schemas.validatePluginMetadata(json("{\"log_format\":{\"a\":\"$b\"}}")));
    }
}
