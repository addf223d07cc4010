package dev.aigw.t.foundation;

import dev.aigw.t.Pause;
import dev.aigw.testkit.GatewayConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's start command, {@code bin/aigw}: it starts the gateway in the foreground as the same
 * process (so it is stopped by the PID it was started with), with the JVM flags of
 * {@code bin/jvm.options} and two malloc arenas, and the gateway serves.
 */
class LauncherTest {

    @Test
    void startsTheJarWithTheShippedFlags(@TempDir Path prefix) throws Exception {
        Path root = Path.of(System.getProperty("aigw.root")).toAbsolutePath().normalize();
        GatewayConfig config = GatewayConfig.create();
        Files.createDirectories(prefix.resolve("conf"));
        Files.writeString(prefix.resolve("conf/config.yaml"), config.toYaml(), StandardCharsets.UTF_8);
        Path out = prefix.resolve("out.log");
        ProcessBuilder pb = new ProcessBuilder(root.resolve("bin/aigw").toString(), "-p", prefix.toString())
                .redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().put("AIGW_JAR", System.getProperty("aigw.jar"));
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().remove("MALLOC_ARENA_MAX");
        pb.environment().remove("AIGW_JAVA_OPTS");
        Process p = pb.start();
        try {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            HttpRequest list = HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + config.adminPort() + "/apisix/admin/routes"))
                    .header("X-API-KEY", config.adminKey()).timeout(Duration.ofSeconds(5)).build();
            int status = 0;
            for (int i = 0; i < 300 && status != 200 && p.isAlive(); i++) {
                try {
                    status = http.send(list, HttpResponse.BodyHandlers.discarding()).statusCode();
                } catch (IOException notYet) {
                    Pause.sleep(100);
                }
            }
            assertEquals(200, status, "the Admin API answers once bin/aigw started:\n" + read(out));

            // exec: the PID bin/aigw was started with is the JVM's
            String cmdline = Files.readString(Path.of("/proc/" + p.pid() + "/cmdline")).replace('\0', ' ');
            assertTrue(cmdline.contains("@" + root.resolve("bin/jvm.options")) && cmdline.contains(" -jar "),
                    "the launcher's process is java with the shipped flags file: " + cmdline);
            String environ = Files.readString(Path.of("/proc/" + p.pid() + "/environ")).replace('\0', '\n');
            assertTrue(environ.lines().anyMatch("MALLOC_ARENA_MAX=2"::equals), "two malloc arenas");

            // the flags took effect (what the JVM reports, not what the script says)
            Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    Long.toString(p.pid()), "VM.flags").redirectErrorStream(true).start();
            String flags = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(jcmd.waitFor(30, TimeUnit.SECONDS), "jcmd VM.flags finished");
            assertTrue(flags.contains("-XX:+UseSerialGC"), "serial collector: " + flags);
            assertTrue(flags.contains("-XX:MaxHeapSize=268435456"), "256 MiB heap cap: " + flags);
            assertTrue(flags.contains("-XX:NewSize=25165824"), "24 MiB young generation: " + flags);
            assertTrue(flags.contains("-XX:MaxDirectMemorySize=67108864"), "64 MiB direct memory: " + flags);
            assertTrue(flags.contains("-XX:+ExitOnOutOfMemoryError"), "exit on OOM: " + flags);
        } finally {
            p.destroy();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static String read(Path f) {
        try {
            return Files.exists(f) ? Files.readString(f, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "";
        }
    }
}
