package dev.aigw.plugins.aiproxy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Blocking HTTP calls from the test thread (never an event loop). */
final class Http {

    static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private Http() {
    }

    static HttpRequest.Builder post(String url, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(15))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        boolean ct = false;
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
            ct |= headers[i].equalsIgnoreCase("content-type");
        }
        if (!ct) {
            b.header("Content-Type", "application/json");
        }
        return b;
    }

    static HttpResponse<String> send(String url, String body, String... headers) throws Exception {
        return CLIENT.send(post(url, body, headers).build(), HttpResponse.BodyHandlers.ofString());
    }
}
