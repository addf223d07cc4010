package dev.aigw.gateway.route.match;

import dev.aigw.gateway.context.PostArgPath;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VarsExprTest {

    /** Variables from a map; post_arg.* from a JSON body, counting how often the body is consulted. */
    static final class Vars implements VarSource {
        final Map<String, Object> vars = new HashMap<>();
        JsonObject body = new JsonObject();
        int bodyReads;

        Vars set(String k, Object v) {
            vars.put(k, v);
            return this;
        }

        @Override
        public Object var(String name) {
            return vars.get(name);
        }

        @Override
        public Object postArg(PostArgPath path) {
            bodyReads++;
            return path.read(body);
        }
    }

    private static boolean eval(String expr, Vars v) throws VarsExprException {
        return VarsExpr.compile(new JsonArray(expr)).eval(v);
    }

    @Test
    void equalityAndInequality() throws Exception {
        Vars v = new Vars().set("arg_name", "json");
        assertTrue(eval("[[\"arg_name\",\"==\",\"json\"]]", v));
        assertFalse(eval("[[\"arg_name\",\"==\",\"JSON\"]]", v));
        assertFalse(eval("[[\"arg_name\",\"~=\",\"json\"]]", v));
        assertTrue(eval("[[\"arg_name\",\"~=\",\"xml\"]]", v));
        // unset variable: never equal to a string, unequal to it, equal to null
        assertFalse(eval("[[\"arg_missing\",\"==\",\"json\"]]", v));
        assertTrue(eval("[[\"arg_missing\",\"~=\",\"json\"]]", v));
        assertTrue(eval("[[\"arg_missing\",\"==\",null]]", v));
        assertFalse(eval("[[\"arg_name\",\"==\",null]]", v));
    }

    @Test
    void numberOnTheRightConvertsTheLeftValue() throws Exception {
        Vars v = new Vars().set("arg_n", "1.0").set("arg_hex", "0x10").set("arg_word", "abc");
        assertTrue(eval("[[\"arg_n\",\"==\",1]]", v));
        assertTrue(eval("[[\"arg_hex\",\"==\",16]]", v));
        assertFalse(eval("[[\"arg_word\",\"==\",0]]", v));
        assertTrue(eval("[[\"arg_word\",\"~=\",0]]", v), "unconvertible left value is unequal to a number");
        // a string on the right compares as a string
        assertFalse(eval("[[\"arg_n\",\"==\",\"1\"]]", v));
    }

    @Test
    void aJsonNumberNeverEqualsAString() throws Exception {
        Vars v = new Vars();
        v.body = new JsonObject().put("n", 2).put("stream", true).put("s", "2");
        assertTrue(eval("[[\"post_arg.n\",\"==\",2]]", v));
        assertFalse(eval("[[\"post_arg.n\",\"==\",\"2\"]]", v), "Lua: 2 == \"2\" is false");
        assertTrue(eval("[[\"post_arg.s\",\"==\",2]]", v), "string left, number right: tonumber");
        assertTrue(eval("[[\"post_arg.stream\",\"==\",true]]", v));
        assertFalse(eval("[[\"post_arg.stream\",\"==\",\"true\"]]", v));
    }

    @Test
    void orderingComparesNumerically() throws Exception {
        Vars v = new Vars().set("arg_age", "20").set("arg_word", "x");
        assertTrue(eval("[[\"arg_age\",\">\",18]]", v));
        assertTrue(eval("[[\"arg_age\",\">\",\"9\"]]", v), "numeric, not lexicographic");
        assertFalse(eval("[[\"arg_age\",\">\",20]]", v));
        assertTrue(eval("[[\"arg_age\",\">=\",20]]", v));
        assertTrue(eval("[[\"arg_age\",\"<\",100]]", v));
        assertFalse(eval("[[\"arg_age\",\"<\",20]]", v));
        assertTrue(eval("[[\"arg_age\",\"<=\",20]]", v));
        assertFalse(eval("[[\"arg_word\",\">\",1]]", v), "not a number: false");
        assertFalse(eval("[[\"arg_missing\",\"<\",1]]", v));
        assertFalse(eval("[[\"arg_age\",\"<\",\"abc\"]]", v));
    }

    @Test
    void regexSearchAndCaseInsensitiveRegex() throws Exception {
        Vars v = new Vars().set("http_x", "Hello World").set("n", 123);
        assertTrue(eval("[[\"http_x\",\"~~\",\"o W\"]]", v), "unanchored search");
        assertFalse(eval("[[\"http_x\",\"~~\",\"^hello\"]]", v));
        assertTrue(eval("[[\"http_x\",\"~*\",\"^hello\"]]", v));
        assertFalse(eval("[[\"missing\",\"~~\",\".*\"]]", v), "unset is false even for .*");
        assertTrue(eval("[[\"n\",\"~~\",\"^12\"]]", v), "numbers are searched as text");
    }

    @Test
    void badRegexNeverMatchesButIsRefusedByValidation() throws Exception {
        Vars v = new Vars().set("a", "(");
        assertFalse(eval("[[\"a\",\"~~\",\"(\"]]", v));
        assertTrue(eval("[\"OR\",[\"a\",\"~~\",\"(\"],[\"a\",\"==\",\"(\"]]", v));
        assertEquals("invalid regex '(': Unclosed group", VarsExpr.validate(new JsonArray("[[\"a\",\"~~\",\"(\"]]")));
    }

    @Test
    void inAndHas() throws Exception {
        Vars v = new Vars().set("arg_color", "red").set("arg_n", "1");
        v.body = new JsonObject().put("tags", new JsonArray().add("a").add(3)).put("k", 3);
        assertTrue(eval("[[\"arg_color\",\"in\",[\"blue\",\"red\"]]]", v));
        assertFalse(eval("[[\"arg_color\",\"in\",[\"blue\"]]]", v));
        assertFalse(eval("[[\"arg_n\",\"in\",[1,2]]]", v), "string 1 is not number 1 (Lua equality)");
        assertTrue(eval("[[\"post_arg.k\",\"in\",[1,3]]]", v));
        assertFalse(eval("[[\"arg_color\",\"in\",\"red\"]]", v), "in needs an array");
        assertTrue(eval("[[\"post_arg.tags\",\"has\",\"a\"]]", v));
        assertTrue(eval("[[\"post_arg.tags\",\"has\",3]]", v));
        assertFalse(eval("[[\"post_arg.tags\",\"has\",\"b\"]]", v));
        assertFalse(eval("[[\"arg_color\",\"has\",\"red\"]]", v), "has needs an array on the left");
    }

    @Test
    void ipmatch() throws Exception {
        Vars v = new Vars().set("remote_addr", "192.168.3.7");
        assertTrue(eval("[[\"remote_addr\",\"ipmatch\",[\"10.0.0.1\",\"192.168.3.0/24\"]]]", v));
        assertTrue(eval("[[\"remote_addr\",\"ipmatch\",\"192.168.0.0/16\"]]", v));
        assertFalse(eval("[[\"remote_addr\",\"ipmatch\",\"10.0.0.0/8\"]]", v));
        assertFalse(eval("[[\"missing\",\"ipmatch\",\"10.0.0.0/8\"]]", v));
    }

    @Test
    void negationOfAConditionAndOperatorCase() throws Exception {
        Vars v = new Vars().set("arg_x", "1").set("arg_c", "red");
        assertFalse(eval("[[\"arg_x\",\"!\",\"==\",\"1\"]]", v));
        assertTrue(eval("[[\"arg_x\",\"!\",\"==\",\"2\"]]", v));
        assertTrue(eval("[[\"arg_missing\",\"!\",\"~~\",\"x\"]]", v));
        assertTrue(eval("[[\"arg_c\",\"IN\",[\"red\"]]]", v), "operators are case-insensitive");
    }

    @Test
    void legacyTwoElementFormIsEqualityWithTheValueLowerCased() throws Exception {
        Vars v = new Vars().set("arg_k", "val");
        assertTrue(eval("[[\"arg_k\",\"val\"]]", v));
        // lua-resty-expr lower-cases the second element before treating it as the value
        assertTrue(eval("[[\"arg_k\",\"VAL\"]]", v));
    }

    @Test
    void logicalGroupsAndNesting() throws Exception {
        Vars v = new Vars().set("a", "1").set("b", "2");
        assertTrue(eval("[[\"a\",\"==\",\"1\"],[\"b\",\"==\",\"2\"]]", v), "list is AND");
        assertFalse(eval("[[\"a\",\"==\",\"1\"],[\"b\",\"==\",\"3\"]]", v));
        assertTrue(eval("[\"OR\",[\"a\",\"==\",\"9\"],[\"b\",\"==\",\"2\"]]", v));
        assertFalse(eval("[\"OR\",[\"a\",\"==\",\"9\"],[\"b\",\"==\",\"9\"]]", v));
        assertTrue(eval("[\"and\",[\"a\",\"==\",\"1\"],[\"b\",\"==\",\"2\"]]", v), "logic ops are case-insensitive");
        assertFalse(eval("[\"!AND\",[\"a\",\"==\",\"1\"],[\"b\",\"==\",\"2\"]]", v));
        assertTrue(eval("[\"!AND\",[\"a\",\"==\",\"1\"],[\"b\",\"==\",\"9\"]]", v));
        assertTrue(eval("[\"!OR\",[\"a\",\"==\",\"9\"],[\"b\",\"==\",\"9\"]]", v));
        assertFalse(eval("[\"!OR\",[\"a\",\"==\",\"1\"],[\"b\",\"==\",\"9\"]]", v));
        // nested: (a==1 AND (b==9 OR NOT(a==2 OR b==3)))
        String nested = "[\"AND\",[\"a\",\"==\",\"1\"],[\"OR\",[\"b\",\"==\",\"9\"],"
                + "[\"!OR\",[\"a\",\"==\",\"2\"],[\"b\",\"==\",\"3\"]]]]";
        assertTrue(eval(nested, v));
        v.set("b", "3");
        assertFalse(eval(nested, v));
        // a list of groups, and a group holding a list
        assertTrue(eval("[[\"OR\",[\"a\",\"==\",\"1\"],[\"a\",\"==\",\"2\"]],[[\"a\",\"==\",\"1\"]]]", v));
    }

    @Test
    void emptyExpressionIsAlwaysTrue() throws Exception {
        VarsExpr e = VarsExpr.compile(new JsonArray());
        assertTrue(e.isAlways());
        assertTrue(e.eval(new Vars()));
    }

    @Test
    void bodyConditionsAreUnknownUntilTheBodyIsAvailable() throws Exception {
        Vars v = new Vars().set("a", "1");
        v.body = new JsonObject().put("model", "gpt");
        VarsExpr and = VarsExpr.compile(new JsonArray("[[\"a\",\"==\",\"2\"],[\"post_arg.model\",\"==\",\"gpt\"]]"));
        assertTrue(and.needsBody());
        assertEquals(VarsExpr.FALSE, and.eval(v, false), "decided by the non-body condition");
        v.set("a", "2");
        assertEquals(VarsExpr.UNKNOWN, and.eval(v, false));
        assertEquals(VarsExpr.TRUE, and.eval(v, true));

        VarsExpr or = VarsExpr.compile(new JsonArray("[\"OR\",[\"post_arg.model\",\"==\",\"x\"],[\"a\",\"==\",\"2\"]]"));
        int before = v.bodyReads;
        assertEquals(VarsExpr.TRUE, or.eval(v, false), "OR decided without the body");
        assertEquals(before, v.bodyReads, "the body is not consulted while unavailable");
        VarsExpr notOr = VarsExpr.compile(new JsonArray("[\"!OR\",[\"post_arg.model\",\"==\",\"x\"],[\"a\",\"==\",\"9\"]]"));
        assertEquals(VarsExpr.UNKNOWN, notOr.eval(v, false));
        assertEquals(VarsExpr.TRUE, notOr.eval(v, true));
        assertFalse(VarsExpr.compile(new JsonArray("[[\"a\",\"==\",\"2\"]]")).needsBody());
    }

    @Test
    void validationMessagesAreLuaRestyExprs() {
        assertNull(VarsExpr.validate(new JsonArray("[[\"arg_a\",\"==\",\"1\"]]")));
        assertNull(VarsExpr.validate(new JsonArray("[]")));
        assertNull(VarsExpr.validate(new JsonArray("[\"OR\",[\"a\",\"==\",\"1\"],[\"b\",\"~~\",\"^x\"]]")));
        assertEquals("invalid operator '='", VarsExpr.validate(new JsonArray("[[\"arg_k\",\"=\",\"v\"]]")));
        assertEquals("invalid expression", VarsExpr.validate(new JsonArray("[[\"arg_k\"]]")));
        assertEquals("rule too short", VarsExpr.validate(new JsonArray("[[]]")));
        assertEquals("bad 'not' expression", VarsExpr.validate(new JsonArray("[[\"!\",\"arg_k\",\"==\",\"1\"]]")));
        assertEquals("rule too short", VarsExpr.validate(new JsonArray("[\"OR\",[\"arg_w\",\">\",10]]")));
        assertEquals("rule too short", VarsExpr.validate(new JsonArray("[\"OR\",[\"arg_w\",\">\",10],[\"AND\"]]")));
        assertEquals("rule should be wrapped inside brackets", VarsExpr.validate(new JsonArray("[\"arg_k\",\"==\",\"v\"]")));
        assertEquals("invalid ip address: 300.1.1.1",
                VarsExpr.validate(new JsonArray("[[\"remote_addr\",\"ipmatch\",[\"300.1.1.1\"]]]")));
        assertEquals("invalid ip address", VarsExpr.validate(new JsonArray("[[\"remote_addr\",\"ipmatch\",[]]]")));
        assertEquals("missing argument rule", VarsExpr.validate(null));
        assertThrows(VarsExprException.class, () -> VarsExpr.compile(new JsonArray("[[\"a\",\"bogus\",1]]")));
    }

    @Test
    void postArgWithBracketsStarOrDoubleDotIsJsonPathAndItsValueTheArrayOfMatches() throws Exception {
        Vars v = new Vars();
        v.body = new JsonObject("{\"model\":\"gpt-4o\",\"messages\":["
                + "{\"role\":\"system\",\"content\":\"be brief\"},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"what is this?\"},"
                + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x/y.png\"}}]}]}");
        String vision = "[[\"post_arg.messages[*].content[*].type\",\"has\",\"image_url\"]]";
        assertTrue(eval(vision, v), "a vision request (APISIX's example)");
        assertTrue(eval("[[\"post_arg.messages..type\",\"has\",\"image_url\"]]", v), "deep scan");
        assertTrue(eval("[[\"post_arg.messages[0].role\",\"has\",\"system\"]]", v),
                "a definite JSONPath is still an array of its match");
        assertFalse(eval("[[\"post_arg.messages[0].role\",\"==\",\"system\"]]", v),
                "an array never equals a string");
        assertTrue(eval("[[\"post_arg.messages[9].role\",\"==\",null]]", v), "no match is nil");
        assertTrue(eval("[[\"post_arg.model\",\"==\",\"gpt-4o\"]]", v), "dotted keys stay plain");
        v.body = new JsonObject("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertFalse(eval(vision, v), "text only: no image_url");
    }

    @Test
    void anInvalidJsonPathIsRefusedWhenCompiled() {
        String err = VarsExpr.validate(new JsonArray("[[\"post_arg.messages[*\",\"has\",\"x\"]]"));
        assertTrue(err != null && err.contains("invalid post_arg JSONPath"), String.valueOf(err));
        assertThrows(VarsExprException.class,
                () -> VarsExpr.compile(new JsonArray("[[\"post_arg.a[?(@.b ==\",\"has\",\"x\"]]")));
    }

    @Test
    void nestingIsBounded() {
        JsonArray leaf = new JsonArray().add("a").add("==").add("1");
        JsonArray rule = new JsonArray().add("AND").add(leaf).add(leaf);
        for (int i = 0; i < VarsExpr.MAX_DEPTH - 2; i++) {
            rule = new JsonArray().add("OR").add(rule).add(leaf);
        }
        assertNull(VarsExpr.validate(new JsonArray().add(rule)), "within the bound");
        rule = new JsonArray().add("OR").add(new JsonArray().add("OR").add(rule).add(leaf)).add(leaf);
        assertTrue(String.valueOf(VarsExpr.validate(new JsonArray().add(rule))).contains("nested too deeply"));
    }
}
