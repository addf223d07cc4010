package dev.aigw.gateway.server;

import java.util.concurrent.ThreadLocalRandom;

/** Request ids as APISIX prints {@code $apisix_request_id}: 32 lowercase hex characters. */
final class RequestIds {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private RequestIds() {
    }

    static String next() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        char[] out = new char[32];
        fill(out, 0, r.nextLong());
        fill(out, 16, r.nextLong());
        return new String(out);
    }

    private static void fill(char[] out, int at, long v) {
        for (int i = 15; i >= 0; i--) {
            out[at + i] = HEX[(int) (v & 0xf)];
            v >>>= 4;
        }
    }

    /** A client-sent id is kept only if it is short and printable, so it cannot break a log line. */
    static boolean acceptable(String id) {
        if (id == null || id.isEmpty() || id.length() > 128) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\') {
                return false;
            }
        }
        return true;
    }
}
