package dev.aigw.plugins.cors;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.gateway.plugin.PluginConfigException;
import dev.aigw.gateway.plugin.PluginEnv;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * APISIX's {@code cors} (priority 4000): answers a preflight ({@code OPTIONS}) with 200 in the rewrite
 * phase, and in the header filter of every answer sets {@code Access-Control-Allow-Origin} (and the
 * methods, headers, max-age, expose and credentials headers) when the request's {@code Origin} is
 * allowed — by {@code allow_origins} ({@code *}, {@code **}, {@code null} or a comma-separated list),
 * {@code allow_origins_by_regex}, or {@code allow_origins_by_metadata} (named lists in the plugin's
 * metadata) — plus {@code Timing-Allow-Origin} from {@code timing_allow_origins[_by_regex]}.
 */
public final class CorsPlugin implements Plugin<CorsPlugin.Config> {

    /** Parsed configuration; origin lists split and regexes compiled once. */
    public record Config(Origins allow, Pattern allowRegex, List<String> byMetadata, String methods, String headers,
                         String expose, int maxAge, boolean credential, Origins timing, Pattern timingRegex) {
    }

    /** An {@code allow_origins}-style value: {@code *}, {@code **}, or one or several exact origins. */
    record Origins(String raw, Set<String> list) {
        static Origins of(String raw) {
            if (raw == null) {
                return null;
            }
            return new Origins(raw, raw.contains(",") ? Set.of(raw.split(",")) : null);
        }

        /** APISIX's process_with_allow_origins: the value to send, or null when the origin is not listed. */
        String resolve(String origin) {
            String allow = raw;
            if ("**".equals(allow)) {
                allow = origin == null ? "*" : origin;
            }
            if (list != null) {
                return origin != null && list.contains(origin) ? origin : null;
            }
            return allow;
        }
    }

    private static final String ORIGINS = "^(\\\\*|\\\\*\\\\*|null|\\\\w+://[^,]+(,\\\\w+://[^,]+)*)$";
    private static final String REGEXES = """
            {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 4096}, "minItems": 1, "uniqueItems": true}""";

    private static final String SCHEMA = """
            {
              "type": "object",
              "properties": {
                "allow_origins": {"type": "string", "pattern": "%1$s", "default": "*"},
                "allow_methods": {"type": "string", "default": "*"},
                "allow_headers": {"type": "string", "default": "*"},
                "expose_headers": {"type": "string"},
                "max_age": {"type": "integer", "default": 5},
                "allow_credential": {"type": "boolean", "default": false},
                "allow_origins_by_regex": %2$s,
                "allow_origins_by_metadata": %2$s,
                "timing_allow_origins": {"type": "string", "pattern": "%1$s"},
                "timing_allow_origins_by_regex": %2$s
              }
            }
            """.formatted(ORIGINS, REGEXES);

    private static final String METADATA_SCHEMA = """
            {"type": "object", "properties": {"allow_origins": {"type": "object",
              "additionalProperties": {"type": "string", "pattern": "%s"}}}}""".formatted(ORIGINS);

    private static final String ALL_METHODS = "GET,POST,PUT,DELETE,PATCH,HEAD,OPTIONS,CONNECT,TRACE";
    private static final Object ORIGIN_KEY = new Object();

    private volatile PluginEnv env;

    @Override
    public String name() {
        return "cors";
    }

    @Override
    public int priority() {
        return 4000;
    }

    @Override
    public String schema() {
        return SCHEMA;
    }

    @Override
    public String metadataSchema() {
        return METADATA_SCHEMA;
    }

    @Override
    public void init(PluginEnv env) {
        this.env = env;
    }

    @Override
    public Config parseConfig(JsonObject conf) throws PluginConfigException {
        String origins = conf.getString("allow_origins", "*");
        String methods = conf.getString("allow_methods", "*");
        String headers = conf.getString("allow_headers", "*");
        String expose = conf.getString("expose_headers");
        String timing = conf.getString("timing_allow_origins");
        boolean credential = conf.getBoolean("allow_credential", false);
        if (credential && ("*".equals(origins) || "*".equals(methods) || "*".equals(headers) || "*".equals(expose)
                || "*".equals(timing))) {
            throw new PluginConfigException("you can not set '*' for other option when 'allow_credential' is true");
        }
        List<String> byMetadata = new ArrayList<>();
        JsonArray meta = conf.getJsonArray("allow_origins_by_metadata");
        if (meta != null) {
            meta.forEach(v -> byMetadata.add((String) v));
        }
        return new Config(Origins.of(origins), regex(conf.getJsonArray("allow_origins_by_regex")),
                meta == null ? null : List.copyOf(byMetadata), methods, headers, expose,
                conf.getInteger("max_age", 5), credential, Origins.of(timing),
                regex(conf.getJsonArray("timing_allow_origins_by_regex")));
    }

    /** APISIX joins the rules with {@code |} and searches the origin for the alternation. */
    private static Pattern regex(JsonArray rules) throws PluginConfigException {
        if (rules == null) {
            return null;
        }
        List<String> parts = new ArrayList<>();
        for (Object r : rules) {
            try {
                Pattern.compile((String) r);
            } catch (PatternSyntaxException e) {
                throw new PluginConfigException(e.getDescription() + " in " + r);
            }
            parts.add((String) r);
        }
        return Pattern.compile(String.join("|", parts));
    }

    @Override
    public Future<Void> rewrite(Config conf, RequestContext ctx) {
        String origin = ctx.request().getHeader("Origin");
        if (origin != null) {
            ctx.put(ORIGIN_KEY, origin);
        }
        if (ctx.request().method() == HttpMethod.OPTIONS) {
            ctx.exit(200, (String) null);
        }
        return Future.succeededFuture();
    }

    @Override
    public void headerFilter(Config conf, RequestContext ctx) {
        String origin = ctx.get(ORIGIN_KEY);
        MultiMap out = ctx.response().headers();
        String allow = null;
        boolean local = true;
        if (conf.byMetadata() != null) {
            allow = fromMetadata(conf, origin);
            local = !matches(origin, allow) && !"*".equals(conf.allow().raw());
        }
        if (local) {
            allow = conf.allowRegex() == null ? conf.allow().resolve(origin) : byRegex(conf.allowRegex(), origin);
        }
        if (!matches(origin, allow) && conf.byMetadata() != null) {
            allow = fromMetadata(conf, origin);
        }
        if (!"*".equals(conf.allow().raw())) {
            out.add("Vary", "Origin");
        }
        if (allow != null) {
            out.set("Access-Control-Allow-Origin", allow);
            out.set("Access-Control-Allow-Methods", "**".equals(conf.methods()) ? ALL_METHODS : conf.methods());
            out.set("Access-Control-Max-Age", Integer.toString(conf.maxAge()));
            if (conf.expose() != null && !conf.expose().isEmpty()) {
                out.set("Access-Control-Expose-Headers", conf.expose());
            }
            if ("**".equals(conf.headers())) {
                String requested = ctx.request().getHeader("Access-Control-Request-Headers");
                if (requested != null) {
                    out.set("Access-Control-Allow-Headers", requested);
                }
            } else {
                out.set("Access-Control-Allow-Headers", conf.headers());
            }
            if (conf.credential()) {
                out.set("Access-Control-Allow-Credentials", "true");
            }
        }
        String timing = null;
        if (conf.timingRegex() != null) {
            timing = byRegex(conf.timingRegex(), origin);
        } else if (conf.timing() != null) {
            timing = conf.timing().resolve(origin);
        }
        if (timing != null && matches(origin, timing)) {
            out.set("Timing-Allow-Origin", timing);
        }
    }

    private static boolean matches(String origin, String allow) {
        return "*".equals(allow) || (allow != null && allow.equals(origin));
    }

    private static String byRegex(Pattern p, String origin) {
        return origin != null && p.matcher(origin).find() ? origin : null;
    }

    private String fromMetadata(Config conf, String origin) {
        PluginEnv e = env;
        JsonObject meta = e == null ? null : e.pluginMetadata(name());
        JsonObject lists = meta == null ? null : meta.getJsonObject("allow_origins");
        if (lists == null) {
            return null;
        }
        for (String key : conf.byMetadata()) {
            Origins o = Origins.of(lists.getString(key));
            String allow = o == null ? null : o.resolve(origin);
            if (matches(origin, allow)) {
                return origin;
            }
        }
        return null;
    }
}
