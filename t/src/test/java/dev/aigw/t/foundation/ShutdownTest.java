package dev.aigw.t.foundation;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** SIGTERM: the gateway lets a request in flight finish, then exits 0. */
class ShutdownTest extends StoreTestBase {

    @Override
    boolean useEtcd() {
        return false;
    }

    @Test
    void sigtermLetsAnInFlightRequestFinishThenExitsZero() throws Exception {
        put("/routes/slow", "{\"uri\":\"/slow/*\",\"upstream\":{\"type\":\"roundrobin\",\"nodes\":{\""
                + backend.node(0) + "\":1}}}");
        await(() -> gw.http("GET", "/slow/1", null), r -> r.status() == 200, Duration.ofSeconds(20), "slow route served");
        backend.reset();

        HttpRequest req = HttpRequest.newBuilder(URI.create(gw.url("/slow/2000"))).timeout(Duration.ofSeconds(30)).build();
        CompletableFuture<HttpResponse<String>> inFlight = gw.httpClient().sendAsync(req, HttpResponse.BodyHandlers.ofString());
        backend.slowArrived().get(10, TimeUnit.SECONDS);

        int code = gw.stop(); // SIGTERM, a bounded wait, SIGKILL only if it does not exit
        HttpResponse<String> resp = inFlight.get(10, TimeUnit.SECONDS);
        assertEquals(200, resp.statusCode(), "the request started before SIGTERM completes: " + resp.body());
        assertEquals("slow done", resp.body());
        assertEquals(0, code, "exit code after SIGTERM\n" + gw.outputTail(30));
        assertFalse(accepts(gw.config().nodePort()), "the traffic port is closed");
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
