package dev.aigw.plugins.prometheus;

import dev.aigw.gateway.conf.ConfigException;
import dev.aigw.gateway.conf.GatewayConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code plugin_attr.prometheus}, read once at start (APISIX reads it at init too; a change needs a
 * restart).
 *
 * @param exportUri          path of the metrics on the export server
 * @param exportIp           export server address
 * @param exportPort         export server port
 * @param exportServer       false: no export server; the metrics are answered on the data plane at
 *                           {@code exportUri} by any route where the plugin runs
 * @param defaultBuckets     {@code http_latency} buckets (ms)
 * @param llmLatencyBuckets  {@code llm_latency} buckets (ms)
 * @param promptBuckets      {@code llm_prompt_tokens_dist} buckets
 * @param completionBuckets  {@code llm_completion_tokens_dist} buckets
 * @param metrics            per metric: {@code expire} seconds and {@code extra_labels}
 * @param legacyLabels       true for the label set of APISIX 3.14–3.16 ({@code label_set: "3.16"})
 */
record PrometheusAttr(String exportUri, String exportIp, int exportPort, boolean exportServer,
                      double[] defaultBuckets, double[] llmLatencyBuckets, double[] promptBuckets,
                      double[] completionBuckets, Map<String, MetricAttr> metrics, boolean legacyLabels) {

    private static final java.util.regex.Pattern LABEL_NAME = java.util.regex.Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

    /** APISIX's default latency buckets, 1 ms to 60 s. */
    static final double[] DEFAULT_BUCKETS = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 30000, 60000};
    /** APISIX's default token buckets. */
    static final double[] DEFAULT_TOKEN_BUCKETS = {1, 10, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000,
            100000, 200000, 500000, 1000000};

    /**
     * One entry of {@code plugin_attr.prometheus.metrics}.
     *
     * @param expire      seconds without update after which a label set is removed; 0 = never
     * @param labelNames  the extra label names, in order
     * @param labelVars   the variable each extra label reads ({@code $remote_addr} → {@code remote_addr})
     */
    record MetricAttr(long expire, List<String> labelNames, List<String> labelVars) {
        static final MetricAttr NONE = new MetricAttr(0, List.of(), List.of());
    }

    MetricAttr metric(String name) {
        return metrics.getOrDefault(name, MetricAttr.NONE);
    }

    /**
     * Parses the attributes ({@code plugin_attr.prometheus}, see {@code PluginEnv.pluginAttr}); a
     * malformed value fails the start with a message naming the key.
     */
    static PrometheusAttr parse(JsonObject a) {
        String uri = a.getString("export_uri", "/apisix/prometheus/metrics");
        if (!uri.startsWith("/")) {
            throw new ConfigException("invalid configuration: plugin_attr.prometheus.export_uri must start with /: " + uri);
        }
        JsonObject addr = a.getJsonObject("export_addr", new JsonObject());
        Object port = addr.getValue("port", 9091);
        // a YAML integer arrives as a Long
        if (!(port instanceof Integer || port instanceof Long) || ((Number) port).longValue() < 0
                || ((Number) port).longValue() > 65535) {
            throw new ConfigException("invalid configuration: plugin_attr.prometheus.export_addr.port must be a port number (0-65535): "
                    + port);
        }
        Map<String, MetricAttr> metrics = new java.util.HashMap<>();
        JsonObject m = a.getJsonObject("metrics", new JsonObject());
        for (String name : m.fieldNames()) {
            JsonObject one = m.getJsonObject(name, new JsonObject());
            List<String> names = new ArrayList<>();
            List<String> vars = new ArrayList<>();
            JsonArray extra = one.getJsonArray("extra_labels", new JsonArray());
            for (int i = 0; i < extra.size(); i++) {
                JsonObject kv = extra.getJsonObject(i);
                for (String label : kv.fieldNames()) {
                    String v = kv.getString(label);
                    if (v == null || !v.startsWith("$") || v.length() < 2) {
                        throw new ConfigException("invalid configuration: plugin_attr.prometheus.metrics." + name
                                + ".extra_labels: value of " + label + " must be a $variable");
                    }
                    if (!LABEL_NAME.matcher(label).matches() || label.startsWith("__") || label.equals("le")
                            || names.contains(label)) {
                        throw new ConfigException("invalid configuration: plugin_attr.prometheus.metrics." + name
                                + ".extra_labels: invalid or repeated label name " + label);
                    }
                    names.add(label);
                    vars.add(v.substring(1));
                }
            }
            long expire = GatewayConfig.pluginAttrInteger(one, "prometheus.metrics." + name, "expire", 0, 0);
            metrics.put(name, new MetricAttr(expire, List.copyOf(names), List.copyOf(vars)));
        }
        String labelSet = String.valueOf(a.getValue("label_set", "3.18"));
        if (!labelSet.equals("3.18") && !labelSet.equals("3.16")) {
            throw new ConfigException("invalid configuration: plugin_attr.prometheus.label_set must be \"3.18\" or \"3.16\": " + labelSet);
        }
        return new PrometheusAttr(uri, addr.getString("ip", "127.0.0.1"), ((Number) port).intValue(),
                a.getBoolean("enable_export_server", true),
                buckets(a, "default_buckets", DEFAULT_BUCKETS), buckets(a, "llm_latency_buckets", DEFAULT_BUCKETS),
                buckets(a, "llm_prompt_tokens_buckets", DEFAULT_TOKEN_BUCKETS),
                buckets(a, "llm_completion_tokens_buckets", DEFAULT_TOKEN_BUCKETS), Map.copyOf(metrics),
                labelSet.equals("3.16"));
    }

    private static double[] buckets(JsonObject a, String key, double[] def) {
        JsonArray arr = a.getJsonArray(key);
        if (arr == null) {
            return def;
        }
        if (arr.isEmpty()) {
            throw new ConfigException("invalid configuration: plugin_attr.prometheus." + key + " must not be empty");
        }
        double[] out = new double[arr.size()];
        for (int i = 0; i < out.length; i++) {
            Object v = arr.getValue(i);
            if (!(v instanceof Number n)) {
                throw new ConfigException("invalid configuration: plugin_attr.prometheus." + key + " must hold numbers");
            }
            out[i] = n.doubleValue();
        }
        return out;
    }
}
