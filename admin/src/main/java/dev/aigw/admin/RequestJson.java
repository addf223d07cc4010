package dev.aigw.admin;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;

/**
 * Decodes a request body, reporting syntax errors in the words of lua-cjson (which APISIX uses), e.g.
 * {@code Expected value but found invalid token at character 1}: the Admin API's clients and tests match
 * on these texts. A small scanner finds the first error the way cjson's parser does; valid text is then
 * decoded by Vert.x.
 */
final class RequestJson {

    /** A syntax error with cjson's message. */
    static final class SyntaxError extends Exception {
        SyntaxError(String message) {
            super(message, null, false, false);
        }
    }

    private enum T { OBJ_BEGIN, OBJ_END, ARR_BEGIN, ARR_END, STRING, NUMBER, BOOLEAN, NULL, COLON, COMMA, END, ERROR }

    private final String s;
    private int pos;
    private T type;
    private int tokenStart;
    private String tokenError;

    private RequestJson(String s) {
        this.s = s;
    }

    /** JsonObject, JsonArray, String, Number, Boolean or null. */
    static Object decode(String text) throws SyntaxError {
        new RequestJson(text).check();
        try {
            return Json.decodeValue(text);
        } catch (DecodeException e) {
            // the scanner is stricter than cjson nowhere and laxer only in corner cases; report generically
            throw new SyntaxError("Expected value but found invalid token at character 1");
        }
    }

    private void check() throws SyntaxError {
        next();
        value();
        next();
        if (type != T.END) {
            fail("Expected the end but found");
        }
    }

    private void value() throws SyntaxError {
        switch (type) {
            case OBJ_BEGIN -> object();
            case ARR_BEGIN -> array();
            case STRING, NUMBER, BOOLEAN, NULL -> {
            }
            default -> fail("Expected value but found");
        }
    }

    private void object() throws SyntaxError {
        next();
        if (type == T.OBJ_END) {
            return;
        }
        while (true) {
            if (type != T.STRING) {
                fail("Expected object key string but found");
            }
            next();
            if (type != T.COLON) {
                fail("Expected colon but found");
            }
            next();
            value();
            next();
            if (type == T.OBJ_END) {
                return;
            }
            if (type != T.COMMA) {
                fail("Expected comma or object end but found");
            }
            next();
        }
    }

    private void array() throws SyntaxError {
        next();
        if (type == T.ARR_END) {
            return;
        }
        while (true) {
            value();
            next();
            if (type == T.ARR_END) {
                return;
            }
            if (type != T.COMMA) {
                fail("Expected comma or array end but found");
            }
            next();
        }
    }

    private void fail(String expected) throws SyntaxError {
        String found = type == T.ERROR ? tokenError : "T_" + type.name();
        throw new SyntaxError(expected + " " + found + " at character " + (tokenStart + 1));
    }

    private void next() {
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                pos++;
            } else {
                break;
            }
        }
        tokenStart = pos;
        if (pos >= s.length()) {
            type = T.END;
            return;
        }
        char c = s.charAt(pos);
        switch (c) {
            case '{' -> single(T.OBJ_BEGIN);
            case '}' -> single(T.OBJ_END);
            case '[' -> single(T.ARR_BEGIN);
            case ']' -> single(T.ARR_END);
            case ',' -> single(T.COMMA);
            case ':' -> single(T.COLON);
            case '"' -> string();
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    number();
                } else if (s.startsWith("true", pos)) {
                    pos += 4;
                    type = T.BOOLEAN;
                } else if (s.startsWith("false", pos)) {
                    pos += 5;
                    type = T.BOOLEAN;
                } else if (s.startsWith("null", pos)) {
                    pos += 4;
                    type = T.NULL;
                } else {
                    error("invalid token");
                }
            }
        }
    }

    private void single(T t) {
        pos++;
        type = t;
    }

    private void error(String msg) {
        type = T.ERROR;
        tokenError = msg;
    }

    private void string() {
        pos++;
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c == '"') {
                pos++;
                type = T.STRING;
                return;
            }
            if (c == '\\') {
                if (pos + 1 >= s.length()) {
                    break;
                }
                char e = s.charAt(pos + 1);
                if (e == 'u') {
                    if (pos + 6 > s.length() || !s.substring(pos + 2, pos + 6).matches("[0-9a-fA-F]{4}")) {
                        error("invalid unicode escape code");
                        return;
                    }
                    pos += 6;
                    continue;
                }
                if ("\"\\/bfnrt".indexOf(e) < 0) {
                    error("invalid escape code");
                    return;
                }
                pos += 2;
                continue;
            }
            pos++;
        }
        error("unexpected end of string");
    }

    private void number() {
        int start = pos;
        int i = pos;
        if (i < s.length() && s.charAt(i) == '-') {
            i++;
        }
        int digits = i;
        while (i < s.length() && Character.isDigit(s.charAt(i))) {
            i++;
        }
        boolean ok = i > digits && !(s.charAt(digits) == '0' && i - digits > 1);
        if (ok && i < s.length() && s.charAt(i) == '.') {
            int f = ++i;
            while (i < s.length() && Character.isDigit(s.charAt(i))) {
                i++;
            }
            ok = i > f;
        }
        if (ok && i < s.length() && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            i++;
            if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
                i++;
            }
            int e = i;
            while (i < s.length() && Character.isDigit(s.charAt(i))) {
                i++;
            }
            ok = i > e;
        }
        if (!ok) {
            pos = start;
            error("invalid number");
            return;
        }
        pos = i;
        type = T.NUMBER;
    }
}
