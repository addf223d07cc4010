package dev.aigw.gateway.limit;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

/**
 * A Lua script run atomically in Redis: EVALSHA, then EVAL when the server does not know it yet
 * (after a restart or a failover), each call bounded by a timeout so that a Redis that stops answering
 * fails the check instead of holding the request.
 */
public final class RedisScript {

    private final String script;
    private final String sha;

    public RedisScript(String script) {
        this.script = script;
        try {
            this.sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1")
                    .digest(script.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // every JRE has SHA-1
        }
    }

    /** Runs the script with {@code numKeys} keys followed by the arguments. */
    public Future<Response> eval(Redis redis, long timeoutMs, int numKeys, String... keysAndArgs) {
        Request req = Request.cmd(Command.EVALSHA).arg(sha).arg(numKeys);
        for (String a : keysAndArgs) {
            req.arg(a);
        }
        return redis.send(req)
                .recover(err -> {
                    String m = err.getMessage();
                    if (m == null || !m.startsWith("NOSCRIPT")) {
                        return Future.failedFuture(err);
                    }
                    Request ev = Request.cmd(Command.EVAL).arg(script).arg(numKeys);
                    for (String a : keysAndArgs) {
                        ev.arg(a);
                    }
                    return redis.send(ev);
                })
                .timeout(timeoutMs, TimeUnit.MILLISECONDS);
    }
}
