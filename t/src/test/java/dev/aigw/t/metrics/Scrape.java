package dev.aigw.t.metrics;

import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * One scrape of the export server, read as samples (name, labels, value): just enough to find the
 * series a user would graph. Validity of the format is promtool's job ({@link #promtool}).
 */
record Scrape(String text, List<Sample> samples) {

    record Sample(String name, Map<String, String> labels, double value) {
        boolean has(Map<String, String> want) {
            return want.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
        }
    }

    private static final Pattern LINE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})? (\\S+)$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");

    static Scrape of(GatewayProcess gw) {
        HttpResult r = gw.send("GET", "http://127.0.0.1:" + gw.config().metricsPort() + "/apisix/prometheus/metrics",
                null, Map.of());
        assertEquals(200, r.status(), "scrape: " + r);
        assertTrue(r.header("Content-Type").startsWith("text/plain"), r.header("Content-Type"));
        return parse(r.body());
    }

    static Scrape parse(String text) {
        List<Sample> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            Matcher m = LINE.matcher(line);
            if (!m.matches()) {
                fail("unparsable sample line: " + line);
            }
            Map<String, String> labels = new LinkedHashMap<>();
            if (m.group(2) != null) {
                Matcher l = LABEL.matcher(m.group(2));
                while (l.find()) {
                    labels.put(l.group(1), l.group(2).replace("\\\"", "\"").replace("\\\\", "\\"));
                }
            }
            out.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(3).replace("+Inf", "Infinity"))));
        }
        return new Scrape(text, out);
    }

    List<Sample> find(String name, Map<String, String> labels) {
        return samples.stream().filter(s -> s.name.equals(name) && s.has(labels)).toList();
    }

    List<Sample> find(String name, Predicate<Sample> p) {
        return samples.stream().filter(s -> s.name.equals(name) && p.test(s)).toList();
    }

    /** The one sample of {@code name} with these labels (among others); fails when there are 0 or several. */
    Sample one(String name, Map<String, String> labels) {
        List<Sample> f = find(name, labels);
        assertEquals(1, f.size(), name + " " + labels + ": " + f);
        return f.get(0);
    }

    /** Sum of the values of {@code name} with these labels; 0 when none. */
    double sum(String name, Map<String, String> labels) {
        return find(name, labels).stream().mapToDouble(Sample::value).sum();
    }

    /**
     * Runs {@code promtool check metrics} over the text; returns its exit code and the problems it
     * printed (exit 0: clean, 3: lint problems only, anything else: the text does not parse).
     */
    static Map.Entry<Integer, List<String>> promtool(String text) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
        p.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("promtool did not finish");
        }
        List<String> problems = out.lines().filter(l -> !l.isBlank()).toList();
        return Map.entry(p.exitValue(), problems);
    }
}
