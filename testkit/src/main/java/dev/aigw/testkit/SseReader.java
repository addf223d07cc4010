package dev.aigw.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Reads a Server-Sent Events response line by line as it arrives, noting when each event came,
 * so a test can tell a streamed answer from a buffered one. Uses its own HTTP/1.1 client.
 */
public final class SseReader {

    /**
     * One SSE event.
     *
     * @param event      the {@code event:} field, or {@code null}
     * @param data       the {@code data:} lines joined with newlines
     * @param receivedAt when its terminating blank line arrived
     */
    public record Event(String event, String data, Instant receivedAt) {
    }

    /**
     * A whole SSE exchange.
     *
     * @param status    status code
     * @param headers   response headers, case-insensitive keys
     * @param events    the events in order
     * @param error     the I/O error that ended the stream early, or {@code null}
     * @param rawBody   the body as received (useful when the answer is not SSE, e.g. an error JSON)
     */
    public record Result(int status, Map<String, List<String>> headers, List<Event> events, IOException error,
                         String rawBody) {

        /** First value of a header (case-insensitive), or {@code null}. */
        public String header(String name) {
            List<String> v = headers.get(name);
            return v == null || v.isEmpty() ? null : v.get(0);
        }

        /** The data of each event, in order. */
        public List<String> data() {
            return events.stream().map(Event::data).toList();
        }
    }

    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    /** POSTs {@code jsonBody} to {@code url} with extra header pairs and reads the SSE answer to its end (bounded by {@code timeout}). */
    public Result post(String url, String jsonBody, Duration timeout, String... headerPairs) {
        HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(url)).timeout(timeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(jsonBody, StandardCharsets.UTF_8));
        for (int i = 0; i + 1 < headerPairs.length; i += 2) {
            rb.header(headerPairs[i], headerPairs[i + 1]);
        }
        return read(rb.build(), -1);
    }

    /**
     * Sends {@code request} and reads SSE events; stops (closing the connection) after
     * {@code maxEvents} events when it is {@code >= 0}, to play a client that goes away.
     */
    public Result read(HttpRequest request, int maxEvents) {
        HttpResponse<Stream<String>> resp;
        try {
            resp = client.send(request, HttpResponse.BodyHandlers.ofLines());
        } catch (IOException e) {
            throw new UncheckedIOException(request.method() + " " + request.uri() + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.putAll(resp.headers().map());
        List<Event> events = new ArrayList<>();
        StringBuilder raw = new StringBuilder();
        IOException error = null;
        String eventName = null;
        StringBuilder data = null;
        try (Stream<String> lines = resp.body()) {
            Iterator<String> it = lines.iterator();
            while (it.hasNext()) {
                String line = it.next();
                raw.append(line).append('\n');
                if (line.isEmpty()) {
                    if (data != null) {
                        events.add(new Event(eventName, data.toString(), Instant.now()));
                        if (maxEvents >= 0 && events.size() >= maxEvents) {
                            break;
                        }
                    }
                    eventName = null;
                    data = null;
                } else if (line.startsWith("data:")) {
                    String v = line.substring(5);
                    v = v.startsWith(" ") ? v.substring(1) : v;
                    data = data == null ? new StringBuilder(v) : data.append('\n').append(v);
                } else if (line.startsWith("event:")) {
                    eventName = line.substring(6).strip();
                }
            }
        } catch (UncheckedIOException e) {
            error = e.getCause();
        }
        return new Result(resp.statusCode(), headers, List.copyOf(events), error, raw.toString());
    }
}
