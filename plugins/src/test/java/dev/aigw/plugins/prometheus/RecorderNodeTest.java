package dev.aigw.plugins.prometheus;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The {@code node} label of a plain route: the host of the upstream node that answered (APISIX's balancer_ip). */
class RecorderNodeTest {

    @Test
    void hostOfTheNodeThatAnswered() {
        assertEquals("127.0.0.1", Recorder.host("127.0.0.1:8080"));
        assertEquals("::1", Recorder.host("[::1]:8080"));
        assertEquals("10.0.0.2", Recorder.host("10.0.0.1:80, 10.0.0.2:80")); // retried: the last one answered
        assertEquals("backend", Recorder.host("backend"));
    }
}
