import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The benchmark's small helpers, JDK only (compiled once by bench/run.sh with javac):
 * <ul>
 * <li>{@code sse-mock PORT} — an OpenAI-style mock upstream. A POST whose body asks for
 *     {@code "stream": true} gets a real paced SSE stream (role chunk, 20 content chunks 10 ms apart,
 *     finish chunk, usage chunk, {@code [DONE]}); any other POST gets the fixed chat.completion JSON.
 *     nginx cannot pace chunks, hence this program. One thread per connection: the streaming
 *     measurements use one kept-alive connection, so it is never the bottleneck.</li>
 * <li>{@code sse-client} — time to first SSE event and total stream time over N sequential requests
 *     on one kept-alive connection; every sample must carry usage and {@code [DONE]}.</li>
 * <li>{@code propagation} — time from an Admin API PUT returning to the first request on the proxy
 *     port that sees the change.</li>
 * <li>{@code routes} — load N mixed routes (exact, prefix, host, vars) through the Admin API.</li>
 * <li>{@code report} — medians, ratios, goal verdicts: raw.tsv → markdown.</li>
 * <li>{@code answer} — the mock's chat answer; {@code rewrite-answer --body F} — the same answer whose text is
 *     the file's content (the rewriting LLM of the {@code ai-request-rewrite} case answers a chat body).</li>
 * </ul>
 * Every wait is bounded.
 */
public final class BenchTool {

    static final String CHAT_ID = "chatcmpl-bench000000000000000000000001";

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: BenchTool sse-mock|sse-client|propagation|routes|report ...");
            System.exit(2);
        }
        Map<String, String> opts = options(Arrays.copyOfRange(args, 1, args.length));
        switch (args[0]) {
            case "sse-mock" -> SseMock.run(Integer.parseInt(opts.get("port")));
            case "sse-client" -> SseClient.run(opts);
            case "propagation" -> Propagation.run(opts);
            case "routes" -> Routes.run(opts);
            case "store-append" -> Routes.storeAppend(opts);
            case "etcd-load" -> Routes.etcdLoad(opts);
            case "report" -> Report.run(opts);
            case "answer" -> System.out.print(SseMock.JSON);
            case "rewrite-answer" -> System.out.print(rewriteAnswer(Files.readString(Path.of(opts.get("body"))).strip()));
            default -> {
                System.err.println("unknown command " + args[0]);
                System.exit(2);
            }
        }
    }

    /** The mock's chat answer with {@code text} (JSON-escaped) as the assistant's content. */
    static String rewriteAnswer(String text) {
        StringBuilder e = new StringBuilder(text.length() + 64);
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> e.append("\\\"");
                case '\\' -> e.append("\\\\");
                case '\n' -> e.append("\\n");
                case '\r' -> e.append("\\r");
                case '\t' -> e.append("\\t");
                default -> {
                    if (c < 0x20) {
                        e.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        e.append(c);
                    }
                }
            }
        }
        String content = "\"content\":\"";
        int from = SseMock.JSON.indexOf(content) + content.length();
        int to = SseMock.JSON.indexOf("\",\"refusal\"", from);
        return SseMock.JSON.substring(0, from) + e + SseMock.JSON.substring(to);
    }

    static Map<String, String> options(String[] args) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --name value, got " + args[i]);
            }
            m.put(args[i].substring(2), i + 1 < args.length ? args[++i] : "");
        }
        return m;
    }

    static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return -1;
        }
        // nearest-rank, as wrk and most tools
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    // ------------------------------------------------------------------------------------------
    // Minimal HTTP/1.1 on a raw socket (keep-alive, Content-Length or chunked bodies)

    /** A kept-alive HTTP/1.1 client connection; reads responses incrementally. */
    static final class Conn implements AutoCloseable {
        final String host;
        final int port;
        Socket socket;
        InputStream in;
        OutputStream out;

        Conn(String host, int port) throws IOException {
            this.host = host;
            this.port = port;
            open();
        }

        /** Server side: only the reading helpers are used. */
        Conn(InputStream in) {
            this.host = null;
            this.port = 0;
            this.in = in;
        }

        void open() throws IOException {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(10_000);
            socket.connect(new InetSocketAddress(host, port), 5_000);
            in = new BufferedInputStream(socket.getInputStream(), 16384);
            out = new BufferedOutputStream(socket.getOutputStream(), 16384);
        }

        void reopen() throws IOException {
            close();
            open();
        }

        void send(String method, String path, Map<String, String> headers, byte[] body) throws IOException {
            StringBuilder sb = new StringBuilder(256);
            sb.append(method).append(' ').append(path).append(" HTTP/1.1\r\n");
            sb.append("Host: ").append(headers.getOrDefault("Host", host + ":" + port)).append("\r\n");
            for (Map.Entry<String, String> h : headers.entrySet()) {
                if (!h.getKey().equals("Host")) {
                    sb.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
                }
            }
            sb.append("Content-Length: ").append(body == null ? 0 : body.length).append("\r\n\r\n");
            out.write(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
            if (body != null) {
                out.write(body);
            }
            out.flush();
        }

        /** Reads the status line and headers; header names lower-cased. */
        Head readHead() throws IOException {
            String status = line();
            if (status == null) {
                throw new EOFException("connection closed before a response");
            }
            String[] parts = status.split(" ", 3);
            int code = Integer.parseInt(parts[1]);
            Map<String, String> h = new HashMap<>();
            String l;
            while ((l = line()) != null && !l.isEmpty()) {
                int c = l.indexOf(':');
                if (c > 0) {
                    h.put(l.substring(0, c).trim().toLowerCase(Locale.ROOT), l.substring(c + 1).trim());
                }
            }
            return new Head(code, h);
        }

        String line() throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream(64);
            int c;
            while ((c = in.read()) != -1) {
                if (c == '\n') {
                    byte[] a = b.toByteArray();
                    int n = a.length > 0 && a[a.length - 1] == '\r' ? a.length - 1 : a.length;
                    return new String(a, 0, n, StandardCharsets.ISO_8859_1);
                }
                b.write(c);
            }
            return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
        }

        /**
         * Reads the body, handing each piece to {@code sink} as it arrives.
         * @return true when the connection may be reused
         */
        boolean readBody(Head head, Sink sink) throws IOException {
            String te = head.headers.getOrDefault("transfer-encoding", "");
            boolean close = "close".equalsIgnoreCase(head.headers.getOrDefault("connection", ""));
            if (te.toLowerCase(Locale.ROOT).contains("chunked")) {
                while (true) {
                    String sizeLine = line();
                    if (sizeLine == null) {
                        throw new EOFException("connection closed inside a chunked body");
                    }
                    int semi = sizeLine.indexOf(';');
                    int size = Integer.parseInt((semi >= 0 ? sizeLine.substring(0, semi) : sizeLine).trim(), 16);
                    if (size == 0) {
                        String t;
                        while ((t = line()) != null && !t.isEmpty()) {
                            // trailers: ignored
                        }
                        return !close;
                    }
                    byte[] chunk = in.readNBytes(size);
                    if (chunk.length < size) {
                        throw new EOFException("short chunk");
                    }
                    sink.accept(chunk, chunk.length);
                    line();
                }
            }
            String cl = head.headers.get("content-length");
            if (cl != null) {
                long n = Long.parseLong(cl.trim());
                byte[] buf = new byte[8192];
                while (n > 0) {
                    int r = in.read(buf, 0, (int) Math.min(buf.length, n));
                    if (r < 0) {
                        throw new EOFException("short body");
                    }
                    sink.accept(buf, r);
                    n -= r;
                }
                return !close;
            }
            // close-delimited
            byte[] buf = new byte[8192];
            int r;
            while ((r = in.read(buf)) >= 0) {
                sink.accept(buf, r);
            }
            return false;
        }

        @Override
        public void close() {
            try {
                if (socket != null) {
                    socket.close();
                }
            } catch (IOException ignored) {
                // closing
            }
        }
    }

    record Head(int status, Map<String, String> headers) {
    }

    interface Sink {
        void accept(byte[] b, int n) throws IOException;
    }

    // ------------------------------------------------------------------------------------------

    static final class SseMock {
        static final String JSON = "{\"id\":\"" + CHAT_ID + "\",\"object\":\"chat.completion\",\"created\":1735689600,"
                + "\"model\":\"gpt-4o-2024-08-06\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                + "\"content\":\"This is a fixed answer from the benchmark mock upstream. It is long enough to look "
                + "like a short reply from a chat model, with a few sentences in it.\",\"refusal\":null},"
                + "\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":212,"
                + "\"completion_tokens\":48,\"total_tokens\":260,\"prompt_tokens_details\":{\"cached_tokens\":0},"
                + "\"completion_tokens_details\":{\"reasoning_tokens\":0}},\"system_fingerprint\":\"fp_bench\"}";

        static String chunk(String delta, String finish) {
            return "{\"id\":\"" + CHAT_ID + "\",\"object\":\"chat.completion.chunk\",\"created\":1735689600,"
                    + "\"model\":\"gpt-4o-2024-08-06\",\"system_fingerprint\":\"fp_bench\",\"choices\":[{\"index\":0,"
                    + "\"delta\":" + delta + ",\"logprobs\":null,\"finish_reason\":" + finish + "}],\"usage\":null}";
        }

        static final String USAGE = "{\"id\":\"" + CHAT_ID + "\",\"object\":\"chat.completion.chunk\","
                + "\"created\":1735689600,\"model\":\"gpt-4o-2024-08-06\",\"system_fingerprint\":\"fp_bench\","
                + "\"choices\":[],\"usage\":{\"prompt_tokens\":212,\"completion_tokens\":20,\"total_tokens\":232}}";

        static void run(int port) throws IOException {
            ServerSocket ss = new ServerSocket();
            ss.setReuseAddress(true);
            ss.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 256);
            System.out.println("sse-mock listening on 127.0.0.1:" + port);
            while (true) {
                Socket s = ss.accept();
                Thread t = new Thread(() -> serve(s), "conn");
                t.setDaemon(true);
                t.start();
            }
        }

        static void serve(Socket s) {
            try (s) {
                s.setTcpNoDelay(true);
                InputStream in = new BufferedInputStream(s.getInputStream(), 16384);
                OutputStream out = new BufferedOutputStream(s.getOutputStream(), 16384);
                Conn io = new Conn(in);
                while (true) {
                    String reqLine = io.line();
                    if (reqLine == null || reqLine.isEmpty()) {
                        return;
                    }
                    Map<String, String> h = new HashMap<>();
                    String l;
                    while ((l = io.line()) != null && !l.isEmpty()) {
                        int c = l.indexOf(':');
                        if (c > 0) {
                            h.put(l.substring(0, c).trim().toLowerCase(Locale.ROOT), l.substring(c + 1).trim());
                        }
                    }
                    ByteArrayOutputStream body = new ByteArrayOutputStream();
                    if (h.containsKey("content-length") || h.containsKey("transfer-encoding")) {
                        // a request without either has no body (never close-delimited)
                        io.readBody(new Head(0, h), (b, n) -> body.write(b, 0, n));
                    }
                    String req = body.toString(StandardCharsets.UTF_8);
                    boolean stream = req.replace(" ", "").contains("\"stream\":true");
                    if (reqLine.startsWith("GET")) {
                        writeFixed(out, "text/plain", "ok\n");
                    } else if (!stream) {
                        writeFixed(out, "application/json", JSON);
                    } else {
                        writeStream(out);
                    }
                    if ("close".equalsIgnoreCase(h.getOrDefault("connection", ""))) {
                        return;
                    }
                }
            } catch (IOException | RuntimeException e) {
                // client went away
            }
        }

        static void writeFixed(OutputStream out, String type, String body) throws IOException {
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: " + type + "\r\nContent-Length: " + b.length
                    + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(b);
            out.flush();
        }

        static void event(OutputStream out, String data) throws IOException {
            byte[] b = ("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8);
            out.write((Integer.toHexString(b.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(b);
            out.write('\r');
            out.write('\n');
            out.flush();
        }

        static void writeStream(OutputStream out) throws IOException {
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
                    + "Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            event(out, chunk("{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null}", "null"));
            for (int i = 0; i < 20; i++) {
                sleepMillis(10);
                event(out, chunk("{\"content\":\"word" + i + " \"}", "null"));
            }
            event(out, chunk("{}", "\"stop\""));
            event(out, USAGE);
            event(out, "[DONE]");
            out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }

        static void sleepMillis(long ms) {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
            long left;
            while ((left = deadline - System.nanoTime()) > 0) {
                LockSupport.parkNanos(left);
            }
        }
    }

    // ------------------------------------------------------------------------------------------

    static final class SseClient {
        static void run(Map<String, String> o) throws Exception {
            String host = o.getOrDefault("host", "127.0.0.1");
            int port = Integer.parseInt(o.get("port"));
            String path = o.getOrDefault("path", "/v1/chat/completions");
            int n = Integer.parseInt(o.getOrDefault("n", "50"));
            int warm = Integer.parseInt(o.getOrDefault("warm", "10"));
            byte[] body = Files.readAllBytes(Path.of(o.get("body")));
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put("Content-Type", "application/json");
            headers.put("Accept", "text/event-stream");
            if (o.containsKey("host-header")) {
                headers.put("Host", o.get("host-header"));
            }
            long[] ttft = new long[n];
            long[] total = new long[n];
            int ok = 0;
            int errors = 0;
            int reconnects = 0;
            String firstError = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.parseLong(o.getOrDefault("timeout", "120")));
            Conn c = new Conn(host, port);
            for (int i = 0; i < warm + n && System.nanoTime() < deadline; i++) {
                long t0 = System.nanoTime();
                long[] first = {0};
                StringBuilder events = new StringBuilder(8192);
                int[] scan = {0};
                try {
                    c.send("POST", path, headers, body);
                    Head head = c.readHead();
                    boolean reuse = c.readBody(head, (b, len) -> {
                        events.append(new String(b, 0, len, StandardCharsets.UTF_8));
                        if (first[0] == 0) {
                            int e = events.indexOf("\n\n", scan[0]);
                            if (e >= 0 && events.indexOf("data:") >= 0) {
                                first[0] = System.nanoTime();
                            } else {
                                scan[0] = Math.max(0, events.length() - 1);
                            }
                        }
                    });
                    long t1 = System.nanoTime();
                    String s = events.toString();
                    String problem = null;
                    if (head.status != 200) {
                        problem = "status " + head.status + ": " + s.substring(0, Math.min(200, s.length()));
                    } else if (!s.contains("data: [DONE]") && !s.contains("data:[DONE]")) {
                        problem = "no [DONE]";
                    } else if (!s.contains("\"prompt_tokens\"")) {
                        problem = "no usage";
                    } else if (first[0] == 0) {
                        problem = "no event";
                    }
                    if (i >= warm) {
                        if (problem == null) {
                            ttft[ok] = (first[0] - t0) / 1000;
                            total[ok] = (t1 - t0) / 1000;
                            ok++;
                        } else {
                            errors++;
                            if (firstError == null) {
                                firstError = problem;
                            }
                        }
                    }
                    if (!reuse) {
                        reconnects++;
                        c.reopen();
                    }
                } catch (IOException | RuntimeException e) {
                    if (i >= warm) {
                        errors++;
                        if (firstError == null) {
                            firstError = e.toString();
                        }
                    }
                    reconnects++;
                    try {
                        c.reopen();
                    } catch (IOException again) {
                        errors += warm + n - i - 1;
                        break;
                    }
                }
            }
            c.close();
            long[] a = Arrays.copyOf(ttft, ok);
            long[] b = Arrays.copyOf(total, ok);
            Arrays.sort(a);
            Arrays.sort(b);
            errors += Math.max(0, n - ok - errors); // samples cut by the deadline
            System.out.printf(Locale.ROOT, "SSE samples=%d errors=%d reconnects=%d ttft_p50=%d ttft_p90=%d "
                            + "ttft_p99=%d total_p50=%d total_p90=%d%n", ok, errors, reconnects,
                    percentile(a, 50), percentile(a, 90), percentile(a, 99), percentile(b, 50), percentile(b, 90));
            if (firstError != null) {
                System.out.println("SSE first_error=" + firstError.replace('\n', ' '));
            }
        }
    }

    // ------------------------------------------------------------------------------------------

    static final class Propagation {
        static void run(Map<String, String> o) throws Exception {
            int adminPort = Integer.parseInt(o.get("admin-port"));
            int proxyPort = Integer.parseInt(o.get("proxy-port"));
            String key = o.get("key");
            String upstream = o.get("upstream");
            int n = Integer.parseInt(o.getOrDefault("n", "200"));
            long timeoutNanos = TimeUnit.MILLISECONDS.toNanos(Long.parseLong(o.getOrDefault("timeout-ms", "5000")));
            String id = o.getOrDefault("id", "bench-prop");
            long[] lat = new long[n];
            long[] puts = new long[n];
            int nPuts = 0;
            int ok = 0;
            int errors = 0;
            String firstError = null;
            Map<String, String> adminHeaders = Map.of("X-API-KEY", key, "Content-Type", "application/json");
            Conn admin = new Conn("127.0.0.1", adminPort);
            Conn proxy = new Conn("127.0.0.1", proxyPort);
            String run = Long.toString(System.currentTimeMillis() % 100000);
            for (int i = 0; i < n; i++) {
                String uri = "/bench/prop/" + run + "/" + i;
                String route = "{\"uri\":\"" + uri + "\",\"upstream\":{\"type\":\"roundrobin\",\"nodes\":{\""
                        + upstream + "\":1}}}";
                try {
                    long p0 = System.nanoTime();
                    admin.send("PUT", "/apisix/admin/routes/" + id, adminHeaders, route.getBytes(StandardCharsets.UTF_8));
                    Head h = admin.readHead();
                    ByteArrayOutputStream resp = new ByteArrayOutputStream();
                    if (!admin.readBody(h, (b, len) -> resp.write(b, 0, len))) {
                        admin.reopen();
                    }
                    long t0 = System.nanoTime();
                    puts[nPuts++] = (t0 - p0) / 1000;
                    if (h.status != 200 && h.status != 201) {
                        throw new IOException("admin PUT status " + h.status + ": " + resp);
                    }
                    boolean seen = false;
                    while (System.nanoTime() - t0 < timeoutNanos) {
                        proxy.send("GET", uri, Map.of(), null);
                        Head ph = proxy.readHead();
                        if (!proxy.readBody(ph, (b, len) -> { })) {
                            proxy.reopen();
                        }
                        if (ph.status == 200) {
                            seen = true;
                            break;
                        }
                        LockSupport.parkNanos(200_000);
                    }
                    if (!seen) {
                        throw new IOException("change not seen within timeout");
                    }
                    lat[ok++] = (System.nanoTime() - t0) / 1000;
                } catch (IOException | RuntimeException e) {
                    errors++;
                    if (firstError == null) {
                        firstError = e.toString();
                    }
                    admin.reopen();
                    proxy.reopen();
                }
            }
            admin.close();
            proxy.close();
            long[] a = Arrays.copyOf(lat, ok);
            Arrays.sort(a);
            long[] pp = Arrays.copyOf(puts, nPuts);
            Arrays.sort(pp);
            System.out.printf(Locale.ROOT, "PROP samples=%d errors=%d p50=%d p90=%d p99=%d max=%d put_p50=%d put_p99=%d%n",
                    ok, errors, percentile(a, 50), percentile(a, 90), percentile(a, 99), a.length == 0 ? -1 : a[a.length - 1],
                    percentile(pp, 50), percentile(pp, 99));
            if (firstError != null) {
                System.out.println("PROP first_error=" + firstError.replace('\n', ' '));
            }
        }
    }

    // ------------------------------------------------------------------------------------------

    static final class Routes {
        /**
         * The mix, one kind per route in turn: exact uri; prefix uri; host (a tenant host on the same
         * uris a user calls, so the host index is exercised); vars (25 routes per uri, told apart by
         * a header and post_arg.model, so a request to them walks candidates and reads the body).
         */
        static String route(int i, String upstream) {
            String up = "\"upstream\":{\"type\":\"roundrobin\",\"nodes\":{\"" + upstream + "\":1}}";
            return switch (i % 4) {
                case 0 -> "{\"uri\":\"/bench/exact/" + i + "/v1/chat/completions\"," + up + "}";
                case 1 -> "{\"uri\":\"/bench/prefix/" + i + "/*\"," + up + "}";
                case 2 -> "{\"uris\":[\"/v1/chat/completions\",\"/plain/v1/chat/completions\"],"
                        + "\"hosts\":[\"t" + i + ".tenant.example\"]," + up + "}";
                default -> "{\"uri\":\"/bench/vars/" + (i % 100) + "\",\"methods\":[\"POST\"],\"vars\":[[\"http_x_tenant\",\"==\",\"t"
                        + i + "\"],[\"post_arg.model\",\"==\",\"m" + i + "\"]]," + up + "}";
            };
        }

        /** The stored value, as the Admin API would store it (id and timestamps added). */
        static String stored(int i, String upstream) {
            String r = route(i, upstream);
            return "{\"id\":\"bench-scale-" + i + "\",\"create_time\":1735689600,\"update_time\":1735689600,"
                    + r.substring(1);
        }

        static String jsonString(String v) {
            return "\"" + v.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        }

        /**
         * Adds N routes to a stopped gateway's built-in store file ({@code data/store.json}), keeping
         * its format: loading 10 000 routes through the Admin API one PUT at a time rewrites and
         * fsyncs the whole file per PUT (see bench/README.md), far too slow for the suite.
         */
        static void storeAppend(Map<String, String> o) throws IOException {
            Path file = Path.of(o.get("file"));
            int count = Integer.parseInt(o.getOrDefault("count", "10000"));
            String upstream = o.get("upstream");
            String prefix = o.getOrDefault("prefix", "/apisix");
            String doc = Files.readString(file);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"revision\"\\s*:\\s*(\\d+)").matcher(doc);
            if (!m.find()) {
                throw new IOException("no revision in " + file);
            }
            long rev = Long.parseLong(m.group(1));
            int close = doc.lastIndexOf(']');
            int open = doc.indexOf('[', doc.indexOf("\"entries\""));
            if (close < 0 || open < 0 || open > close) {
                throw new IOException("no entries array in " + file);
            }
            boolean empty = doc.substring(open + 1, close).isBlank();
            StringBuilder add = new StringBuilder(count * 400);
            for (int i = 0; i < count; i++) {
                long r = rev + i + 1;
                if (!empty || i > 0) {
                    add.append(",\n");
                }
                add.append("{\"key\":").append(jsonString(prefix + "/routes/bench-scale-" + i))
                        .append(",\"value\":").append(jsonString(stored(i, upstream)))
                        .append(",\"create_revision\":").append(r).append(",\"mod_revision\":").append(r).append('}');
            }
            String out = doc.substring(0, m.start(1)) + (rev + count) + doc.substring(m.end(1), close) + add + doc.substring(close);
            Files.writeString(file, out);
            System.out.printf(Locale.ROOT, "STORE appended=%d revision=%d bytes=%d%n", count, rev + count, out.length());
        }

        /** Puts N routes straight into etcd through its v3 JSON gateway (as the Admin API would store them). */
        static void etcdLoad(Map<String, String> o) throws Exception {
            String etcd = o.get("etcd");
            String prefix = o.get("prefix");
            int count = Integer.parseInt(o.getOrDefault("count", "10000"));
            String upstream = o.get("upstream");
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).build();
            java.util.Base64.Encoder b64 = java.util.Base64.getEncoder();
            Semaphore permits = new Semaphore(16);
            AtomicInteger failed = new AtomicInteger();
            long t0 = System.nanoTime();
            List<CompletableFuture<?>> all = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                if (!permits.tryAcquire(60, TimeUnit.SECONDS)) {
                    failed.addAndGet(count - i);
                    break;
                }
                String body = "{\"key\":\"" + b64.encodeToString((prefix + "/routes/bench-scale-" + i).getBytes(StandardCharsets.UTF_8))
                        + "\",\"value\":\"" + b64.encodeToString(stored(i, upstream).getBytes(StandardCharsets.UTF_8)) + "\"}";
                HttpRequest req = HttpRequest.newBuilder(URI.create(etcd + "/v3/kv/put")).timeout(Duration.ofSeconds(30))
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
                all.add(http.sendAsync(req, HttpResponse.BodyHandlers.discarding()).whenComplete((r, e) -> {
                    permits.release();
                    if (e != null || r.statusCode() != 200) {
                        failed.incrementAndGet();
                    }
                }));
            }
            try {
                CompletableFuture.allOf(all.toArray(new CompletableFuture[0])).get(300, TimeUnit.SECONDS);
            } catch (Exception e) {
                // counted
            }
            System.out.printf(Locale.ROOT, "ROUTES count=%d failed=%d millis=%d%n", count, failed.get(),
                    (System.nanoTime() - t0) / 1_000_000);
        }

        static void run(Map<String, String> o) throws Exception {
            String admin = "http://127.0.0.1:" + o.get("admin-port");
            String key = o.get("key");
            int count = Integer.parseInt(o.getOrDefault("count", "10000"));
            int conc = Integer.parseInt(o.getOrDefault("concurrency", "8"));
            String upstream = o.get("upstream");
            long timeoutSec = Long.parseLong(o.getOrDefault("timeout", "600"));
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).build();
            Semaphore permits = new Semaphore(conc);
            AtomicInteger failed = new AtomicInteger();
            List<String> firstErr = new ArrayList<>();
            long t0 = System.nanoTime();
            long deadline = t0 + TimeUnit.SECONDS.toNanos(timeoutSec);
            List<CompletableFuture<?>> all = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !permits.tryAcquire(left, TimeUnit.NANOSECONDS)) {
                    failed.addAndGet(count - i);
                    break;
                }
                HttpRequest req = HttpRequest.newBuilder(URI.create(admin + "/apisix/admin/routes/bench-scale-" + i))
                        .timeout(Duration.ofSeconds(60))
                        .header("X-API-KEY", key).header("Content-Type", "application/json")
                        .PUT(HttpRequest.BodyPublishers.ofString(route(i, upstream))).build();
                all.add(http.sendAsync(req, HttpResponse.BodyHandlers.ofString()).whenComplete((r, e) -> {
                    permits.release();
                    if (e != null || (r.statusCode() != 200 && r.statusCode() != 201)) {
                        failed.incrementAndGet();
                        synchronized (firstErr) {
                            if (firstErr.isEmpty()) {
                                firstErr.add(e != null ? e.toString() : r.statusCode() + " " + r.body());
                            }
                        }
                    }
                }));
            }
            try {
                CompletableFuture.allOf(all.toArray(new CompletableFuture[0]))
                        .get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (Exception e) {
                // counted below
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            System.out.printf(Locale.ROOT, "ROUTES count=%d failed=%d millis=%d%n", count, failed.get(), ms);
            if (!firstErr.isEmpty()) {
                System.out.println("ROUTES first_error=" + firstErr.get(0).replace('\n', ' '));
            }
        }
    }

    // ------------------------------------------------------------------------------------------

    /**
     * raw.tsv lines: {@code section <TAB> pass <TAB> target <TAB> metric <TAB> value}. The report takes
     * the median over passes of each (section, target, metric), then the ratios and verdicts.
     */
    static final class Report {
        final Map<String, List<Double>> values = new LinkedHashMap<>();
        final Map<String, String> meta = new LinkedHashMap<>();

        static void run(Map<String, String> o) throws Exception {
            Report r = new Report();
            for (String line : Files.readAllLines(Path.of(o.get("raw")))) {
                String[] f = line.split("\t");
                if (f.length == 5) {
                    try {
                        r.values.computeIfAbsent(f[0] + "|" + f[2] + "|" + f[3], k -> new ArrayList<>())
                                .add(Double.parseDouble(f[4]));
                    } catch (NumberFormatException ignored) {
                        // not a number: skipped
                    }
                }
            }
            if (o.containsKey("meta")) {
                for (String line : Files.readAllLines(Path.of(o.get("meta")))) {
                    int eq = line.indexOf('=');
                    if (eq > 0) {
                        r.meta.put(line.substring(0, eq), line.substring(eq + 1));
                    }
                }
            }
            String md = r.render();
            Files.writeString(Path.of(o.get("out")), md);
            System.out.print(md);
        }

        Double med(String section, String target, String metric) {
            List<Double> l = values.get(section + "|" + target + "|" + metric);
            if (l == null || l.isEmpty()) {
                return null;
            }
            double[] a = l.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
        }

        Double max(String section, String target, String metric) {
            List<Double> l = values.get(section + "|" + target + "|" + metric);
            return l == null ? null : l.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
        }

        Double sum(String section, String target, String metric) {
            List<Double> l = values.get(section + "|" + target + "|" + metric);
            return l == null ? null : l.stream().mapToDouble(Double::doubleValue).sum();
        }

        static String f0(Double d) {
            return d == null ? "n/a" : String.format(Locale.ROOT, "%,.0f", d);
        }

        static String f1(Double d) {
            return d == null ? "n/a" : String.format(Locale.ROOT, "%.1f", d);
        }

        static String f2(Double d) {
            return d == null ? "n/a" : String.format(Locale.ROOT, "%.2f", d);
        }

        static Double minus(Double a, Double b) {
            return a == null || b == null ? null : a - b;
        }

        static Double div(Double a, Double b) {
            return a == null || b == null || b == 0 ? null : a / b;
        }

        static Double worst(boolean higherIsWorse, Double... xs) {
            Double w = null;
            for (Double x : xs) {
                if (x != null && (w == null || (higherIsWorse ? x > w : x < w))) {
                    w = x;
                }
            }
            return w;
        }

        static final String[] TARGETS = {"direct", "nginx", "plain", "ai"};
        static final Map<String, String> NAMES = Map.of("direct", "direct to mock", "nginx", "nginx hop",
                "plain", "aigw plain route", "ai", "aigw ai-proxy route");

        /**
         * A table of one ai-proxy route with and without a plugin, measured in the same passes:
         * {@code rows} are {target, label} of {@code section}. Runs that recorded the CPU of thread
         * groups (event loops, GC, JIT, the logger's writer) get a column each; an on/off pair of rows
         * gets the paired RPS loss under the table.
         */
        private void sameRouteTable(StringBuilder s, String section, String heading, String intro, String[][] rows) {
            s.append("### ").append(heading).append("\n\n").append(intro).append("\n\n");
            String[] groups = {"loop", "gc", "jit", "writer"};
            boolean split = med(section, rows[0][0], "c50_cpu_loop_us") != null;
            s.append("| route | c50 RPS | c50 p99 (µs) | c1 p50 (µs) | CPU µs/req |")
                    .append(split ? " event loops | GC | JIT | writer |" : "").append(" errors |\n|---|---:|---:|---:|---:|")
                    .append(split ? "---:|---:|---:|---:|" : "").append("---:|\n");
            for (String[] row : rows) {
                String t = row[0];
                s.append("| ").append(row[1])
                        .append(" | ").append(f0(med(section, t, "c50_rps"))).append(" | ")
                        .append(f0(med(section, t, "c50_p99"))).append(" | ").append(f0(med(section, t, "c1_p50")))
                        .append(" | ").append(f1(med(section, t, "c50_cpu_us"))).append(" | ");
                if (split) {
                    for (String g : groups) {
                        Double v = med(section, t, "c50_cpu_" + g + "_us");
                        s.append(v == null ? "—" : f1(v)).append(" | ");
                    }
                }
                s.append(f0(plus(sum(section, t, "c50_errors"), sum(section, t, "c1_errors")))).append(" |\n");
            }
            if (split) {
                s.append("\nCPU µs per request of the whole process, then of its thread groups (the rest: other "
                        + "threads, such as the access-log writer).\n");
            }
            Double loss = rows.length == 2 ? pairedLossPct(section, rows[0][0], section, rows[1][0]) : null;
            if (loss != null && split) {
                s.append("RPS loss with the plugin on: **").append(f1(loss)).append(" %** (median over pairs of adjacent "
                        + "runs, off, on, on, off in each pass).\n");
            }
            s.append('\n');
        }

        String render() {
            StringBuilder s = new StringBuilder();
            s.append("## Performance run ").append(meta.getOrDefault("date", "")).append("\n\n");
            s.append("Machine: ").append(meta.getOrDefault("machine", "?")).append(". Mode: ")
                    .append(meta.getOrDefault("mode", "?")).append(", passes: ").append(meta.getOrDefault("passes", "?"))
                    .append(", run length: ").append(meta.getOrDefault("duration", "?")).append(" s per run")
                    .append(", warm-up: ").append(meta.getOrDefault("warmup", "?")).append(" s.  \n");
            s.append("Gateway: ").append(meta.getOrDefault("commit", "?")).append(", JVM flags `")
                    .append(meta.getOrDefault("jvm_opts", "")).append("`, ").append(meta.getOrDefault("java", ""))
                    .append(".  \n");
            s.append("Load: wrk, POST of a ").append(meta.getOrDefault("body_bytes", "?"))
                    .append("-byte chat body; mock answer ").append(meta.getOrDefault("answer_bytes", "?"))
                    .append(" bytes. Medians over passes; latencies in µs.\n\n");
            for (String section : new String[] {"pinned", "unpinned"}) {
                if (med(section, "direct", "c50_rps") == null && med(section, "ai", "c50_rps") == null
                        && med(section, "plain", "c50_rps") == null) {
                    continue;
                }
                s.append("### Throughput and latency, ").append(section).append(section.equals("pinned")
                        ? " (wrk on CPU 0; mock and the proxy under test on CPU 1)\n\n" : " (no taskset)\n\n");
                s.append("| target | c50 RPS | % of nginx hop | c50 p50 | c50 p99 | p99/p50 | c1 p50 | c1 p99 | c1 added p50 | c1 added p99 | CPU µs/req (c50) | errors |\n");
                s.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
                Double nginxRps = med(section, "nginx", "c50_rps");
                Double d50 = med(section, "direct", "c1_p50");
                Double d99 = med(section, "direct", "c1_p99");
                for (String t : TARGETS) {
                    Double rps = med(section, t, "c50_rps");
                    if (rps == null && med(section, t, "c1_p50") == null) {
                        s.append("| ").append(NAMES.get(t)).append(" | not measured (").append(
                                meta.getOrDefault("skip_" + t, "unavailable")).append(") |||||||||||\n");
                        continue;
                    }
                    Double p50 = med(section, t, "c50_p50");
                    Double p99 = med(section, t, "c50_p99");
                    Double pct = div(rps, nginxRps);
                    s.append("| ").append(NAMES.get(t)).append(" | ").append(f0(rps)).append(" | ")
                            .append(pct == null ? "n/a" : f1(pct * 100) + " %").append(" | ").append(f0(p50))
                            .append(" | ").append(f0(p99)).append(" | ").append(f2(div(p99, p50))).append(" | ")
                            .append(f0(med(section, t, "c1_p50"))).append(" | ").append(f0(med(section, t, "c1_p99")))
                            .append(" | ").append(t.equals("direct") ? "—" : f0(minus(med(section, t, "c1_p50"), d50)))
                            .append(" | ").append(t.equals("direct") ? "—" : f0(minus(med(section, t, "c1_p99"), d99)))
                            .append(" | ").append(f1(med(section, t, "c50_cpu_us"))).append(" | ")
                            .append(f0(plus(sum(section, t, "c50_errors"), sum(section, t, "c1_errors"))))
                            .append(" |\n");
                }
                s.append('\n');
            }
            String variants = meta.getOrDefault("variants", "").trim();
            if (!variants.isEmpty()) {
                s.append("### Other JVM flags (extra rows, pinned, the same jar started with `java FLAGS -jar`; ")
                        .append("the goals below are the shipped start command's)\n\n");
                s.append("| variant | target | c50 RPS | % of nginx hop | c1 added p50 | c1 added p99 | CPU µs/req (c50) | peak RSS | errors |\n");
                s.append("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
                Double nginxRps = med("pinned", "nginx", "c50_rps");
                Double d50 = med("pinned", "direct", "c1_p50");
                Double d99 = med("pinned", "direct", "c1_p99");
                for (String v : variants.split(" +")) {
                    String sec = "variant-" + v;
                    for (String t : new String[] {"plain", "ai"}) {
                        Double rps = med(sec, t, "c50_rps");
                        if (rps == null) {
                            continue;
                        }
                        Double pct = div(rps, nginxRps);
                        s.append("| ").append(v).append(" | ").append(NAMES.get(t)).append(" | ").append(f0(rps))
                                .append(" | ").append(pct == null ? "n/a" : f1(pct * 100) + " %")
                                .append(" | ").append(f0(minus(med(sec, t, "c1_p50"), d50)))
                                .append(" | ").append(f0(minus(med(sec, t, "c1_p99"), d99)))
                                .append(" | ").append(f1(med(sec, t, "c50_cpu_us")))
                                .append(" | ").append(f1(div(max(sec, "gateway", "vmhwm_kb"), 1024.0))).append(" MiB")
                                .append(" | ").append(f0(plus(sum(sec, t, "c50_errors"), sum(sec, t, "c1_errors"))))
                                .append(" |\n");
                    }
                }
                s.append('\n');
                for (String v : variants.split(" +")) {
                    s.append("- ").append(v).append(": `").append(meta.getOrDefault("variant_" + v, "?")).append("`\n");
                }
                s.append('\n');
            }
            if (med("sse", "direct", "ttft_p50") != null) {
                s.append("### Streaming (").append(meta.getOrDefault("sse_n", "50"))
                        .append(" sequential streams on one kept-alive connection; 20 chunks 10 ms apart; pinned)\n\n");
                s.append("| target | TTFT p50 | TTFT p90 | added TTFT p50 | total p50 | total p90 | added total p50 | errors |\n");
                s.append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
                Double dt = med("sse", "direct", "ttft_p50");
                Double dtot = med("sse", "direct", "total_p50");
                for (String t : TARGETS) {
                    if (med("sse", t, "ttft_p50") == null) {
                        s.append("| ").append(NAMES.get(t)).append(" | not measured |||||||\n");
                        continue;
                    }
                    s.append("| ").append(NAMES.get(t)).append(" | ").append(f0(med("sse", t, "ttft_p50"))).append(" | ")
                            .append(f0(med("sse", t, "ttft_p90"))).append(" | ")
                            .append(t.equals("direct") ? "—" : f0(minus(med("sse", t, "ttft_p50"), dt))).append(" | ")
                            .append(f0(med("sse", t, "total_p50"))).append(" | ").append(f0(med("sse", t, "total_p90")))
                            .append(" | ").append(t.equals("direct") ? "—" : f0(minus(med("sse", t, "total_p50"), dtot)))
                            .append(" | ").append(f0(sum("sse", t, "errors"))).append(" |\n");
                }
                s.append('\n');
            }
            if (med("metrics-off", "plain", "c50_rps") != null || med("metrics-off", "ai", "c50_rps") != null) {
                s.append("### prometheus on a global rule (pinned, c50; off, on, on, off in each pass after a warm-up with it on; "
                        + "loss: the median over pairs of adjacent runs)\n\n");
                s.append("| target | c50 RPS off | c50 RPS on | loss | c50 p99 off | c50 p99 on | event loops µs/req off "
                        + "| event loops µs/req on | JIT µs/req off | JIT µs/req on |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
                for (String t : new String[] {"plain", "ai"}) {
                    Double loss = metricsLossPct(t);
                    s.append("| ").append(NAMES.get(t)).append(" | ").append(f0(med("metrics-off", t, "c50_rps")))
                            .append(" | ").append(f0(med("metrics-on", t, "c50_rps"))).append(" | ")
                            .append(loss == null ? "n/a" : f1(loss) + " %").append(" | ")
                            .append(f0(med("metrics-off", t, "c50_p99"))).append(" | ")
                            .append(f0(med("metrics-on", t, "c50_p99"))).append(" | ")
                            .append(f1(med("metrics-off", t, "c50_cpu_loop_us"))).append(" | ")
                            .append(f1(med("metrics-on", t, "c50_cpu_loop_us"))).append(" | ")
                            .append(f1(med("metrics-off", t, "c50_cpu_jit_us"))).append(" | ")
                            .append(f1(med("metrics-on", t, "c50_cpu_jit_us"))).append(" |\n");
                }
                s.append('\n');
            }
            String[][] twins = {{"twin-prometheus-plain", "prometheus on a global rule, plain route"},
                    {"twin-prometheus-ai", "prometheus on a global rule, ai-proxy route"},
                    {"twin-reqlog", "ai-request-log (SQLite) on the ai-proxy route"},
                    {"twin-kafka", "kafka-logger (batch 1 000, summaries) on the ai-proxy route"}};
            if (java.util.Arrays.stream(twins).anyMatch(t -> med(t[0], "pair", "cpu_loss_pct") != null)) {
                s.append("### Plugin cost, twins (two gateways on the proxy core, loaded at the same time; "
                        + "the plugin on in one, swapped between runs)\n\n");
                s.append("Adjacent runs of one gateway differ by up to ±20 % on this kind of host; two gateways loaded "
                        + "at the same time see the same swings, and the ratio of their CPU per request cancels them. "
                        + "Each pair of runs (the plugin on twin B, then on twin A) gives one loss from the geometric mean "
                        + "of its two ratios, so the twins' own difference cancels as well. Loss: the gateway's CPU per "
                        + "request with the plugin over without it, i.e. the RPS it loses on a core of its own (the proxy "
                        + "only: the mock's share of the core is left out, which makes it the stricter figure). RPS "
                        + "ratio: what the twins served side by side on their shared core.\n\n");
                s.append("| plugin | CPU µs/req off | CPU µs/req on | loss (median of pairs) | pairs: lowest, highest "
                        + "| RPS loss, shared core | pairs | errors |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
                for (String[] t : twins) {
                    List<Double> pairs = values.get(t[0] + "|pair|cpu_loss_pct");
                    if (pairs == null || pairs.isEmpty()) {
                        continue;
                    }
                    s.append("| ").append(t[1]).append(" | ").append(f1(med(t[0], "off", "c50_cpu_us"))).append(" | ")
                            .append(f1(med(t[0], "on", "c50_cpu_us"))).append(" | **")
                            .append(f1(med(t[0], "pair", "cpu_loss_pct"))).append(" %** | ")
                            .append(f1(pairs.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN)))
                            .append(" %, ").append(f1(max(t[0], "pair", "cpu_loss_pct"))).append(" % | ")
                            .append(f1(med(t[0], "pair", "rps_loss_pct"))).append(" % | ").append(pairs.size())
                            .append(" | ").append(f0(plus(sum(t[0], "on", "c50_errors"), sum(t[0], "off", "c50_errors"))))
                            .append(" |\n");
                }
                s.append('\n');
            }
            if (med("scale", "plain", "c50_rps") != null || med("scale", "ai", "c50_rps") != null) {
                s.append("### Scale: ").append(meta.getOrDefault("scale_routes", "10000"))
                        .append(" other routes loaded (exact, prefix, host, vars; pinned)\n\n");
                s.append("Built-in store: the routes are written into the store file of the stopped gateway, which is then "
                        + "restarted and warmed up again; \"before\" is a second gateway with only the benchmark routes, "
                        + "running beside it and measured in the same passes, interleaved. etcd: put straight into etcd while "
                        + "the gateway watches. "
                        + "The data plane saw all of them ").append(meta.getOrDefault("scale_visible_ms_builtin", "?"))
                        .append(" ms after start (built-in) / ").append(meta.getOrDefault("scale_visible_ms_etcd", "?"))
                        .append(" ms after the last etcd put.\n\n");
                s.append("| target | c50 RPS before | c50 RPS with routes | loss | c50 p99 with routes | c1 p50 with routes | errors |\n");
                s.append("|---|---:|---:|---:|---:|---:|---:|\n");
                for (String t : new String[] {"plain", "ai"}) {
                    Double before = scaleBaseline(t);
                    Double after = med("scale", t, "c50_rps");
                    Double loss = lossPct(t);
                    s.append("| ").append(NAMES.get(t)).append(" | ").append(f0(before)).append(" | ").append(f0(after))
                            .append(" | ").append(loss == null ? "n/a" : f1(loss) + " %").append(" | ")
                            .append(f0(med("scale", t, "c50_p99"))).append(" | ").append(f0(med("scale", t, "c1_p50")))
                            .append(" | ").append(f0(plus(sum("scale", t, "c50_errors"), sum("scale", t, "c1_errors"))))
                            .append(" |\n");
                }
                s.append('\n');
            }
            if (med("reqlog", "ai", "c50_rps") != null && med("reqlog", "ailog", "c50_rps") != null) {
                sameRouteTable(s, "reqlog", "Request log (ai-request-log on vs off; pinned, same gateway, interleaved)",
                        "The same ai-proxy route with and without `ai-request-log` (SQLite, default batch settings), "
                        + "measured in the same passes. Every request on the logged route becomes a row.",
                        new String[][] {{"ai", "ai-proxy, no request log"}, {"ailog", "ai-proxy + ai-request-log"}});
            }
            if (med("reqlog-pg", "ai", "c50_rps") != null && med("reqlog-pg", "ailog", "c50_rps") != null) {
                sameRouteTable(s, "reqlog-pg", "Request log on PostgreSQL (ai-request-log on vs off; pinned, a gateway of its own)",
                        "As above with `plugin_attr.ai-request-log.dsn` set to a PostgreSQL server (Debian's, on the "
                        + "load generator's core like the Kafka broker: the log's destination, not the proxy under "
                        + "test). The goal below is judged on the default, SQLite.",
                        new String[][] {{"ai", "ai-proxy, no request log"}, {"ailog", "ai-proxy + ai-request-log (PostgreSQL)"}});
            } else if (meta.containsKey("skip_reqlog_pg")) {
                s.append("Request log on PostgreSQL not measured: ").append(meta.get("skip_reqlog_pg")).append(".\n\n");
            }
            if (med("kafka", "ai", "c50_rps") != null && med("kafka", "aikafka", "c50_rps") != null) {
                sameRouteTable(s, "kafka", "Kafka logger (kafka-logger on vs off; pinned, same gateway, interleaved)",
                        "The same ai-proxy route with and without `kafka-logger` (batch_max_size 1000, ai-proxy's "
                        + "`logging.summaries` on, a real single-node broker from the tests' Maven jars on the load "
                        + "generator's core), measured in the same passes. Every request on the logged route becomes "
                        + "an entry in a Kafka record.",
                        new String[][] {{"ai", "ai-proxy, no kafka-logger"}, {"aikafka", "ai-proxy + kafka-logger"}});
            }
            if (med("cache", "aicache", "c50_rps") != null) {
                sameRouteTable(s, "cache", "AI cache (ai-cache hit vs miss vs no cache; pinned, same gateway, interleaved)",
                        "The same ai-proxy route without `ai-cache`, with it keyed per request (every request a miss: "
                        + "lookup, provider call, store) and with it on a repeated body (every request after the first "
                        + "a hit, answered without the provider).",
                        new String[][] {{"ai", "ai-proxy, no cache"}, {"aimiss", "ai-cache miss"}, {"aicache", "ai-cache hit"}});
            }
            List<String> plugins = new ArrayList<>();
            for (String k : values.keySet()) {
                String[] f = k.split("\\|");
                if (f[0].equals("plugins") && f[1].startsWith("p:") && f[2].equals("c50_rps") && !plugins.contains(f[1])) {
                    plugins.add(f[1]);
                }
            }
            if (!plugins.isEmpty() && med("plugins", "ai", "c50_rps") != null) {
                s.append("### Plugin cost (the ai-proxy route plus one plugin vs the bare route; pinned, c50, same passes)\n\n");
                s.append("Each row is the ai-proxy route of the tables above with one more plugin, configured as a user "
                        + "would and with limits far above the load (nothing is refused; any refusal counts as an error). "
                        + "The bare route ran at the start of each pass and after every four rows; its median is the "
                        + "baseline. `anthropic` is not a plugin: an Anthropic Messages request on `/v1/messages` served by "
                        + "the same OpenAI provider (request and answer converted) against the native OpenAI path. "
                        + "`-redis` rows use `policy: redis` on a local Redis pinned with the gateway. This section runs on a "
                        + "gateway of its own (peak RSS ").append(f1(div(max("res-plugins", "gateway", "vmhwm_kb"), 1024.0)))
                        .append(" MiB with every case's route loaded), not counted in the resources below.\n\n");
                Double base = med("plugins", "ai", "c50_rps");
                s.append("| route | c50 RPS | RPS loss | c50 p99 (µs) | CPU µs/req | added CPU µs/req | errors |\n");
                s.append("|---|---:|---:|---:|---:|---:|---:|\n");
                s.append("| ai-proxy alone | ").append(f0(base)).append(" | — | ").append(f0(med("plugins", "ai", "c50_p99")))
                        .append(" | ").append(f1(med("plugins", "ai", "c50_cpu_us"))).append(" | — | ")
                        .append(f0(sum("plugins", "ai", "c50_errors"))).append(" |\n");
                for (String t : plugins) {
                    Double loss = pluginLossPct(t);
                    s.append("| + ").append(t.substring(2)).append(" | ").append(f0(med("plugins", t, "c50_rps"))).append(" | ")
                            .append(loss == null ? "n/a" : f1(loss) + " %").append(" | ")
                            .append(f0(med("plugins", t, "c50_p99"))).append(" | ").append(f1(med("plugins", t, "c50_cpu_us")))
                            .append(" | ").append(f1(minus(med("plugins", t, "c50_cpu_us"), med("plugins", "ai", "c50_cpu_us"))))
                            .append(" | ").append(f0(plus(sum("plugins", t, "c50_errors"), sum("plugins", t, "c1_errors"))))
                            .append(" |\n");
                }
                if (med("plugins", "p:anthropic", "c1_p50") != null) {
                    s.append("\nProtocol conversion at c1 (unloaded): native OpenAI path p50 ")
                            .append(f0(med("plugins", "ai", "c1_p50"))).append(" µs / p99 ").append(f0(med("plugins", "ai", "c1_p99")))
                            .append(" µs; Anthropic Messages converted p50 ").append(f0(med("plugins", "p:anthropic", "c1_p50")))
                            .append(" µs / p99 ").append(f0(med("plugins", "p:anthropic", "c1_p99"))).append(" µs (added p50 ")
                            .append(f0(minus(med("plugins", "p:anthropic", "c1_p50"), med("plugins", "ai", "c1_p50"))))
                            .append(" µs: the time to first byte of a non-streamed answer).\n");
                }
                if (plugins.contains("p:ai-prompt-template")) {
                    s.append("\n`ai-prompt-template` sends a different body from the baseline's: `bench/load/template.json` "
                            + "(`template_name` and two fields, ").append(meta.getOrDefault("template_body_bytes", "?"))
                            .append(" bytes) rendered into a chat body without `temperature`, `max_tokens` and `stream`; "
                                    + "the row is the template's cost plus that difference in body.\n");
                }
                if (plugins.contains("p:ai-request-rewrite")) {
                    s.append("\n`ai-request-rewrite` makes a second upstream call per request (its rewriting LLM is the "
                            + "mock too, on the same core as the gateway; it answers the chat body as text, which ai-proxy "
                            + "then sends): its cost is mostly that extra call, reported as measured.\n");
                }
                s.append('\n');
            }
            s.append(fields());
            boolean anyProp = false;
            StringBuilder p = new StringBuilder();
            p.append("### Config propagation (Admin API PUT returned → first request on the proxy port that sees it; µs)\n\n");
            p.append("| store | routes loaded | changes | p50 | p90 | p99 | max | errors | Admin PUT p50 | Admin PUT p99 |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            for (String store : new String[] {"builtin", "etcd"}) {
                for (String size : new String[] {"small", "10k"}) {
                    String t = store + "-" + size;
                    if (med("prop", t, "p50") == null) {
                        continue;
                    }
                    anyProp = true;
                    p.append("| ").append(store).append(" | ").append(size.equals("small") ? "a few" : meta.getOrDefault("scale_routes", "10000"))
                            .append(" | ").append(f0(sum("prop", t, "samples"))).append(" | ").append(f0(med("prop", t, "p50")))
                            .append(" | ").append(f0(med("prop", t, "p90"))).append(" | ").append(f0(med("prop", t, "p99")))
                            .append(" | ").append(f0(med("prop", t, "max"))).append(" | ").append(f0(sum("prop", t, "errors")))
                            .append(" | ").append(f0(med("prop", t, "put_p50"))).append(" | ").append(f0(med("prop", t, "put_p99")))
                            .append(" |\n");
                }
            }
            if (anyProp) {
                s.append(p).append('\n');
            }
            s.append("### Resources\n\n");
            s.append("Gateway peak RSS (VmHWM, largest over the gateway runs: the core suite — plain and ai-proxy routes, streams, prometheus, config changes — 10 000 routes on the built-in store, etcd with 10 000 routes): **").append(f1(div(max("res", "gateway", "vmhwm_kb"), 1024.0)))
                    .append(" MiB**; RSS at the end ").append(f1(div(max("res", "gateway", "vmrss_kb"), 1024.0)))
                    .append(" MiB; threads ").append(f0(max("res", "gateway", "threads"))).append(".");
            Double loggers = div(max("res-loggers", "gateway", "vmhwm_kb"), 1024.0);
            if (loggers != null) {
                s.append(" The same gateway after the request-log, kafka-logger and ai-cache sections (SQLite and")
                        .append(" kafka-clients loaded, a producer's buffers, the cache filled): **").append(f1(loggers))
                        .append(" MiB** peak, RSS at the end ").append(f1(div(max("res-loggers", "gateway", "vmrss_kb"), 1024.0)))
                        .append(" MiB.");
            }
            s.append("\n\n");

            s.append(goals());
            return s.toString();
        }

        static Double plus(Double a, Double b) {
            if (a == null) {
                return b;
            }
            return b == null ? a : a + b;
        }

        String goals() {
            StringBuilder g = new StringBuilder("### Goals (ratios to the nginx hop of the same run)\n\n");
            boolean quick = "quick".equals(meta.get("mode"));
            if (quick) {
                g.append("**Quick run: not comparable with a full run.** One pass of ").append(meta.getOrDefault("duration", "?"))
                        .append(" s runs after a ").append(meta.getOrDefault("warmup", "?"))
                        .append(" s warm-up: the JIT is still compiling on the pinned core, so throughput, latency and "
                                + "CPU figures are worse than the gateway's steady state, and one pass has no spread. "
                                + "Use these verdicts to spot breakage, not to judge a change.\n\n");
            }
            g.append("| metric | must | target | measured | verdict |\n|---|---|---|---|---|\n");
            Double nginx = med("pinned", "nginx", "c50_rps");
            Double ai = div(med("pinned", "ai", "c50_rps"), nginx);
            Double plain = div(med("pinned", "plain", "c50_rps"), nginx);
            goal(g, "c50 RPS, ai-proxy route, pinned", "≥ 15 %", "≥ 30 %", ai == null ? null : ai * 100, 15, 30, false, " %");
            goal(g, "c50 RPS, plain route, pinned", "≥ 30 %", "≥ 50 %", plain == null ? null : plain * 100, 30, 50, false, " %");
            Double d50 = med("pinned", "direct", "c1_p50");
            Double d99 = med("pinned", "direct", "c1_p99");
            goal(g, "c1 added p50 vs direct, ai-proxy route", "≤ 150 µs", "≤ 50 µs",
                    minus(med("pinned", "ai", "c1_p50"), d50), 150, 50, true, " µs");
            goal(g, "c1 added p99 vs direct (worst gateway route)", "≤ 1 ms", "≤ 300 µs",
                    worst(true, minus(med("pinned", "ai", "c1_p99"), d99), minus(med("pinned", "plain", "c1_p99"), d99)),
                    1000, 300, true, " µs");
            Double dt = med("sse", "direct", "ttft_p50");
            goal(g, "added time to first SSE event vs direct, p50 (worst gateway route)", "≤ 0.5 ms", "≤ 0.2 ms",
                    worst(true, minus(med("sse", "ai", "ttft_p50"), dt), minus(med("sse", "plain", "ttft_p50"), dt)),
                    500, 200, true, " µs");
            Double dtot = med("sse", "direct", "total_p50");
            goal(g, "stream total time − direct, p50 (worst gateway route)", "≤ 2 ms", "≤ 1 ms",
                    worst(true, minus(med("sse", "ai", "total_p50"), dtot), minus(med("sse", "plain", "total_p50"), dtot)),
                    2000, 1000, true, " µs");
            goal(g, "p99 / p50 at c50, pinned (worst gateway route)", "≤ 5", "≤ 2",
                    worst(true, div(med("pinned", "ai", "c50_p99"), med("pinned", "ai", "c50_p50")),
                            div(med("pinned", "plain", "c50_p99"), med("pinned", "plain", "c50_p50"))), 5, 2, true, "");
            goal(g, "peak RSS after the core suite", "≤ 220 MiB", "≤ 110 MiB",
                    div(max("res", "gateway", "vmhwm_kb"), 1024.0), 220, 110, true, " MiB");
            Double lossPlain = lossPct("plain");
            Double lossAi = lossPct("ai");
            goal(g, "RPS loss with 10 000 routes loaded (worst route)", "≤ 10 %", "≤ 3 %",
                    worst(true, lossPlain, lossAi), 10, 3, true, " %");
            Double twinReqlog = med("twin-reqlog", "pair", "cpu_loss_pct");
            goal(g, twinReqlog != null ? "RPS loss with ai-request-log on (twins)" : "RPS loss with ai-request-log on",
                    "≤ 5 %", "≤ 2 %", twinReqlog != null ? twinReqlog : pairedLossPct("reqlog", "ai", "reqlog", "ailog"),
                    5, 2, true, " %");
            Double twinKafka = med("twin-kafka", "pair", "cpu_loss_pct");
            goal(g, "RPS loss with kafka-logger on (batch 1 000, summaries)" + (twinKafka != null ? " (twins)" : ""),
                    "≤ 10 %", "≤ 5 %", twinKafka != null ? twinKafka : pairedLossPct("kafka", "ai", "kafka", "aikafka"),
                    10, 5, true, " %");
            Double propB = worst(true, med("prop", "builtin-small", "p99"), med("prop", "builtin-10k", "p99"));
            Double propE = worst(true, med("prop", "etcd-small", "p99"), med("prop", "etcd-10k", "p99"));
            goal(g, "config propagation p99, built-in store", "≤ 200 ms", "≤ 50 ms",
                    propB == null ? null : propB / 1000, 200, 50, true, " ms");
            goal(g, "config propagation p99, etcd", "≤ 200 ms", "≤ 50 ms",
                    propE == null ? null : propE / 1000, 200, 50, true, " ms");
            Double twinProm = worst(true, med("twin-prometheus-plain", "pair", "cpu_loss_pct"),
                    med("twin-prometheus-ai", "pair", "cpu_loss_pct"));
            goal(g, "RPS loss with prometheus on a global rule (worst route)" + (twinProm != null ? " (twins)" : ""),
                    "≤ 5 %", "≤ 2 %", twinProm != null ? twinProm : worst(true, metricsLossPct("plain"), metricsLossPct("ai")),
                    5, 2, true, " %");
            goal(g, "RPS loss with key-auth on the ai-proxy route", "≤ 5 %", "≤ 2 %", pluginLossPct("p:key-auth"), 5, 2, true, " %");
            double errors = 0;
            boolean any = false;
            for (Map.Entry<String, List<Double>> e : values.entrySet()) {
                if (e.getKey().endsWith("|errors") || e.getKey().endsWith("_errors")) {
                    any = true;
                    errors += e.getValue().stream().mapToDouble(Double::doubleValue).sum();
                }
            }
            goal(g, "errors (all runs, all targets)", "0", "0", any ? errors : null, 0, 0, true, "");
            g.append('\n');
            return quick ? g.toString().replace(" | **met** (", " | **met, quick** (").replace(" | **missed** |", " | **missed, quick** |")
                    : g.toString();
        }

        /** The route-field rows: upstream.checks on the plain route, the prober when idle, WebSocket relay. */
        String fields() {
            StringBuilder s = new StringBuilder();
            boolean checks = med("fields", "checks", "c50_rps") != null;
            boolean ws = med("ws", "wsgw", "c50_mps") != null || med("ws", "wsgw", "c1_p50") != null;
            if (!checks && !ws && !meta.containsKey("skip_f_checks") && !meta.containsKey("skip_ws")) {
                return "";
            }
            s.append("### Route fields (a gateway of its own; pinned, same passes)\n\n");
            if (checks) {
                s.append("The plain route (no plugin) against the same route with `upstream.checks.active` (http, "
                        + "interval 1 s, healthy after 2 successes, unhealthy after 2 HTTP failures): the prober runs "
                        + "beside the requests; the rows measure what it takes from them.\n\n");
                s.append("| route | c50 RPS | RPS loss | c50 p99 (µs) | c1 p50 (µs) | c1 p99 (µs) | CPU µs/req | errors |\n");
                s.append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
                Double base = med("fields", "plain", "c50_rps");
                for (String t : new String[] {"plain", "checks"}) {
                    Double rps = med("fields", t, "c50_rps");
                    s.append("| ").append(t.equals("plain") ? "plain route" : "plain route + upstream.checks").append(" | ")
                            .append(f0(rps)).append(" | ")
                            .append(t.equals("plain") ? "—" : base == null || rps == null ? "n/a" : f1((1 - rps / base) * 100) + " %")
                            .append(" | ").append(f0(med("fields", t, "c50_p99"))).append(" | ")
                            .append(f0(med("fields", t, "c1_p50"))).append(" | ").append(f0(med("fields", t, "c1_p99")))
                            .append(" | ").append(f1(med("fields", t, "c50_cpu_us"))).append(" | ")
                            .append(f0(plus(sum("fields", t, "c50_errors"), sum("fields", t, "c1_errors")))).append(" |\n");
                }
                Double off = med("fields", "idle-checks-off", "idle_cpu_ms");
                Double on = med("fields", "idle-checks-on", "idle_cpu_ms");
                if (off != null && on != null) {
                    s.append("\nIdle gateway (no load) over ").append(meta.getOrDefault("idle_seconds", "?"))
                            .append(" s: ").append(f0(off)).append(" ms CPU without the checks route, ").append(f0(on))
                            .append(" ms with it (one node probed every second; ")
                            .append(f0(minus(on, off))).append(" ms difference, at the resolution of 1/")
                            .append(meta.getOrDefault("clk_tck", "100")).append(" s ticks).\n");
                }
                s.append('\n');
            } else if (meta.containsKey("skip_f_checks")) {
                s.append("upstream.checks not measured: ").append(meta.get("skip_f_checks")).append(".\n\n");
            }
            if (ws) {
                s.append("WebSocket: a route with `enable_websocket: true` to an echo server (Vert.x, one event loop, on "
                        + "the gateway's core) against the echo server direct. Load: testkit's `WsBench` on CPU 0, ")
                        .append("ping-pong (each connection sends a 200-byte text message when the echo of the previous one "
                                + "came back), c50 = 50 connections, c1 = one; round trips in µs. CPU µs/msg is the gateway's "
                                + "(the echo server's on the direct row) per echoed message.\n\n");
                s.append("| target | c50 msg/s | % of direct | c50 p50 | c50 p99 | c1 msg/s | c1 p50 | c1 p99 | c1 added p50 | c1 added p99 | CPU µs/msg (c50) | errors |\n");
                s.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
                Double direct = med("ws", "wsdirect", "c50_mps");
                for (String t : new String[] {"wsdirect", "wsgw"}) {
                    boolean gw = t.equals("wsgw");
                    Double mps = med("ws", t, "c50_mps");
                    Double pct = div(mps, direct);
                    s.append("| ").append(gw ? "aigw enable_websocket route" : "echo server direct").append(" | ")
                            .append(f0(mps)).append(" | ").append(!gw ? "—" : pct == null ? "n/a" : f1(pct * 100) + " %")
                            .append(" | ").append(f0(med("ws", t, "c50_p50"))).append(" | ").append(f0(med("ws", t, "c50_p99")))
                            .append(" | ").append(f0(med("ws", t, "c1_mps"))).append(" | ").append(f0(med("ws", t, "c1_p50")))
                            .append(" | ").append(f0(med("ws", t, "c1_p99"))).append(" | ")
                            .append(!gw ? "—" : f0(minus(med("ws", t, "c1_p50"), med("ws", "wsdirect", "c1_p50")))).append(" | ")
                            .append(!gw ? "—" : f0(minus(med("ws", t, "c1_p99"), med("ws", "wsdirect", "c1_p99")))).append(" | ")
                            .append(f1(med("ws", t, "c50_cpu_us"))).append(" | ")
                            .append(f0(plus(sum("ws", t, "c50_errors"), sum("ws", t, "c1_errors")))).append(" |\n");
                }
                s.append('\n');
            } else if (meta.containsKey("skip_ws")) {
                s.append("WebSocket not measured: ").append(meta.get("skip_ws")).append(".\n\n");
            }
            return s.toString();
        }

        Double metricsLossPct(String t) {
            return pairedLossPct("metrics-off", t, "metrics-on", t);
        }

        /**
         * c50 RPS lost with a feature on: the median over pairs of runs of {@code 1 - on / off}, the
         * i-th on-run paired with the i-th off-run (run.sh's ABBA order puts each beside its pair), so
         * that a machine whose speed drifts between passes does not pass for the feature's cost. Runs
         * that do not pair up (older results) fall back to the ratio of the medians.
         */
        Double pairedLossPct(String offSection, String offTarget, String onSection, String onTarget) {
            List<Double> off = values.get(offSection + "|" + offTarget + "|c50_rps");
            List<Double> on = values.get(onSection + "|" + onTarget + "|c50_rps");
            if (off == null || on == null || off.isEmpty() || on.isEmpty()) {
                return null;
            }
            if (off.size() != on.size()) {
                return (1 - med(onSection, onTarget, "c50_rps") / med(offSection, offTarget, "c50_rps")) * 100;
            }
            double[] loss = new double[off.size()];
            for (int i = 0; i < loss.length; i++) {
                loss[i] = (1 - on.get(i) / off.get(i)) * 100;
            }
            java.util.Arrays.sort(loss);
            int n = loss.length;
            return n % 2 == 1 ? loss[n / 2] : (loss[n / 2 - 1] + loss[n / 2]) / 2;
        }

        Double pluginLossPct(String t) {
            Double base = med("plugins", "ai", "c50_rps");
            Double with = med("plugins", t, "c50_rps");
            return base == null || with == null ? null : (1 - with / base) * 100;
        }

        Double lossPct(String t) {
            Double before = scaleBaseline(t);
            Double after = med("scale", t, "c50_rps");
            return before == null || after == null ? null : (1 - after / before) * 100;
        }

        /** The route without the 10 000 others: measured beside them when the run did, else the pinned suite's figure. */
        Double scaleBaseline(String t) {
            Double beside = med("scale", "b" + t, "c50_rps");
            return beside != null ? beside : med("pinned", t, "c50_rps");
        }

        static void goal(StringBuilder g, String name, String must, String target, Double v, double mustLim,
                         double targetLim, boolean lowerIsBetter, String unit) {
            String verdict;
            if (v == null) {
                verdict = "not measured";
            } else {
                boolean t = lowerIsBetter ? v <= targetLim : v >= targetLim;
                boolean m = lowerIsBetter ? v <= mustLim : v >= mustLim;
                verdict = t ? "**met** (target)" : m ? "**met** (must only)" : "**missed**";
            }
            String val = v == null ? "n/a" : (Math.abs(v) >= 100 ? f0(v) : f2(v)) + unit;
            g.append("| ").append(name).append(" | ").append(must).append(" | ").append(target).append(" | ")
                    .append(val).append(" | ").append(verdict).append(" |\n");
        }
    }
}
