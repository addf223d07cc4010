package dev.aigw.gateway.schema;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.NodePath;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.util.ArrayList;
import java.util.List;

/**
 * A JSON Schema (draft 7) compiled once and reused for every validation, with the error messages of
 * APISIX's Lua validator ({@code property "uri" validation failed: wrong type: expected string, got number}).
 *
 * <p>The validator (networknt) reports every problem with its evaluation path; APISIX's validator stops at
 * the first problem and wraps it once per level it passed through ({@code property "x" validation failed: },
 * {@code failed to validate item 1: }, {@code allOf 1 failed: } …). {@link #describe} rebuilds that chain
 * from the evaluation path and picks the problem APISIX would have met first (own keywords before
 * {@code allOf}, {@code anyOf}, {@code oneOf}, {@code not}).
 */
public final class JsonSchema {

    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7);

    /** Deepest document validated; deeper ones get a message, never an exception. */
    public static final int MAX_DEPTH = 1100;

    /**
     * The validator's own parser (Jackson 3): its default nesting limit (500) is below what the Admin API
     * accepts (lua-cjson's 1000), and a {@code StreamConstraintsException} escaping validation left the
     * request unanswered. Numbers keep their precision, as the validator's own reader does.
     */
    private static final JsonMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
                    .build())
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .build();

    private final Schema schema;
    /** The schema source, to look up a combinator's alternatives (anyOf's "requireds" in the message). */
    private final Object source;

    private JsonSchema(Schema schema, Object source) {
        this.schema = schema;
        this.source = source;
    }

    /** Compiles a schema given as JSON text. */
    public static JsonSchema compile(String schemaJson) {
        Object src;
        try {
            src = io.vertx.core.json.Json.decodeValue(schemaJson);
        } catch (RuntimeException e) {
            src = null;
        }
        return new JsonSchema(REGISTRY.getSchema(schemaJson, InputFormat.JSON), src);
    }

    /** Validates a document; returns null when valid, else one message describing the first problem. */
    public String validate(JsonObject doc) {
        return validate(doc.encode());
    }

    /** Validates a document given as JSON text; null when valid, else a message. */
    public String validate(String json) {
        JsonNode node;
        try {
            node = MAPPER.readTree(json);
        } catch (JacksonException e) {
            return "invalid JSON document: " + e.getOriginalMessage();
        }
        List<Error> errors = schema.validate(node);
        if (errors.isEmpty()) {
            return null;
        }
        Error first = errors.get(0);
        List<Integer> firstRank = rank(first);
        for (int i = 1; i < errors.size(); i++) {
            List<Integer> r = rank(errors.get(i));
            if (compare(r, firstRank) < 0) {
                first = errors.get(i);
                firstRank = r;
            }
        }
        return describe(first);
    }

    // ---- which error APISIX would report first ----

    /** Order in which APISIX's generated validator checks the keywords of one schema. */
    private static int keywordRank(String kw) {
        switch (kw) {
            case "type":
                return 0;
            case "properties":
            case "required":
                return 1;
            case "dependencies":
                return 2;
            case "patternProperties":
            case "additionalProperties":
                return 3;
            case "minProperties":
            case "maxProperties":
                return 4;
            case "minItems":
            case "maxItems":
            case "items":
            case "additionalItems":
            case "uniqueItems":
                return 5;
            case "minLength":
            case "maxLength":
            case "pattern":
            case "minimum":
            case "maximum":
            case "exclusiveMinimum":
            case "exclusiveMaximum":
            case "multipleOf":
                return 6;
            case "enum":
                return 7;
            case "allOf":
                return 8;
            case "anyOf":
                return 9;
            case "oneOf":
                return 10;
            case "not":
                return 11;
            default:
                return 12;
        }
    }

    /** The rank of each keyword along the error's evaluation path, outermost first. */
    private static List<Integer> rank(Error e) {
        List<Integer> out = new ArrayList<>();
        List<Object> segs = segments(e.getEvaluationPath());
        int i = 0;
        while (i < segs.size()) {
            String kw = String.valueOf(segs.get(i));
            out.add(keywordRank(kw));
            if (kw.equals("anyOf") || kw.equals("oneOf") || kw.equals("not")) {
                break; // APISIX reports the combinator, never what is inside it
            }
            i += takesArgument(kw, segs, i) ? 2 : 1;
        }
        return out;
    }

    private static int compare(List<Integer> a, List<Integer> b) {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            int c = Integer.compare(a.get(i), b.get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(a.size(), b.size());
    }

    private static boolean takesArgument(String kw, List<Object> segs, int i) {
        switch (kw) {
            case "properties":
            case "patternProperties":
            case "allOf":
            case "dependencies":
            case "definitions":
                return true;
            case "items":
                // tuple form: items/<index>
                return i + 1 < segs.size() && segs.get(i + 1) instanceof Integer;
            default:
                return false;
        }
    }

    private static List<Object> segments(NodePath path) {
        List<Object> out = new ArrayList<>();
        if (path == null) {
            return out;
        }
        for (int i = 0; i < path.getNameCount(); i++) {
            Object el = path.getElement(i);
            if (el instanceof String s && s.matches("\\d+") && !out.isEmpty()
                    && isIndexed(String.valueOf(out.get(out.size() - 1)))) {
                el = Integer.parseInt(s);
            }
            out.add(el);
        }
        return out;
    }

    private static boolean isIndexed(String kw) {
        return kw.equals("allOf") || kw.equals("anyOf") || kw.equals("oneOf") || kw.equals("items");
    }

    // ---- APISIX's message for one error ----

    String describe(Error e) {
        List<Object> eval = segments(e.getEvaluationPath());
        List<Object> inst = segments(e.getInstanceLocation());
        StringBuilder prefix = new StringBuilder();
        int ii = 0; // cursor in the instance path
        List<Object> schemaPath = new ArrayList<>();
        int i = 0;
        while (i < eval.size()) {
            String kw = String.valueOf(eval.get(i));
            boolean last = i == eval.size() - 1;
            switch (kw) {
                case "properties" -> {
                    if (i + 1 >= eval.size()) {
                        return prefix + leaf(e);
                    }
                    String name = String.valueOf(eval.get(i + 1));
                    prefix.append("property ").append(quote(name)).append(" validation failed: ");
                    ii++;
                    schemaPath.add(kw);
                    schemaPath.add(name);
                    i += 2;
                }
                case "patternProperties" -> {
                    String pattern = i + 1 < eval.size() ? String.valueOf(eval.get(i + 1)) : "";
                    String key = ii < inst.size() ? String.valueOf(inst.get(ii)) : "";
                    prefix.append("failed to validate ").append(key).append(" (matching ").append(luaQuote(pattern))
                            .append("): ");
                    ii++;
                    schemaPath.add(kw);
                    schemaPath.add(pattern);
                    i += 2;
                }
                case "additionalProperties" -> {
                    if (last) {
                        return prefix + leaf(e);
                    }
                    String key = ii < inst.size() ? String.valueOf(inst.get(ii)) : "";
                    prefix.append("failed to validate additional property ").append(key).append(": ");
                    ii++;
                    schemaPath.add(kw);
                    i++;
                }
                case "items" -> {
                    if (last) {
                        return prefix + leaf(e);
                    }
                    int idx = ii < inst.size() && inst.get(ii) instanceof Integer n ? n
                            : ii < inst.size() ? parseIntOr(String.valueOf(inst.get(ii)), 0) : 0;
                    prefix.append("failed to validate item ").append(idx + 1).append(": ");
                    ii++;
                    schemaPath.add(kw);
                    i += eval.get(i + 1) instanceof Integer ? 2 : 1;
                    if (eval.get(i - 1) instanceof Integer t) {
                        schemaPath.add(t);
                    }
                }
                case "allOf" -> {
                    if (last) {
                        return prefix + leaf(e);
                    }
                    int n = eval.get(i + 1) instanceof Integer x ? x : 0;
                    prefix.append("allOf ").append(n + 1).append(" failed: ");
                    schemaPath.add(kw);
                    schemaPath.add(n);
                    i += 2;
                }
                case "dependencies" -> {
                    String prop = i + 1 < eval.size() ? String.valueOf(eval.get(i + 1)) : "";
                    if (i + 2 >= eval.size()) {
                        return prefix + "property " + quote(String.valueOf(e.getProperty())) + " is required when "
                                + quote(prop) + " is set";
                    }
                    prefix.append("failed to validate dependent schema for ").append(quote(prop)).append(": ");
                    schemaPath.add(kw);
                    schemaPath.add(prop);
                    i += 2;
                }
                case "anyOf" -> {
                    schemaPath.add(kw);
                    return prefix + "object matches none of the required" + requireds(schemaPath);
                }
                case "oneOf" -> {
                    if (last && e.getArguments() != null && e.getArguments().length > 0
                            && !"0".equals(String.valueOf(e.getArguments()[0]))) {
                        return prefix + bothMessage(e);
                    }
                    return prefix + "value should match only one schema, but matches none";
                }
                case "not" -> {
                    return prefix + "value wasn't supposed to match schema";
                }
                case "then", "else" -> {
                    return prefix + kw + " clause did not match";
                }
                case "$ref", "definitions" -> {
                    i += kw.equals("definitions") ? 2 : 1;
                }
                default -> {
                    return prefix + leaf(e);
                }
            }
        }
        return prefix + leaf(e);
    }

    private static int parseIntOr(String s, int dflt) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException ex) {
            return dflt;
        }
    }

    private static String bothMessage(Error e) {
        // networknt: arguments = [count, indexes]; APISIX names the first two matching schemas (1-based)
        Object[] args = e.getArguments();
        if (args.length > 1 && args[1] != null) {
            List<Integer> idx = new ArrayList<>();
            for (String p : String.valueOf(args[1]).replaceAll("[^0-9,]", "").split(",")) {
                if (!p.isEmpty()) {
                    idx.add(Integer.parseInt(p) + 1);
                }
            }
            if (idx.size() >= 2) {
                return "value should match only one schema, but matches both schemas " + idx.get(0) + " and " + idx.get(1);
            }
        }
        return "value should match only one schema, but matches more than one";
    }

    /** {@code : ["a"] or ["a","b"]} when the anyOf alternatives are {@code required} lists, as APISIX. */
    private String requireds(List<Object> schemaPath) {
        Object node = source;
        for (Object seg : schemaPath) {
            if (node instanceof JsonObject o) {
                node = o.getValue(String.valueOf(seg));
            } else if (node instanceof JsonArray a && seg instanceof Integer n && n < a.size()) {
                node = a.getValue(n);
            } else {
                return "";
            }
        }
        if (!(node instanceof JsonArray alternatives)) {
            return "";
        }
        List<String> parts = new ArrayList<>();
        for (Object alt : alternatives) {
            if (alt instanceof JsonObject o && o.getValue("required") instanceof JsonArray req) {
                parts.add(req.encode());
            }
        }
        return parts.isEmpty() ? "" : ": " + String.join(" or ", parts);
    }

    /** The message of the innermost keyword, in the Lua validator's words. */
    private static String leaf(Error e) {
        String kw = e.getKeyword() == null ? "" : e.getKeyword();
        JsonNode s = e.getSchemaNode();
        JsonNode v = e.getInstanceNode();
        switch (kw) {
            case "type":
                return "wrong type: expected " + expectedType(s) + ", got " + luaType(v);
            case "required":
                return "property " + quote(String.valueOf(e.getProperty())) + " is required";
            case "additionalProperties":
                return "additional properties forbidden, found " + e.getProperty();
            case "enum":
                return "matches none of the enum values";
            case "const":
                return "failed to check const value";
            case "minLength":
                return "string too short, expected at least " + s.asText() + ", got " + length(v);
            case "maxLength":
                return "string too long, expected at most " + s.asText() + ", got " + length(v);
            case "pattern":
                return "failed to match pattern " + luaQuote(s.asText()) + " with " + luaQuote(v.asText());
            case "minimum":
                return "expected " + number(v) + " to be at least " + number(s);
            case "maximum":
                return "expected " + number(v) + " to be at most " + number(s);
            case "exclusiveMinimum":
                return "expected " + number(v) + " to be greater than " + number(s);
            case "exclusiveMaximum":
                return "expected " + number(v) + " to be smaller than " + number(s);
            case "multipleOf":
                return "expected " + number(v) + " to be a multiple of " + number(s);
            case "minItems":
                return "expect array to have at least " + s.asText() + " items";
            case "maxItems":
                return "expect array to have at most " + s.asText() + " items";
            case "uniqueItems":
                return uniqueMessage(v);
            case "minProperties":
                return "expect object to have at least " + s.asText() + " properties";
            case "maxProperties":
                return "expect object to have at most " + s.asText() + " properties";
            case "format":
                return "expect valid " + s.asText() + " address but got: " + (v == null ? "" : v.asText());
            case "not":
                return "value wasn't supposed to match schema";
            default:
                return stripLocation(e.getMessage());
        }
    }

    private static String expectedType(JsonNode s) {
        if (s != null && s.isArray()) {
            List<String> types = new ArrayList<>();
            s.forEach(t -> types.add(t.asText()));
            return String.join(" or ", types);
        }
        return s == null ? "?" : s.asText();
    }

    /** Type names as Lua sees decoded JSON: objects and arrays are tables, null is userdata. */
    private static String luaType(JsonNode v) {
        if (v == null || v.isNull() || v.isMissingNode()) {
            return "userdata";
        }
        if (v.isObject() || v.isArray()) {
            return "table";
        }
        if (v.isNumber()) {
            return "number";
        }
        if (v.isBoolean()) {
            return "boolean";
        }
        return "string";
    }

    private static String number(JsonNode n) {
        if (n == null) {
            return "?";
        }
        if (n.isIntegralNumber()) {
            return n.asText();
        }
        if (n.isNumber()) {
            double d = n.asDouble();
            if (d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 1e15) {
                return Long.toString((long) d);
            }
            return Double.toString(d);
        }
        return n.asText();
    }

    private static int length(JsonNode v) {
        String s = v == null ? "" : v.asText();
        return s.codePointCount(0, s.length());
    }

    private static String uniqueMessage(JsonNode arr) {
        if (arr != null && arr.isArray()) {
            for (int i = 0; i < arr.size(); i++) {
                for (int j = i + 1; j < arr.size(); j++) {
                    if (arr.get(i).equals(arr.get(j))) {
                        return "expected unique items but items " + (i + 1) + " and " + (j + 1) + " are equal";
                    }
                }
            }
        }
        return "expected unique items";
    }

    private static String stripLocation(String msg) {
        // networknt may prefix messages with the instance location; the chain above already says where
        int colon = msg.indexOf(": ");
        if (colon > 0 && msg.startsWith("$")) {
            return msg.substring(colon + 2);
        }
        return msg;
    }

    private static String quote(String s) {
        return "\"" + s + "\"";
    }

    /** Lua's {@code %q}: double quotes, backslashes escaped, newlines kept escaped. */
    static String luaQuote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\0' -> b.append("\\0");
                default -> b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
