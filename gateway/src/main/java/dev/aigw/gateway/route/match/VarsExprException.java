package dev.aigw.gateway.route.match;

/** A {@code vars} expression that cannot be compiled; the message is lua-resty-expr's wording. */
public final class VarsExprException extends Exception {

    public VarsExprException(String message) {
        super(message, null, false, false);
    }
}
