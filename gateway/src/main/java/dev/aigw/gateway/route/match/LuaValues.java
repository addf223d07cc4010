package dev.aigw.gateway.route.match;

/**
 * The few Lua value rules that lua-resty-expr relies on, so that a condition compares exactly as
 * it does in APISIX: {@code tonumber}, {@code ==} between values of different types (always
 * false), and {@code tostring} of a number used as a regex subject.
 */
public final class LuaValues {

    private LuaValues() {
    }

    /**
     * Lua's {@code tonumber}: a number stays a number; a string is parsed as a decimal (optional
     * sign, fraction, exponent) or hexadecimal ({@code 0x1f}) number, surrounding white space
     * allowed; anything else is null.
     */
    static Double toNumber(Object v) {
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        if (!(v instanceof String s)) {
            return null;
        }
        int from = 0;
        int to = s.length();
        while (from < to && isSpace(s.charAt(from))) {
            from++;
        }
        while (to > from && isSpace(s.charAt(to - 1))) {
            to--;
        }
        if (from == to) {
            return null;
        }
        int i = from;
        boolean negative = false;
        if (s.charAt(i) == '+' || s.charAt(i) == '-') {
            negative = s.charAt(i) == '-';
            i++;
        }
        if (i + 1 < to && s.charAt(i) == '0' && (s.charAt(i + 1) == 'x' || s.charAt(i + 1) == 'X')) {
            return hex(s, i + 2, to, negative);
        }
        // decimal: digits [. digits] [e [sign] digits], at least one digit in the mantissa
        int digits = 0;
        int j = i;
        while (j < to && isDigit(s.charAt(j))) {
            j++;
            digits++;
        }
        if (j < to && s.charAt(j) == '.') {
            j++;
            while (j < to && isDigit(s.charAt(j))) {
                j++;
                digits++;
            }
        }
        if (digits == 0) {
            return null;
        }
        if (j < to && (s.charAt(j) == 'e' || s.charAt(j) == 'E')) {
            j++;
            if (j < to && (s.charAt(j) == '+' || s.charAt(j) == '-')) {
                j++;
            }
            int expDigits = 0;
            while (j < to && isDigit(s.charAt(j))) {
                j++;
                expDigits++;
            }
            if (expDigits == 0) {
                return null;
            }
        }
        if (j != to) {
            return null;
        }
        try {
            return Double.parseDouble(s.substring(from, to));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Double hex(String s, int from, int to, boolean negative) {
        if (from >= to) {
            return null;
        }
        double v = 0;
        for (int k = from; k < to; k++) {
            int d = Character.digit(s.charAt(k), 16);
            if (d < 0) {
                return null;
            }
            v = v * 16 + d;
        }
        return negative ? -v : v;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0x0B;
    }

    /**
     * Lua's {@code ==}: nil equals only nil, numbers compare by value, strings and booleans by
     * content; values of different types (a JSON number against a string) are never equal, and
     * tables (JSON arrays and objects) are never equal to a literal.
     */
    static boolean luaEquals(Object a, Object b) {
        if (a == null || b == null) {
            return a == b;
        }
        if (a instanceof Number x && b instanceof Number y) {
            return x.doubleValue() == y.doubleValue();
        }
        if (a instanceof String x && b instanceof String y) {
            return x.equals(y);
        }
        if (a instanceof Boolean x && b instanceof Boolean y) {
            return x.booleanValue() == y.booleanValue();
        }
        return false;
    }

    /** A regex subject as Lua would coerce it: strings as is, numbers formatted, anything else null. */
    static String toSubject(Object v) {
        if (v instanceof String s) {
            return s;
        }
        if (v instanceof Number n) {
            return numberToString(n);
        }
        return null;
    }

    /** Formats a number as Lua's {@code tostring} does for the common cases ({@code 5}, {@code 0.5}). */
    public static String numberToString(Number n) {
        if (n instanceof Integer || n instanceof Long || n instanceof Short || n instanceof Byte) {
            return n.toString();
        }
        double d = n.doubleValue();
        if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            return Long.toString((long) d);
        }
        return Double.toString(d);
    }
}
