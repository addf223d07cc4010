package dev.aigw.plugins.airatelimiting;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * ai-rate-limiting's {@code cost_expr}: an arithmetic expression over usage fields, as APISIX's
 * sandboxed Lua (numbers, {@code + - * / % ^}, parentheses, {@code abs ceil floor max min} with or
 * without {@code math.}). A missing variable counts as 0; a non-finite result is an error, a negative
 * one counts as 0, the result is rounded. Compiled once per configuration into a small tree.
 */
final class CostExpr {

    /** A compiled expression: evaluates over named values. */
    interface Node {
        double eval(Map<String, Double> vars);
    }

    private final String src;
    private int pos;

    private CostExpr(String src) {
        this.src = src;
    }

    /** Compiles, or throws {@link IllegalArgumentException} with a message naming the problem. */
    static Node compile(String expr) {
        CostExpr p = new CostExpr(expr);
        Node n = p.sum();
        p.ws();
        if (p.pos != expr.length()) {
            throw new IllegalArgumentException("unexpected '" + expr.charAt(p.pos) + "' at " + (p.pos + 1));
        }
        return n;
    }

    /** Evaluates to APISIX's cost: rounded, at least 0; throws on a non-finite result. */
    static long cost(Node n, Map<String, Double> vars) {
        double v = n.eval(vars);
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            throw new ArithmeticException("cost_expr returned non-finite value");
        }
        return v < 0 ? 0 : (long) Math.floor(v + 0.5);
    }

    private void ws() {
        while (pos < src.length() && Character.isWhitespace(src.charAt(pos))) {
            pos++;
        }
    }

    private boolean eat(char c) {
        ws();
        if (pos < src.length() && src.charAt(pos) == c) {
            pos++;
            return true;
        }
        return false;
    }

    private Node sum() {
        Node left = product();
        while (true) {
            if (eat('+')) {
                Node a = left;
                Node b = product();
                left = v -> a.eval(v) + b.eval(v);
            } else if (eat('-')) {
                Node a = left;
                Node b = product();
                left = v -> a.eval(v) - b.eval(v);
            } else {
                return left;
            }
        }
    }

    private Node product() {
        Node left = power();
        while (true) {
            if (eat('*')) {
                Node a = left;
                Node b = power();
                left = v -> a.eval(v) * b.eval(v);
            } else if (eat('/')) {
                Node a = left;
                Node b = power();
                left = v -> a.eval(v) / b.eval(v);
            } else if (eat('%')) {
                Node a = left;
                Node b = power();
                left = v -> {
                    double x = a.eval(v);
                    double y = b.eval(v);
                    return x - Math.floor(x / y) * y; // Lua's modulo
                };
            } else {
                return left;
            }
        }
    }

    private Node power() {
        Node base = unary();
        if (eat('^')) {
            Node exp = power();
            return v -> Math.pow(base.eval(v), exp.eval(v));
        }
        return base;
    }

    private Node unary() {
        if (eat('-')) {
            Node n = unary();
            return v -> -n.eval(v);
        }
        return primary();
    }

    private Node primary() {
        ws();
        if (eat('(')) {
            Node n = sum();
            if (!eat(')')) {
                throw new IllegalArgumentException("')' expected at " + (pos + 1));
            }
            return n;
        }
        if (pos >= src.length()) {
            throw new IllegalArgumentException("unexpected end of expression");
        }
        char c = src.charAt(pos);
        if (Character.isDigit(c) || c == '.') {
            int start = pos;
            while (pos < src.length() && (Character.isDigit(src.charAt(pos)) || src.charAt(pos) == '.'
                    || src.charAt(pos) == 'e' || src.charAt(pos) == 'E')) {
                pos++;
            }
            double d;
            try {
                d = Double.parseDouble(src.substring(start, pos));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("malformed number near " + (start + 1));
            }
            return v -> d;
        }
        if (Character.isLetter(c) || c == '_') {
            int start = pos;
            while (pos < src.length() && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_'
                    || src.charAt(pos) == '.')) {
                pos++;
            }
            String name = src.substring(start, pos);
            String fn = name.startsWith("math.") ? name.substring(5) : name;
            ws();
            if (pos < src.length() && src.charAt(pos) == '(') {
                pos++;
                List<Node> args = new ArrayList<>();
                if (!eat(')')) {
                    do {
                        args.add(sum());
                    } while (eat(','));
                    if (!eat(')')) {
                        throw new IllegalArgumentException("')' expected at " + (pos + 1));
                    }
                }
                return call(fn, args);
            }
            if (name.indexOf('.') >= 0) {
                throw new IllegalArgumentException("unknown name '" + name + "'");
            }
            return v -> v.getOrDefault(name, 0.0);
        }
        throw new IllegalArgumentException("unexpected '" + c + "' at " + (pos + 1));
    }

    private static Node call(String fn, List<Node> args) {
        ToDoubleFunction<Map<String, Double>> a0 = args.isEmpty() ? v -> 0 : args.get(0)::eval;
        switch (fn) {
            case "abs" -> {
                return v -> Math.abs(a0.applyAsDouble(v));
            }
            case "ceil" -> {
                return v -> Math.ceil(a0.applyAsDouble(v));
            }
            case "floor" -> {
                return v -> Math.floor(a0.applyAsDouble(v));
            }
            case "max", "min" -> {
                if (args.isEmpty()) {
                    throw new IllegalArgumentException(fn + " needs arguments");
                }
                boolean max = fn.equals("max");
                return v -> {
                    double r = args.get(0).eval(v);
                    for (int i = 1; i < args.size(); i++) {
                        double x = args.get(i).eval(v);
                        r = max ? Math.max(r, x) : Math.min(r, x);
                    }
                    return r;
                };
            }
            default -> throw new IllegalArgumentException("unknown function '" + fn + "'");
        }
    }
}
