package dev.aigw.plugins.requestlog;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PriceAndMaskTest {

    @Test
    void modelsArePricedExactlyThenByVendorPrefixThenByLongestBaseName() {
        PriceTable t = PriceTable.DEFAULT;
        assertEquals(new PriceTable.Price(0.15, 0.60, 0.075), t.find("gpt-4o-mini"));
        assertEquals(t.find("gpt-4o-mini"), t.find("gpt-4o-mini-2024-07-18"));
        assertEquals(t.find("gpt-4o"), t.find("gpt-4o-2024-08-06"));
        assertEquals(t.find("gpt-4o"), t.find("openai/gpt-4o"));
        assertEquals(t.find("claude-sonnet-4-5"), t.find("claude-sonnet-4-5-20250929"));
        assertEquals(t.find("gemini-2.5-flash"), t.find("gemini-2.5-flash-preview-05-20"));
        assertNull(t.find("gpt-4oxyz"), "a longer word is not a dated variant");
        assertNull(t.find("no-such-model"));
    }

    @Test
    void cachedPromptTokensUseTheCachedPrice() {
        // 1000 prompt of which 400 cached, 100 completion, on gpt-4o ($2.5 / $1.25 cached / $10)
        double c = PriceTable.DEFAULT.cost("gpt-4o", 1000, 100, 400);
        assertEquals((600 * 2.5 + 400 * 1.25 + 100 * 10.0) / 1e6, c, 1e-15);
    }

    @Test
    void metadataOverridesAndCanReplaceTheDefaults() {
        JsonObject meta = new JsonObject().put("prices", new JsonObject()
                .put("gpt-4o", new JsonObject().put("input", 1).put("output", 2)));
        PriceTable t = PriceTable.fromMetadata(meta);
        assertEquals(new PriceTable.Price(1, 2, 1), t.find("gpt-4o"), "cached input defaults to input");
        assertEquals(PriceTable.DEFAULT.find("gpt-4o-mini"), t.find("gpt-4o-mini"));
        assertNull(PriceTable.fromMetadata(meta.copy().put("replace_default_prices", true)).find("gpt-4o-mini"));
    }

    @Test
    void customCostHeaderForms() {
        assertEquals(0.5, AiRequestLogPlugin.parseCustomCost(" 0.5 "));
        double[] per = (double[]) AiRequestLogPlugin.parseCustomCost("{\"per_token_in\":0.1,\"per_token_out\":0.2}");
        assertEquals(0.1, per[0]);
        assertEquals(0.2, per[1]);
        assertNull(AiRequestLogPlugin.parseCustomCost("-1"));
        assertNull(AiRequestLogPlugin.parseCustomCost("NaN"));
        assertNull(AiRequestLogPlugin.parseCustomCost("{\"per_token_in\":1}"));
        assertEquals("0.0000125", AiRequestLogPlugin.plain(0.0000125));
    }

    /** The log phase's fast formatting gives exactly the decimal rounding's text, ties and large sums included. */
    @Test
    void plainDollarsAsDecimalRounding() {
        java.util.Random rnd = new java.util.Random(42);
        List<Double> values = new java.util.ArrayList<>(List.of(0.0, 1e-11, 5e-11, 4.9999e-11, 0.00045, 0.0000125,
                1.0, 10.5, 0.12345678905, 0.00000000015, 99_999.99999999995, 100_000.0, 1e9, 123.4));
        for (int i = 0; i < 30_000; i++) {
            double price = rnd.nextInt(100_000) / 1e6 / 1e3;   // $ per token, from a per-million price in mills
            values.add(price * rnd.nextInt(200_000));
            values.add(rnd.nextDouble() * Math.pow(10, rnd.nextInt(12) - 8));
            values.add(rnd.nextLong(1_000_000_000_000L) / 1e10 + (rnd.nextBoolean() ? 5e-11 : 0));
        }
        for (double d : values) {
            assertEquals(AiRequestLogPlugin.plainSlow(d), AiRequestLogPlugin.plain(d), "plain(" + d + ")");
        }
    }

    @Test
    void secretsAreMasked() {
        String text = "key sk-ant-api03-abcdefghijkl, google AIzaSyA1234567890abcdefghijklmnop, aws AKIAABCDEFGHIJKLMNOP,"
                + " \"api_key\": \"plainvalue\", password=hunter22, Authorization: Bearer abc.def.ghijklmnop, mine my-own-key-123";
        String m = SecretMasker.mask(text, List.of("my-own-key-123"));
        for (String s : List.of("sk-ant-api03", "AIzaSy", "AKIAABCDEF", "plainvalue", "hunter22", "ghijklmnop", "my-own-key-123")) {
            assertFalse(m.contains(s), s + " masked in " + m);
        }
        assertTrue(m.startsWith("key ******"), m);
        assertEquals("nothing secret here", SecretMasker.mask("nothing secret here", List.of()));
    }
}
