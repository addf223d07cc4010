package dev.aigw.plugins.prometheus;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.metrics.Gauge;
import dev.aigw.gateway.metrics.MetricsRegistry;
import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.gateway.plugin.PluginConfigException;
import dev.aigw.gateway.plugin.PluginEnv;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * APISIX's {@code prometheus} (priority 500). Where it runs (a route, or a global rule for every
 * route; a route's own configuration wins over a global rule's, so nothing is counted twice) it
 * records APISIX 3.18's {@code http_status}, {@code http_latency}, {@code bandwidth} and, for AI
 * requests, {@code llm_latency}, {@code llm_prompt_tokens}, {@code llm_completion_tokens}, their
 * {@code _dist} histograms and {@code llm_active_connections}. It reads only variables
 * ({@code request_type}, {@code llm_model}, {@code llm_prompt_tokens} …, {@code consumer_name}), so
 * it works with any plugin that sets them.
 *
 * <p>At start it opens the export server ({@code plugin_attr.prometheus}); the whole registry is
 * exposed there, the gateway's own gauges and JVM metrics included.
 */
public final class PrometheusPlugin implements Plugin<PrometheusConf> {

    public static final String NAME = "prometheus";
    private static final Logger LOG = LoggerFactory.getLogger(PrometheusPlugin.class);
    private static final Object ACTIVE = new Object();

    private static final String SCHEMA = """
            {"type": "object", "properties": {"prefer_name": {"type": "boolean", "default": false}}}""";

    private PluginEnv env;
    private PrometheusAttr attr;
    private Recorder recorder;
    private ExportServer export;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return 500;
    }

    @Override
    public String schema() {
        return SCHEMA;
    }

    /** APISIX's metadata schema: {@code disabled_labels} per metric, structural labels excluded. */
    @Override
    public String metadataSchema() {
        JsonObject props = new JsonObject();
        Map<String, List<String>> all = new TreeMap<>(Recorder.labelMap(false));
        for (Map.Entry<String, List<String>> e : all.entrySet()) {
            List<String> structural = Recorder.STRUCTURAL.getOrDefault(e.getKey(), List.of());
            JsonArray en = new JsonArray();
            e.getValue().stream().filter(l -> !structural.contains(l)).forEach(en::add);
            props.put(e.getKey(), new JsonObject().put("type", "array")
                    .put("items", new JsonObject().put("type", "string").put("enum", en)));
        }
        return new JsonObject().put("type", "object").put("properties", new JsonObject()
                .put("disabled_labels", new JsonObject().put("type", "object").put("properties", props)
                        .put("additionalProperties", false))).encode();
    }

    @Override
    public void init(PluginEnv env) {
        this.env = env;
        this.attr = PrometheusAttr.parse(env.pluginAttr(NAME));
        MetricsRegistry metrics = env.metrics();
        metrics.registerJvmMetrics();
        this.recorder = new Recorder(metrics, attr, () -> env.pluginMetadata(NAME));
        if (attr.exportServer()) {
            export = new ExportServer(env.vertx(), metrics, attr.exportUri());
            // a busy port costs the metrics, not the traffic: logged loudly, the gateway keeps serving
            export.listen(attr.exportIp(), attr.exportPort())
                    .onSuccess(v -> LOG.info("prometheus: metrics on http://{}:{}{}", attr.exportIp(),
                            attr.exportPort(), attr.exportUri()))
                    .onFailure(e -> LOG.error("prometheus: cannot listen on {}:{} ({}); metrics are not exported",
                            attr.exportIp(), attr.exportPort(), e.getMessage()));
        }
    }

    @Override
    public PrometheusConf parseConfig(JsonObject conf) throws PluginConfigException {
        return new PrometheusConf(conf.getBoolean("prefer_name", false));
    }

    /** With {@code enable_export_server: false}, {@code GET export_uri} is answered on the data plane. */
    @Override
    public Future<Void> rewrite(PrometheusConf conf, RequestContext ctx) {
        if (attr == null || attr.exportServer() || ctx.request().method() != HttpMethod.GET
                || !attr.exportUri().equals(ctx.request().path())) {
            return Future.succeededFuture();
        }
        return ExportServer.render(ctx.vertx(), env.metrics()).map(text -> {
            ctx.response().headers().set("Content-Type", env.metrics().contentType());
            ctx.sendHead(200);
            ctx.end(text);
            ctx.exit(200, (String) null);
            return null;
        });
    }

    /** +1 on {@code llm_active_connections} just before an AI request goes upstream (−1 in log). */
    @Override
    public void beforeProxy(PrometheusConf conf, RequestContext ctx) {
        if (recorder == null) {
            return;
        }
        Gauge.Value series = recorder.activeSeries(ctx, conf.preferName());
        if (series != null) {
            series.add(1);
            ctx.put(ACTIVE, series);
        }
    }

    @Override
    public void log(PrometheusConf conf, RequestContext ctx) {
        if (recorder == null) {
            return;
        }
        Gauge.Value active = ctx.get(ACTIVE);
        if (active != null) {
            ctx.put(ACTIVE, null);
            if (active.live()) {
                active.add(-1);
            } // else the series was cleared with this request's +1 in it: nothing to give back
        }
        recorder.log(ctx, conf.preferName());
    }

    @Override
    public Future<Void> close() {
        return export == null ? Future.succeededFuture() : export.close();
    }
}
