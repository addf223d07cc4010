package dev.aigw.testkit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Free loopback ports for tests.
 *
 * <p>Ports come from 20000–32767, below Linux's ephemeral range (32768–60999): a port the kernel
 * picked with {@code bind(0)} is free only until the next outgoing connection of any process on the
 * machine takes it as its source port, and two {@code bind(0)} calls in a row may even return the
 * same port. Here each port is handed out at most once per JVM, and no client socket is ever given
 * one of these ports by the kernel.
 */
public final class Ports {

    private static final int LOW = 20000;
    private static final int HIGH = 32768;
    private static final AtomicInteger NEXT = new AtomicInteger(ThreadLocalRandom.current().nextInt(HIGH - LOW));

    private Ports() {
    }

    /** A TCP port on 127.0.0.1 that is free now and was not handed out before by this JVM. */
    public static int free() {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        for (int tries = 0; tries < HIGH - LOW; tries++) {
            int port = LOW + Math.floorMod(NEXT.getAndIncrement(), HIGH - LOW);
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress(loopback, port), 1);
                return port;
            } catch (IOException taken) {
                // in use by someone else: try the next one
            }
        }
        throw new IllegalStateException("no free port on 127.0.0.1 between " + LOW + " and " + (HIGH - 1));
    }
}
