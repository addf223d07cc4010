package dev.aigw.admin;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;

/**
 * Decodes a request body, reporting syntax errors in the words of lua-cjson (which APISIX uses), e.g.
 * {@code Expected value but found invalid token at character 1}: the Admin API's clients and tests match
 * on these texts. A small scanner finds the first error the way cjson's parser does; valid text is then
 * decoded by Vert.x.
 *
 * <p>Hostile input is refused before anything recurses deeply or changes the data: nesting deeper than
 * cjson's {@code decode_max_depth} (1000, cjson's own message), bytes that are not UTF-8 (decoding would
 * silently store U+FFFD), and integers beyond a signed 64-bit value (Lua's integers; Java would wrap them
 * when read as {@code long}). The scanner itself is iterative over nesting only to that bound.
 */
final class RequestJson {

    /** A syntax error with cjson's message. */
    static final class SyntaxError extends Exception {
        SyntaxError(String message) {
            super(message, null, false, false);
        }
    }

    private enum T { OBJ_BEGIN, OBJ_END, ARR_BEGIN, ARR_END, STRING, NUMBER, BOOLEAN, NULL, COLON, COMMA, END, ERROR }

    /** lua-cjson's default {@code decode_max_depth}. */
    static final int MAX_DEPTH = 1000;
    private static final BigInteger LONG_MIN = BigInteger.valueOf(Long.MIN_VALUE);
    private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);

    private final String s;
    private int depth;
    private int pos;
    private T type;
    private int tokenStart;
    private String tokenError;
    /** The error token is an integer too large (reported as such wherever it stands). */
    private boolean outOfRange;

    private RequestJson(String s) {
        this.s = s;
    }

    /**
     * Decodes UTF-8 bytes strictly: a malformed or truncated sequence is a {@link SyntaxError}
     * ({@code invalid UTF-8 byte sequence at byte N}), never a replacement character.
     */
    static String utf8(Buffer raw) throws SyntaxError {
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(raw.getBytes());
        try {
            CharBuffer out = dec.decode(in);
            return out.toString();
        } catch (MalformedInputException e) {
            throw new SyntaxError("invalid UTF-8 byte sequence at byte " + (in.position() + 1));
        } catch (CharacterCodingException e) {
            throw new SyntaxError("invalid UTF-8 byte sequence");
        }
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

    private void enter() throws SyntaxError {
        if (++depth > MAX_DEPTH) {
            // cjson's words; the scanner stops here, so nothing below recurses deeper either
            throw new SyntaxError("Found too many nested data structures (" + depth + ") at character "
                    + (tokenStart + 1));
        }
    }

    private void object() throws SyntaxError {
        enter();
        next();
        if (type == T.OBJ_END) {
            depth--;
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
                depth--;
                return;
            }
            if (type != T.COMMA) {
                fail("Expected comma or object end but found");
            }
            next();
        }
    }

    private void array() throws SyntaxError {
        enter();
        next();
        if (type == T.ARR_END) {
            depth--;
            return;
        }
        while (true) {
            value();
            next();
            if (type == T.ARR_END) {
                depth--;
                return;
            }
            if (type != T.COMMA) {
                fail("Expected comma or array end but found");
            }
            next();
        }
    }

    private void fail(String expected) throws SyntaxError {
        if (type == T.ERROR && outOfRange) {
            throw new SyntaxError(tokenError + " at character " + (tokenStart + 1));
        }
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
        boolean integer = ok && (i >= s.length() || (s.charAt(i) != '.' && s.charAt(i) != 'e' && s.charAt(i) != 'E'));
        int intEnd = i;
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
        if (integer && intEnd - start > 18) {
            BigInteger v = new BigInteger(s.substring(start, intEnd));
            if (v.compareTo(LONG_MIN) < 0 || v.compareTo(LONG_MAX) > 0) {
                // Lua's integers are 64-bit; a larger one would wrap to another value when read
                pos = start;
                error("integer " + v + " is out of range (beyond a signed 64-bit integer)");
                outOfRange = true;
                return;
            }
        }
        pos = i;
        type = T.NUMBER;
    }
}
