package dev.aigw.gateway;

/** Entry point: {@code java -jar aigw.jar [-p prefix] [-c conf/config.yaml]}. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        System.err.println("aigw: not wired yet");
        System.exit(1);
    }
}
