package dev.aigw.plugins.aiprompt;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A template compiled once into literal text and <code>{{ path }}</code> slots. The template is JSON
 * text whose slots sit inside JSON strings, so a value is written JSON-string-escaped (without the
 * quotes): the result stays valid JSON whatever the value holds. A path may be dotted
 * ({@code {{ user.name }}}); a missing value renders as nothing, as lua-resty-template renders nil.
 */
final class PromptTemplate {

    private static final Pattern SLOT = Pattern.compile("\\{\\{\\s*([A-Za-z_][A-Za-z0-9_]*(?:\\.[A-Za-z0-9_]+)*)\\s*}}");

    private final List<String> literals;
    private final List<String[]> paths;

    private PromptTemplate(List<String> literals, List<String[]> paths) {
        this.literals = literals;
        this.paths = paths;
    }

    static PromptTemplate compile(String text) {
        List<String> literals = new ArrayList<>();
        List<String[]> paths = new ArrayList<>();
        Matcher m = SLOT.matcher(text);
        int at = 0;
        while (m.find()) {
            literals.add(text.substring(at, m.start()));
            paths.add(m.group(1).split("\\."));
            at = m.end();
        }
        literals.add(text.substring(at));
        return new PromptTemplate(List.copyOf(literals), List.copyOf(paths));
    }

    String render(JsonObject fields) {
        StringBuilder sb = new StringBuilder(literals.get(0).length() * 2);
        for (int i = 0; i < paths.size(); i++) {
            sb.append(literals.get(i));
            Object v = lookup(fields, paths.get(i));
            if (v != null) {
                String json = v instanceof String s ? io.vertx.core.json.Json.encode(s)
                        : v instanceof JsonObject || v instanceof JsonArray ? io.vertx.core.json.Json.encode(io.vertx.core.json.Json.encode(v))
                        : io.vertx.core.json.Json.encode(String.valueOf(v));
                sb.append(json, 1, json.length() - 1); // the escaped text without its quotes
            }
        }
        sb.append(literals.get(literals.size() - 1));
        return sb.toString();
    }

    private static Object lookup(JsonObject root, String[] path) {
        Object cur = root;
        for (String key : path) {
            if (!(cur instanceof JsonObject o)) {
                return null;
            }
            cur = o.getValue(key);
        }
        return cur;
    }
}
