package dev.aigw.admin;

import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.gateway.plugin.PluginConfigException;
import io.vertx.core.json.JsonObject;

/** Small plugins for Admin API tests. */
final class TestPlugins {

    private TestPlugins() {
    }

    record LimitConf(int limit) {
    }

    /** Requires {@code limit}; refuses 13 in parseConfig (a semantic check beyond the schema). */
    static final class LimitPlugin implements Plugin<LimitConf> {
        static final String SCHEMA = "{\"type\":\"object\",\"properties\":{\"limit\":{\"type\":\"integer\",\"minimum\":1}},"
                + "\"required\":[\"limit\"]}";

        @Override
        public String name() {
            return "test-limit";
        }

        @Override
        public int priority() {
            return 1000;
        }

        @Override
        public String schema() {
            return SCHEMA;
        }

        @Override
        public String metadataSchema() {
            return "{\"type\":\"object\",\"properties\":{\"ikey\":{\"type\":\"number\",\"minimum\":0}},"
                    + "\"required\":[\"ikey\"]}";
        }

        @Override
        public LimitConf parseConfig(JsonObject conf) throws PluginConfigException {
            int limit = conf.getInteger("limit");
            if (limit == 13) {
                throw new PluginConfigException("limit 13 is unlucky");
            }
            return new LimitConf(limit);
        }
    }

    /** Accepts any object, lower priority, no metadata schema. */
    static final class EchoPlugin implements Plugin<JsonObject> {
        @Override
        public String name() {
            return "test-echo";
        }

        @Override
        public int priority() {
            return 10;
        }

        @Override
        public String schema() {
            return "{\"type\":\"object\"}";
        }

        @Override
        public JsonObject parseConfig(JsonObject conf) {
            return conf;
        }
    }

    /** A plugin with its own Admin API path ({@code /apisix/admin/test-api/...}); one also claims "routes". */
    static final class ApiPlugin implements Plugin<JsonObject>, dev.aigw.gateway.plugin.PluginAdminApi {
        private final String resource;

        ApiPlugin(String resource) {
            this.resource = resource;
        }

        @Override
        public String name() {
            return "test-api-" + resource;
        }

        @Override
        public int priority() {
            return 5;
        }

        @Override
        public String schema() {
            return "{\"type\":\"object\"}";
        }

        @Override
        public JsonObject parseConfig(JsonObject conf) {
            return conf;
        }

        @Override
        public String adminResource() {
            return resource;
        }

        @Override
        public io.vertx.core.Future<Reply> adminRequest(String method, String subPath, java.util.Map<String, String> args) {
            return io.vertx.core.Future.succeededFuture(new Reply(200, new JsonObject().put("method", method)
                    .put("sub_path", subPath).put("q", args.get("q"))));
        }
    }
}
