package dev.aigw.t.foundation;

import dev.aigw.testkit.HttpResult;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One route replaced 1000 times while clients send requests without pause. Version N of the route
 * sends {@code Host: vN} to backend listener {@code N % 2} and sets {@code X-Route-Version: vN} with
 * proxy-rewrite, so every answer names the version that served it three times over: it must be a
 * version that was PUT, all marks must agree (never a mix of two versions' upstream and plugins),
 * and nothing may fail.
 */
abstract class ChurnCases extends StoreTestBase {

    private static final int CHANGES = 1000;
    private static final int CLIENTS = 2;
    private static final int WRITERS = 4;

    @Override
    int backendListeners() {
        return 2;
    }

    private String version(int n) {
        return "{\"uri\":\"/churn\",\"plugins\":{\"proxy-rewrite\":{\"headers\":{\"set\":"
                + "{\"X-Route-Version\":\"v" + n + "\"}}}},\"upstream\":" + upstream(n % 2, "v" + n) + "}";
    }

    @Test
    void aRouteChanged1000TimesUnderTrafficNeverFailsOrMixesVersions() throws Exception {
        put("/routes/churn", version(0));
        awaitServedBy("/churn", "v0");

        // the highest version whose PUT has started
        AtomicInteger lastPut = new AtomicInteger(0);
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong requests = new AtomicLong();
        Set<String> seen = ConcurrentHashMap.newKeySet();
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            Thread t = new Thread(() -> {
                while (running.get() && failures.size() < 20) {
                    HttpResult r;
                    try {
                        r = gw.http("GET", "/churn", null);
                    } catch (RuntimeException e) {
                        failures.add("request failed: " + e);
                        continue;
                    }
                    requests.incrementAndGet();
                    // read after the answer: no version PUT later than this could have served it
                    String failure = check(r, lastPut.get());
                    if (failure != null) {
                        failures.add(failure);
                    } else {
                        seen.add(r.header("X-Echo-Host"));
                    }
                }
            }, "churn-client-" + c);
            t.setDaemon(true);
            t.start();
            clients.add(t);
        }
        // a few admin clients write concurrently (the store's fsyncs make one-by-one slow on a busy machine)
        AtomicInteger next = new AtomicInteger(1);
        List<Thread> writers = new ArrayList<>();
        List<String> writeFailures = Collections.synchronizedList(new ArrayList<>());
        for (int w = 0; w < WRITERS; w++) {
            Thread t = new Thread(() -> {
                int n;
                while (failures.isEmpty() && writeFailures.isEmpty() && (n = next.getAndIncrement()) <= CHANGES) {
                    // published before the PUT: an answer from version n may come before the PUT returns
                    lastPut.accumulateAndGet(n, Math::max);
                    HttpResult r = gw.admin("PUT", "/routes/churn", version(n));
                    if (r.status() != 200) {
                        writeFailures.add("PUT version " + n + ": " + r);
                    }
                }
            }, "churn-writer-" + w);
            t.setDaemon(true);
            t.start();
            writers.add(t);
        }
        String last;
        try {
            for (Thread t : writers) {
                t.join(180_000);
                assertFalse(t.isAlive(), "writer thread did not finish");
            }
            assertEquals(List.of(), writeFailures);
            // the version stored last (writers race) is the one that must end up served
            last = gw.admin("GET", "/routes/churn", null).jsonObject().getJsonObject("value")
                    .getJsonObject("upstream").getString("upstream_host");
            awaitServedBy("/churn", last);
        } finally {
            running.set(false);
            for (Thread t : clients) {
                t.join(30_000);
                assertFalse(t.isAlive(), "client thread did not stop");
            }
        }
        assertEquals(List.of(), failures, "failed or inconsistent answers among " + requests.get());
        assertTrue(seen.size() > 2, "traffic ran while the route changed (versions seen: " + seen.size()
                + " in " + requests.get() + " requests)");
        assertTrue(seen.contains(last));
    }

    /** Null if the answer is from a version in [0, maxAllowed] and both marks agree. */
    private String check(HttpResult r, int maxAllowed) {
        if (r.status() != 200) {
            return "status " + r.status() + ": " + r.body();
        }
        String host = r.header("X-Echo-Host");
        if (host == null || !host.matches("v\\d+")) {
            return "no version in the answer: Host " + host;
        }
        int v = Integer.parseInt(host.substring(1));
        if (v > maxAllowed) {
            return "version " + v + " answered before it was PUT (last PUT " + maxAllowed + ")";
        }
        String port = r.header("X-Backend-Port");
        String expectedPort = String.valueOf(backend.port(v % 2));
        if (!expectedPort.equals(port)) {
            return "mixed versions: Host v" + v + " was sent to backend port " + port + ", version " + v
                    + " uses " + expectedPort;
        }
        Object header = r.json() instanceof io.vertx.core.json.JsonObject o && o.getValue("headers")
                instanceof io.vertx.core.json.JsonObject h ? h.getValue("x-route-version") : null;
        if (!host.equals(header)) {
            return "mixed versions: Host v" + v + " but proxy-rewrite set X-Route-Version " + header;
        }
        return null;
    }
}
