package dev.aigw.plugins.prometheus;

import dev.aigw.gateway.conf.ConfigException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@code plugin_attr.prometheus}: defaults, and a wrong type refused with the key named (not a ClassCastException). */
class PrometheusAttrTest {

    private static String error(JsonObject attr) {
        return assertThrows(ConfigException.class, () -> PrometheusAttr.parse(attr)).getMessage();
    }

    @Test
    void defaultsAndValues() {
        PrometheusAttr d = PrometheusAttr.parse(new JsonObject());
        assertEquals("/apisix/prometheus/metrics", d.exportUri());
        assertEquals(9091, d.exportPort());
        assertEquals(0, d.metric("http_status").expire());
        PrometheusAttr a = PrometheusAttr.parse(new JsonObject()
                .put("export_addr", new JsonObject().put("port", 9200L)) // YAML integers arrive as Long
                .put("metrics", new JsonObject().put("http_status", new JsonObject().put("expire", 300))));
        assertEquals(9200, a.exportPort());
        assertEquals(300, a.metric("http_status").expire());
    }

    @Test
    void wrongTypesNameTheKey() {
        assertEquals("invalid configuration: plugin_attr.prometheus.export_addr.port must be a port number (0-65535): x",
                error(new JsonObject().put("export_addr", new JsonObject().put("port", "x"))));
        assertEquals("invalid configuration: plugin_attr.prometheus.export_addr.port must be a port number (0-65535): 70000",
                error(new JsonObject().put("export_addr", new JsonObject().put("port", 70000))));
        assertEquals("invalid configuration: plugin_attr.prometheus.metrics.http_status.expire must be an integer >= 0: 5m",
                error(new JsonObject().put("metrics", new JsonObject().put("http_status", new JsonObject().put("expire", "5m")))));
    }
}
