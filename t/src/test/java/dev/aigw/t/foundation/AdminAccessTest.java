package dev.aigw.t.foundation;

import dev.aigw.testkit.GatewayConfig;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Who may use the Admin API: allow_admin by client address, and the key generated when none is set. */
class AdminAccessTest {

    @Test
    void aClientOutsideAllowAdminIs403(@TempDir Path prefix) {
        GatewayConfig config = GatewayConfig.create().set("deployment.admin.allow_admin", List.of("10.0.0.0/8"));
        try (GatewayProcess gw = GatewayProcess.start(prefix, config)) {
            HttpResult r = gw.admin("GET", "/routes", null);
            assertEquals(403, r.status(), "127.0.0.1 is outside 10.0.0.0/8: " + r);
            HttpResult put = gw.admin("PUT", "/routes/1", "{\"uri\":\"/x\",\"upstream\":{\"type\":\"roundrobin\","
                    + "\"nodes\":{\"127.0.0.1:1\":1}}}");
            assertEquals(403, put.status());
            assertEquals(404, gw.http("GET", "/x", null).status(), "nothing was stored");
        }
    }

    @Test
    void withoutAnAdminKeyARandomOneIsPrintedOnceAndWorks(@TempDir Path prefix) {
        GatewayConfig config = GatewayConfig.create().set("deployment.admin.admin_key",
                List.of(Map.of("name", "admin", "key", "", "role", "admin")));
        try (GatewayProcess gw = GatewayProcess.start(prefix, config)) {
            assertTrue(gw.awaitLog("X-API-KEY", java.time.Duration.ofSeconds(10)), gw.outputTail(20));
            String stdout = gw.stdout();
            Matcher m = Pattern.compile("\\b([0-9a-fA-F]{32})\\b").matcher(stdout);
            assertTrue(m.find(), "a 32-hex key on stdout: " + stdout);
            String key = m.group(1);
            assertEquals(1, count(stdout, key), "printed once: " + stdout);
            assertFalse(gw.errorLog().contains(key), "the key is not in the error log");

            String url = gw.adminUrl("/apisix/admin/routes/gen");
            HttpResult put = gw.send("PUT", url, "{\"uri\":\"/gen\",\"upstream\":{\"type\":\"roundrobin\","
                    + "\"nodes\":{\"127.0.0.1:1\":1}}}", Map.of("X-API-KEY", key));
            assertEquals(201, put.status(), "the printed key works: " + put);
            assertEquals(200, gw.send("GET", url, null, Map.of("X-API-KEY", key)).status());
            assertEquals(401, gw.send("GET", url, null, Map.of()).status(), "a key is still required");
            assertEquals(401, gw.send("GET", url, null, Map.of("X-API-KEY", GatewayConfig.DEFAULT_ADMIN_KEY)).status());
        }
    }

    private static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }
}
