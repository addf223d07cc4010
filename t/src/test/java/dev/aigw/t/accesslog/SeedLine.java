package dev.aigw.t.accesslog;

import dev.aigw.testkit.GatewayProcess;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.aigw.t.Pause.sleep;

/**
 * One line of the seed format from issue 5, split into its 21 fields. The regex only accepts a line
 * whose quoted fields hold no raw quote: with the default escaping a value can never add or close one.
 */
record SeedLine(String remoteAddr, String remoteUser, String timeLocal, String httpHost, String requestLine,
                int status, long bodyBytesSent, String requestTime, String referer, String userAgent,
                String upstreamAddr, String upstreamStatus, String upstreamResponseTime, String upstreamUrl,
                String requestId, String requestType, String ttft, String llmModel, String requestLlmModel,
                String promptTokens, String completionTokens) {

    /** The format as a user writes it in conf/config.yaml (the YAML string's value). */
    static final String FORMAT = "$remote_addr - $remote_user [$time_local] $http_host \"$request_line\" $status "
            + "$body_bytes_sent $request_time \"$http_referer\" \"$http_user_agent\" $upstream_addr $upstream_status "
            + "$apisix_upstream_response_time \"$upstream_scheme://$upstream_host$upstream_uri\" \"$apisix_request_id\" "
            + "\"$request_type\" \"$llm_time_to_first_token\" \"$llm_model\" \"$request_llm_model\" "
            + "\"$llm_prompt_tokens\" \"$llm_completion_tokens\"";

    private static final Pattern LINE = Pattern.compile(
            "^(\\S+) - (\\S+) \\[([^\\]]+)\\] (\\S+) \"([^\"]*)\" (\\d{3}) (\\d+) (\\S+) \"([^\"]*)\" \"([^\"]*)\" "
                    + "(\\S+) (\\S+) (\\S+) \"([^\"]*)\" \"([^\"]*)\" \"([^\"]*)\" \"([^\"]*)\" \"([^\"]*)\" "
                    + "\"([^\"]*)\" \"([^\"]*)\" \"([^\"]*)\"$");

    /** nginx's {@code $time_local}. */
    static final DateTimeFormatter TIME_LOCAL = DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ENGLISH);
    static final Pattern SECONDS_3 = Pattern.compile("\\d+\\.\\d{3}");
    static final Pattern MILLIS = Pattern.compile("\\d+");
    static final Pattern HEX_32 = Pattern.compile("[0-9a-f]{32}");

    static SeedLine parse(String line) {
        Matcher m = LINE.matcher(line);
        if (!m.matches()) {
            throw new AssertionError("not a line of the seed format: " + line);
        }
        return new SeedLine(m.group(1), m.group(2), m.group(3), m.group(4), m.group(5),
                Integer.parseInt(m.group(6)), Long.parseLong(m.group(7)), m.group(8), m.group(9), m.group(10),
                m.group(11), m.group(12), m.group(13), m.group(14), m.group(15), m.group(16), m.group(17),
                m.group(18), m.group(19), m.group(20), m.group(21));
    }

    ZonedDateTime time() {
        return ZonedDateTime.parse(timeLocal, TIME_LOCAL);
    }

    /** {@code request_time} in ms. */
    long requestTimeMillis() {
        return Math.round(Double.parseDouble(requestTime) * 1000);
    }

    /**
     * Waits (bounded) for the one line that holds {@code "requestId"} and returns it; fails if it
     * does not come or comes more than once.
     */
    static String awaitLine(GatewayProcess gw, String requestId) {
        String needle = "\"" + requestId + "\"";
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            List<String> hits = gw.accessLogLines().stream().filter(l -> l.contains(needle)).toList();
            if (hits.size() > 1) {
                throw new AssertionError("request " + requestId + " logged " + hits.size() + " times: " + hits);
            }
            if (hits.size() == 1) {
                return hits.get(0);
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new AssertionError("no access log line for request " + requestId + " within 10 s; log:\n"
                        + gw.accessLog());
            }
            sleep(50);
        }
    }

    /** nginx's default escaping undone: {@code \xHH} back to bytes, read as UTF-8. */
    static String unescape(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length() && s.charAt(i + 1) == 'x') {
                out.write(Integer.parseInt(s.substring(i + 2, i + 4), 16));
                i += 3;
            } else {
                out.write(c);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /**
     * Sends raw request bytes on a fresh connection and returns the raw answer (head and body),
     * read until the server closes (the request should say {@code Connection: close}).
     */
    static String rawExchange(int port, byte[] request) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(request);
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
