package dev.aigw.gateway.log;

import dev.aigw.gateway.context.RequestContext;
import io.vertx.core.json.JsonArray;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A lua-resty-expr expression over request variables, as used by loggers'
 * {@code include_req_body_expr} / {@code include_resp_body_expr}: a list of conditions (all must
 * hold), each {@code [var, op, value]} or {@code [var, "!", op, value]}, or a nested group starting
 * with {@code "AND"}, {@code "OR"}, {@code "!AND"} or {@code "!OR"}. Operators: {@code ==}, {@code ~=},
 * {@code >}, {@code <}, {@code >=}, {@code <=}, {@code ~~} (regex), {@code ~*} (case-insensitive
 * regex), {@code in}, {@code has}. Compiled once (regexes included); evaluation is allocation-light.
 *
 * <p>Kept small and local to the loggers; the route matcher's {@code vars} evaluator could replace it.
 */
public final class LogEntryExpr {

    private sealed interface Node permits Group, Compare {
        boolean eval(RequestContext ctx);
    }

    private record Group(boolean and, boolean not, List<Node> children) implements Node {
        @Override
        public boolean eval(RequestContext ctx) {
            boolean r = and;
            for (Node n : children) {
                boolean v = n.eval(ctx);
                if (and && !v) {
                    r = false;
                    break;
                }
                if (!and && v) {
                    r = true;
                    break;
                }
            }
            return not != r;
        }
    }

    private record Compare(String var, boolean not, String op, Object value, Pattern regex) implements Node {
        @Override
        public boolean eval(RequestContext ctx) {
            return not != test(ctx.var(var));
        }

        private boolean test(Object l) {
            if (l == null) {
                return false;
            }
            switch (op) {
                case "==":
                    return value instanceof Number n ? numEq(l, n) : l.toString().equals(String.valueOf(value));
                case "~=":
                    return value instanceof Number n ? !numEq(l, n) : !l.toString().equals(String.valueOf(value));
                case ">":
                case "<":
                case ">=":
                case "<=":
                    Double a = num(l);
                    Double b = num(value);
                    if (a == null || b == null) {
                        return false;
                    }
                    return switch (op) {
                        case ">" -> a > b;
                        case "<" -> a < b;
                        case ">=" -> a >= b;
                        default -> a <= b;
                    };
                case "~~":
                case "~*":
                    return regex.matcher(l.toString()).find();
                case "in":
                    for (Object o : (JsonArray) value) {
                        if (o != null && o.toString().equals(l.toString())) {
                            return true;
                        }
                    }
                    return false;
                case "has":
                    Collection<?> c = l instanceof JsonArray ja ? ja.getList() : l instanceof Collection<?> cc ? cc : null;
                    if (c == null) {
                        return false;
                    }
                    for (Object o : c) {
                        if (o != null && o.toString().equals(String.valueOf(value))) {
                            return true;
                        }
                    }
                    return false;
                default:
                    return false;
            }
        }

        private static boolean numEq(Object l, Number r) {
            Double a = num(l);
            return a != null && a == r.doubleValue();
        }
    }

    private final Node root;

    private LogEntryExpr(Node root) {
        this.root = root;
    }

    /**
     * Compiles an expression.
     *
     * @throws IllegalArgumentException with a message saying what is wrong
     */
    public static LogEntryExpr compile(JsonArray rules) {
        return new LogEntryExpr(compileNode(rules, 0));
    }

    /** True when the request's variables satisfy the expression. */
    public boolean eval(RequestContext ctx) {
        return root.eval(ctx);
    }

    private static Node compileNode(JsonArray rule, int depth) {
        if (depth > 16) {
            throw new IllegalArgumentException("expression nested too deeply");
        }
        if (rule.isEmpty()) {
            throw new IllegalArgumentException("rule should not be empty");
        }
        Object first = rule.getValue(0);
        if (first instanceof String s && isLogical(s)) {
            List<Node> children = new ArrayList<>();
            for (int i = 1; i < rule.size(); i++) {
                children.add(compileChild(rule.getValue(i), depth));
            }
            boolean not = s.startsWith("!");
            return new Group(s.toUpperCase().endsWith("AND"), not, List.copyOf(children));
        }
        if (first instanceof JsonArray) {
            List<Node> children = new ArrayList<>();
            for (Object o : rule) {
                children.add(compileChild(o, depth));
            }
            return new Group(true, false, List.copyOf(children));
        }
        return compileCompare(rule);
    }

    private static Node compileChild(Object o, int depth) {
        if (!(o instanceof JsonArray a)) {
            throw new IllegalArgumentException("rule should be a table, but got " + typeName(o));
        }
        return compileNode(a, depth + 1);
    }

    private static boolean isLogical(String s) {
        return switch (s) {
            case "AND", "OR", "!AND", "!OR" -> true;
            default -> false;
        };
    }

    private static Node compileCompare(JsonArray rule) {
        if (!(rule.getValue(0) instanceof String var)) {
            throw new IllegalArgumentException("invalid expression: the variable name must be a string");
        }
        boolean not = false;
        int i = 1;
        if (rule.size() == 4) {
            if (!"!".equals(rule.getValue(1))) {
                throw new IllegalArgumentException("invalid expression: expected \"!\" before the operator");
            }
            not = true;
            i = 2;
        } else if (rule.size() != 3) {
            throw new IllegalArgumentException("invalid expression: a rule has 3 or 4 elements");
        }
        if (!(rule.getValue(i) instanceof String op)) {
            throw new IllegalArgumentException("invalid operator");
        }
        Object value = rule.getValue(i + 1);
        Pattern regex = null;
        switch (op) {
            case "==", "~=", ">", "<", ">=", "<=", "has" -> {
            }
            case "~~", "~*" -> {
                if (!(value instanceof String s)) {
                    throw new IllegalArgumentException("invalid regex: must be a string");
                }
                try {
                    regex = Pattern.compile(s, "~*".equals(op) ? Pattern.CASE_INSENSITIVE : 0);
                } catch (PatternSyntaxException e) {
                    throw new IllegalArgumentException("invalid regex '" + s + "': " + e.getDescription());
                }
            }
            case "in" -> {
                if (!(value instanceof JsonArray)) {
                    throw new IllegalArgumentException("invalid operand of 'in': must be an array");
                }
            }
            default -> throw new IllegalArgumentException("invalid operator '" + op + "'");
        }
        return new Compare(var, not, op, value, regex);
    }

    private static Double num(Object v) {
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        if (v == null) {
            return null;
        }
        try {
            return Double.parseDouble(v.toString().trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static String typeName(Object o) {
        return o == null ? "null" : o instanceof String ? "string" : o instanceof Number ? "number" : "value";
    }
}
