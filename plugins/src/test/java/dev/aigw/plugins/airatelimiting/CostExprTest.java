package dev.aigw.plugins.airatelimiting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class CostExprTest {

    private static long cost(String expr, Map<String, Double> vars) {
        return CostExpr.cost(CostExpr.compile(expr), vars);
    }

    @Test
    void apisixExamples() {
        Map<String, Double> u = Map.of("input_tokens", 10.0, "cache_creation_input_tokens", 5.0, "output_tokens", 7.0);
        assertEquals(22, cost("input_tokens + cache_creation_input_tokens + output_tokens", u));
        assertEquals(17, cost("input_tokens + output_tokens + missing", u), "a missing variable is 0");
        assertEquals(24, cost("input_tokens + output_tokens * 2", u));
        assertEquals(34, cost("(input_tokens + output_tokens) * 2", u));
        assertEquals(4, cost("math.ceil(output_tokens / 2)", u));
        assertEquals(10, cost("max(input_tokens, output_tokens, 3)", u));
        assertEquals(0, cost("output_tokens - input_tokens", u), "negative counts as 0");
        assertEquals(4, cost("output_tokens / 2", u), "rounded (3.5 -> 4)");
        assertEquals(8, cost("2 ^ 3", u));
    }

    @Test
    void errors() {
        assertThrows(IllegalArgumentException.class, () -> CostExpr.compile("input_tokens +"));
        assertThrows(IllegalArgumentException.class, () -> CostExpr.compile("os.exit(1)"));
        assertThrows(IllegalArgumentException.class, () -> CostExpr.compile("a b"));
        assertThrows(ArithmeticException.class, () -> cost("1 / 0", Map.of()));
    }

    @Test
    void tokenizerFamilies() {
        assertEquals(com.knuddels.jtokkit.api.EncodingType.O200K_BASE, TokenEstimator.typeOf("gpt-4o-mini"));
        assertEquals(com.knuddels.jtokkit.api.EncodingType.O200K_BASE, TokenEstimator.typeOf("openai/o3-mini"));
        assertEquals(com.knuddels.jtokkit.api.EncodingType.CL100K_BASE, TokenEstimator.typeOf("gpt-3.5-turbo"));
        assertEquals(com.knuddels.jtokkit.api.EncodingType.O200K_BASE, TokenEstimator.typeOf("O4-mini"));
        assertEquals(com.knuddels.jtokkit.api.EncodingType.CL100K_BASE, TokenEstimator.typeOf("omni-x"));
        assertEquals(com.knuddels.jtokkit.api.EncodingType.CL100K_BASE, TokenEstimator.typeOf(null));
        java.util.List<String> pieces = new java.util.ArrayList<>();
        int n = TokenEstimator.collect(new io.vertx.core.json.JsonObject(
                "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hello\"}]},"
                        + "{\"role\":\"user\",\"content\":\"world\"}]}"), pieces);
        assertEquals(2, n);
        assertEquals(java.util.List.of("hello", "world"), pieces);
    }
}
