package dev.aigw.plugins.aiproxymulti;

import dev.aigw.gateway.plugin.PluginConfigException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * An instance's {@code models}: which request models it serves and the provider's name for each.
 * A rule is a string or {@code {"name": <pattern>, "model": <provider model>}}; a pattern is exact
 * ({@code gpt-4o}), a prefix ({@code claude-*}) or a regular expression after a tilde
 * ({@code ~^deepseek-(chat|reasoner)$}), whose groups the target may use ({@code $1}). Rules are
 * tried in order and the first match wins (unlike Higress's map, whose order is random). A rule
 * without a target sends the request's model unchanged (or {@code options.model} when set).
 */
final class ModelRoutes {

    private record Rule(String exact, String prefix, Pattern regex, String target) {
    }

    private final List<Rule> rules;

    private ModelRoutes(List<Rule> rules) {
        this.rules = rules;
    }

    /** Parses {@code models}; null when absent (the instance serves every model). */
    static ModelRoutes parse(JsonArray models) throws PluginConfigException {
        if (models == null) {
            return null;
        }
        List<Rule> rules = new ArrayList<>();
        for (int i = 0; i < models.size(); i++) {
            Object o = models.getValue(i);
            String name = o instanceof JsonObject j ? j.getString("name") : (String) o;
            String target = o instanceof JsonObject j ? j.getString("model") : null;
            if (name.startsWith("~")) {
                try {
                    rules.add(new Rule(null, null, Pattern.compile(name.substring(1)), target));
                } catch (PatternSyntaxException e) {
                    throw new PluginConfigException("models[" + (i + 1) + "]: invalid regular expression: "
                            + e.getDescription());
                }
            } else if (name.endsWith("*")) {
                rules.add(new Rule(null, name.substring(0, name.length() - 1), null, target));
            } else {
                rules.add(new Rule(name, null, null, target));
            }
        }
        return new ModelRoutes(List.copyOf(rules));
    }

    /**
     * The model to send for a request model, or null when this instance does not serve it.
     *
     * @param fallback the model to send when the matching rule has no target (options.model, else the request's)
     */
    String resolve(String model, String fallback) {
        if (model == null) {
            return null;
        }
        for (Rule r : rules) {
            if (r.exact() != null) {
                if (r.exact().equals(model)) {
                    return r.target() != null ? r.target() : fallback;
                }
            } else if (r.prefix() != null) {
                if (model.startsWith(r.prefix())) {
                    return r.target() != null ? r.target() : fallback;
                }
            } else {
                Matcher m = r.regex().matcher(model);
                if (m.find()) {
                    if (r.target() == null) {
                        return fallback;
                    }
                    // the whole model with the match replaced, as Higress's ReplaceAllString
                    return r.regex().matcher(model).replaceAll(r.target());
                }
            }
        }
        return null;
    }
}
