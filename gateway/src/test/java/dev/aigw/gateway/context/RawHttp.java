package dev.aigw.gateway.context;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** A byte-exact HTTP/1.1 client over a plain socket: the test controls every request byte and the connection. */
public final class RawHttp implements AutoCloseable {

    /** What came back: the bytes of the whole response and its body. */
    public record Response(int status, String head, String body, int totalBytes) {
    }

    private final Socket socket;

    public RawHttp(int port) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(10_000);
    }

    public int localPort() {
        return socket.getLocalPort();
    }

    /** Sends the request text exactly as given and reads one response (it must carry Content-Length). */
    public Response exchange(String request) throws IOException {
        socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed in the response head");
            }
            head.write(b);
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1
                    : (b == '\r' ? 1 : 0);
        }
        String h = head.toString(StandardCharsets.ISO_8859_1);
        int length = 0;
        for (String line : h.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        byte[] body = in.readNBytes(length);
        int status = Integer.parseInt(h.substring(9, 12));
        return new Response(status, h, new String(body, StandardCharsets.UTF_8), head.size() + body.length);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
