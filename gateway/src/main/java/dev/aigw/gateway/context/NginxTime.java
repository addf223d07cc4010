package dev.aigw.gateway.context;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * nginx's time formats: {@code $time_local} ({@code 26/Nov/2026:07:30:00 +0000}), {@code $time_iso8601}
 * ({@code 2026-11-26T07:30:00+00:00}, never {@code Z}), {@code $msec} and {@code $request_time}
 * (seconds with exactly three decimals).
 *
 * <p>The two calendar forms are formatted once per second and shared: a log line per request must
 * not pay for a {@link DateTimeFormatter} run each time. Thread-safe (the cache is one immutable
 * record behind a volatile reference; a race only formats the same second twice).
 *
 * <p>{@link #seconds3} is the gateway's one formatter of durations in seconds: {@code $request_time}
 * here, {@code $upstream_response_time} and {@code $upstream_header_time} in the upstreams (core and
 * plugins alike).
 */
public final class NginxTime {

    private static final DateTimeFormatter LOCAL =
            DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ENGLISH);
    private static final DateTimeFormatter ISO =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssxxx", Locale.ENGLISH);

    private record Second(long epochSecond, String local, String iso) {
    }

    private final ZoneId zone;
    private volatile Second cached = new Second(Long.MIN_VALUE, "", "");

    NginxTime(ZoneId zone) {
        this.zone = zone;
    }

    /** {@code $time_local} for a wall-clock instant in ms since the epoch. */
    String local(long epochMillis) {
        return second(epochMillis).local;
    }

    /** {@code $time_iso8601} for a wall-clock instant in ms since the epoch. */
    String iso8601(long epochMillis) {
        return second(epochMillis).iso;
    }

    private Second second(long epochMillis) {
        long sec = Math.floorDiv(epochMillis, 1000L);
        Second c = cached;
        if (c.epochSecond != sec) {
            ZonedDateTime t = ZonedDateTime.ofInstant(Instant.ofEpochSecond(sec), zone);
            c = new Second(sec, LOCAL.format(t), ISO.format(t));
            cached = c;
        }
        return c;
    }

    /** {@code $msec}: seconds since the epoch with millisecond resolution, {@code 1732606200.123}. */
    static String msec(long epochMillis) {
        return seconds3(epochMillis);
    }

    /** A duration or instant in ms as seconds with three decimals ({@code 0.042}); negatives clamp to 0. */
    public static String seconds3(long millis) {
        if (millis < 0) {
            millis = 0;
        }
        long s = millis / 1000;
        int ms = (int) (millis % 1000);
        StringBuilder sb = new StringBuilder(24).append(s).append('.');
        if (ms < 100) {
            sb.append('0');
        }
        if (ms < 10) {
            sb.append('0');
        }
        return sb.append(ms).toString();
    }
}
