package dev.aigw.gateway.route.match;

import dev.aigw.gateway.context.PostArgPath;
import dev.aigw.gateway.net.Cidr;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * An APISIX {@code vars} expression (lua-resty-expr v1), compiled once into a tree of immutable
 * nodes.
 *
 * <p>Form: a list of conditions, ANDed ({@code [["arg_a","==","1"],["http_x","~~","^b"]]}), or a
 * logical group whose first element is {@code AND}, {@code OR}, {@code !AND} or {@code !OR}
 * followed by at least two sub-expressions, nested freely. A condition is
 * {@code [var, op, value]} or, negated, {@code [var, "!", op, value]}; the legacy
 * {@code [var, value]} means {@code ==}. Operators (case-insensitive): {@code == ~= > >= < <= ~~ ~*
 * in has ipmatch}.
 *
 * <p>Comparison rules follow lua-resty-expr exactly:
 * <ul>
 * <li>{@code ==} / {@code ~=} with a JSON number on the right convert the left value with Lua's
 *     {@code tonumber} ({@code "1.0" == 1} holds; an unconvertible left value is unequal).
 *     Otherwise Lua equality: a number from a JSON body never equals the string {@code "1"}, and
 *     {@code null} on the right matches an unset variable.</li>
 * <li>{@code > >= < <=} convert both sides with {@code tonumber}; if either fails the condition is
 *     false.</li>
 * <li>{@code ~~} / {@code ~*} search (unanchored) a regex, case-insensitively for {@code ~*}; an
 *     unset left value is false. The regex is compiled once.</li>
 * <li>{@code in}: the left value equals (Lua equality) an element of the right-hand array;
 *     {@code has}: the left value is an array containing the right value.</li>
 * <li>{@code ipmatch}: the left value is an IP inside one of the right-hand addresses / CIDRs.</li>
 * </ul>
 *
 * <p>This is the one expression language of the gateway: routes' {@code vars} and loggers'
 * {@code include_req_body_expr} / {@code include_resp_body_expr} both compile here (lua-resty-expr is
 * one library in APISIX too), over any {@link VarSource} ({@link ContextVars} for a request).
 *
 * <p>{@code post_arg.<path>} reads the request body through {@link VarSource#postArg}, with the path
 * compiled once ({@link PostArgPath}: dotted keys, or JSONPath when it has {@code [}, {@code *} or
 * {@code ..}, whose value is the array of matches). Evaluation
 * is three-valued when the body is not available yet: a condition on the body is
 * {@link #UNKNOWN}, and groups combine with Kleene logic, so the caller only reads the body when the
 * result actually depends on it.
 */
public final class VarsExpr {

    /** {@link #eval(VarSource, boolean)} result: the expression is false. */
    public static final int FALSE = 0;
    /** {@link #eval(VarSource, boolean)} result: the expression is true. */
    public static final int TRUE = 1;
    /** {@link #eval(VarSource, boolean)} result: it depends on a body that is not available. */
    public static final int UNKNOWN = -1;

    /** The empty expression: always true. */
    public static final VarsExpr ALWAYS = new VarsExpr(null);

    private static final String POST_ARG = "post_arg.";

    /**
     * Deepest nesting of groups accepted. lua-resty-expr has no bound; a hostile rule nested hundreds
     * deep would only cost stack on every request, so it is refused at compile time.
     */
    public static final int MAX_DEPTH = 32;

    private final Node root;
    private final boolean needsBody;

    private VarsExpr(Node root) {
        this.root = root;
        this.needsBody = root != null && root.needsBody();
    }

    /**
     * Compiles an expression as the data plane does: lua-resty-expr's structural errors are
     * rejected, while a regex that does not compile makes its condition always false (as it is in
     * APISIX at run time), so a route stays usable through other branches.
     */
    public static VarsExpr compile(JsonArray rule) throws VarsExprException {
        return compile(rule, false);
    }

    /**
     * Compiles as the Admin API checks (see {@link #validate}): for configurations parsed once and
     * refused when wrong, such as a logger's {@code include_req_body_expr}.
     */
    public static VarsExpr compileStrict(JsonArray rule) throws VarsExprException {
        return compile(rule, true);
    }

    /**
     * Checks an expression for the Admin API: null when valid, else lua-resty-expr's error message
     * (such as {@code rule too short}). Stricter than APISIX in one respect: a regex that cannot be
     * compiled is refused here, since it could never match.
     */
    public static String validate(JsonArray rule) {
        try {
            compile(rule, true);
            return null;
        } catch (VarsExprException e) {
            return e.getMessage();
        }
    }

    private static VarsExpr compile(JsonArray rule, boolean strict) throws VarsExprException {
        if (rule == null) {
            throw new VarsExprException("missing argument rule");
        }
        if (rule.isEmpty()) {
            return ALWAYS;
        }
        Object first = rule.getValue(0);
        if (!isTable(first) && logicOf(first) == null) {
            throw new VarsExprException("rule should be wrapped inside brackets");
        }
        return new VarsExpr(compileRule(rule, strict, 0));
    }

    /** True when evaluation may need the request body ({@code post_arg.*} is referenced). */
    public boolean needsBody() {
        return needsBody;
    }

    /** True for the empty expression. */
    public boolean isAlways() {
        return root == null;
    }

    /** Evaluates with the body available. */
    public boolean eval(VarSource source) {
        return eval(source, true) == TRUE;
    }

    /**
     * Evaluates; when {@code bodyAvailable} is false, {@code post_arg.*} conditions are unknown and
     * the result is {@link #UNKNOWN} if it depends on them, else {@link #TRUE} / {@link #FALSE}.
     */
    public int eval(VarSource source, boolean bodyAvailable) {
        return root == null ? TRUE : root.eval(source, bodyAvailable);
    }

    // ------------------------------------------------------------------ compiler

    private static boolean isTable(Object o) {
        return o instanceof JsonArray || o instanceof JsonObject;
    }

    /** The logical operator named by a rule's first element, or null. */
    private static Logic logicOf(Object first) {
        String s = first instanceof String str ? str : first instanceof Number n ? LuaValues.numberToString(n) : null;
        if (s == null) {
            return null;
        }
        return switch (s.toUpperCase(Locale.ROOT)) {
            case "AND" -> Logic.AND;
            case "OR" -> Logic.OR;
            case "!AND" -> Logic.NOT_AND;
            case "!OR" -> Logic.NOT_OR;
            default -> null;
        };
    }

    private static Node compileRule(Object ruleObj, boolean strict, int depth) throws VarsExprException {
        if (depth > MAX_DEPTH) {
            throw new VarsExprException("rule nested too deeply (more than " + MAX_DEPTH + " levels)");
        }
        if (!(ruleObj instanceof JsonArray rule)) {
            // an object has no array part in Lua (#t == 0); a scalar is not a rule at all
            throw new VarsExprException(ruleObj instanceof JsonObject ? "rule too short" : "invalid expression");
        }
        int n = rule.size();
        if (n == 0) {
            throw new VarsExprException("rule too short");
        }
        Object first = rule.getValue(0);
        if (isTable(first)) {
            Node[] children = new Node[n];
            for (int i = 0; i < n; i++) {
                children[i] = compileRule(rule.getValue(i), strict, depth + 1);
            }
            return new Group(Logic.AND, children);
        }
        Logic logic = logicOf(first);
        if (logic != null) {
            if (n <= 2) {
                throw new VarsExprException("rule too short");
            }
            Node[] children = new Node[n - 1];
            for (int i = 1; i < n; i++) {
                children[i - 1] = compileRule(rule.getValue(i), strict, depth + 1);
            }
            return new Group(logic, children);
        }
        return compileCondition(rule, strict);
    }

    private static Node compileCondition(JsonArray expr, boolean strict) throws VarsExprException {
        int n = expr.size();
        Object left;
        Object opObj;
        Object right;
        boolean hasRight;
        boolean reverse = false;
        if (n == 4) {
            if (!"!".equals(expr.getValue(1))) {
                throw new VarsExprException("bad 'not' expression");
            }
            reverse = true;
            left = expr.getValue(0);
            opObj = expr.getValue(2);
            right = expr.getValue(3);
            hasRight = true;
        } else {
            left = expr.getValue(0);
            opObj = n > 1 ? expr.getValue(1) : null;
            right = n > 2 ? expr.getValue(2) : null;
            // a JSON null is cjson.null in Lua, not nil: it counts as present
            hasRight = n > 2;
        }
        boolean hasOp = n > 1 || n == 4;
        String op;
        if (!hasOp) {
            op = null;
        } else if (opObj instanceof String s) {
            op = s.toLowerCase(Locale.ROOT);
        } else if (opObj instanceof Number num) {
            op = LuaValues.numberToString(num).toLowerCase(Locale.ROOT);
        } else {
            throw new VarsExprException("invalid expression");
        }
        if (!hasRight && Op.of(op) == null) {
            // legacy [var, value] form; lua-resty-expr has already lower-cased the value
            if (op == null) {
                throw new VarsExprException("invalid expression");
            }
            right = op;
            hasRight = true;
            op = "==";
        }
        if (op == null || !(left instanceof String || left instanceof Number)) {
            throw new VarsExprException("invalid expression");
        }
        Op operator = Op.of(op);
        if (operator == null) {
            throw new VarsExprException("invalid operator '" + op + "'");
        }
        String var = left instanceof String s ? s : LuaValues.numberToString((Number) left);
        PostArgPath postArg = null;
        if (var.startsWith(POST_ARG)) {
            try {
                // compiled once here, evaluated per request; an invalid JSONPath is refused in both modes:
                // it could never match
                postArg = PostArgPath.compile(var.substring(POST_ARG.length()));
            } catch (IllegalArgumentException e) {
                throw new VarsExprException(e.getMessage());
            }
        }
        Object operand = prepare(operator, hasRight ? right : null, strict);
        return new Leaf(var, postArg, operator, operand, reverse);
    }

    /** A right-hand value that is a JSON array or object: never equal to anything (Lua tables). */
    private static final Object TABLE = new Object() {
        @Override
        public String toString() {
            return "table";
        }
    };

    private static Object prepare(Op op, Object right, boolean strict) throws VarsExprException {
        switch (op) {
            case EQ, NE:
                return isTable(right) ? TABLE : right;
            case GT, GE, LT, LE:
                return LuaValues.toNumber(right);
            case REGEX, IREGEX: {
                String re = LuaValues.toSubject(right);
                if (re == null) {
                    if (strict) {
                        throw new VarsExprException("invalid regex: " + (right == null ? "nil" : right));
                    }
                    return null;
                }
                try {
                    return Pattern.compile(re, op == Op.IREGEX ? Pattern.CASE_INSENSITIVE : 0);
                } catch (PatternSyntaxException e) {
                    if (strict) {
                        throw new VarsExprException("invalid regex '" + re + "': " + e.getDescription());
                    }
                    return null;
                }
            }
            case IN: {
                if (!(right instanceof JsonArray arr)) {
                    return null;
                }
                Object[] items = new Object[arr.size()];
                for (int i = 0; i < items.length; i++) {
                    Object v = arr.getValue(i);
                    items[i] = isTable(v) ? TABLE : v;
                }
                return items;
            }
            case HAS:
                return isTable(right) ? TABLE : right;
            case IPMATCH: {
                if (right == null || "".equals(right)) {
                    throw new VarsExprException("invalid ip address");
                }
                List<Object> ips = new ArrayList<>();
                if (right instanceof JsonArray arr) {
                    for (int i = 0; i < arr.size(); i++) {
                        ips.add(arr.getValue(i));
                    }
                } else if (!(right instanceof JsonObject)) {
                    ips.add(right);
                }
                if (ips.isEmpty()) {
                    throw new VarsExprException("invalid ip address");
                }
                Cidr[] cidrs = new Cidr[ips.size()];
                for (int i = 0; i < cidrs.length; i++) {
                    Object ip = ips.get(i);
                    try {
                        if (!(ip instanceof String s)) {
                            throw new IllegalArgumentException();
                        }
                        cidrs[i] = Cidr.parse(s);
                    } catch (IllegalArgumentException e) {
                        throw new VarsExprException("invalid ip address: " + ip);
                    }
                }
                return cidrs;
            }
            default:
                throw new IllegalStateException(op.name());
        }
    }

    // ------------------------------------------------------------------ tree

    private enum Logic { AND, OR, NOT_AND, NOT_OR }

    private sealed interface Node permits Group, Leaf {
        int eval(VarSource source, boolean bodyAvailable);

        boolean needsBody();
    }

    private static final class Group implements Node {
        private final Logic logic;
        private final Node[] children;
        private final boolean needsBody;

        Group(Logic logic, Node[] children) {
            this.logic = logic;
            this.children = children;
            boolean nb = false;
            for (Node c : children) {
                nb |= c.needsBody();
            }
            this.needsBody = nb;
        }

        @Override
        public boolean needsBody() {
            return needsBody;
        }

        @Override
        public int eval(VarSource source, boolean bodyAvailable) {
            boolean and = logic == Logic.AND || logic == Logic.NOT_AND;
            // AND: any false decides; OR: any true decides. An unknown child only matters if
            // nothing decides (Kleene logic).
            int decisive = and ? FALSE : TRUE;
            boolean unknown = false;
            int result = and ? TRUE : FALSE;
            for (Node c : children) {
                int r = c.eval(source, bodyAvailable);
                if (r == decisive) {
                    result = decisive;
                    unknown = false;
                    break;
                }
                if (r == UNKNOWN) {
                    unknown = true;
                }
            }
            if (unknown) {
                return UNKNOWN;
            }
            boolean negate = logic == Logic.NOT_AND || logic == Logic.NOT_OR;
            return negate ? (result == TRUE ? FALSE : TRUE) : result;
        }
    }

    private static final class Leaf implements Node {
        private final String var;
        private final PostArgPath postArg;
        private final Op op;
        private final Object operand;
        private final boolean reverse;

        Leaf(String var, PostArgPath postArg, Op op, Object operand, boolean reverse) {
            this.var = var;
            this.postArg = postArg;
            this.op = op;
            this.operand = operand;
            this.reverse = reverse;
        }

        @Override
        public boolean needsBody() {
            return postArg != null;
        }

        @Override
        public int eval(VarSource source, boolean bodyAvailable) {
            Object left;
            if (postArg != null) {
                if (!bodyAvailable) {
                    return UNKNOWN;
                }
                left = source.postArg(postArg);
            } else {
                left = source.var(var);
            }
            return op.test(left, operand) != reverse ? TRUE : FALSE;
        }

        @Override
        public String toString() {
            return "[" + var + (reverse ? " ! " : " ") + op + "]";
        }
    }

    private enum Op {
        EQ {
            @Override
            boolean test(Object l, Object r) {
                if (r instanceof Number n) {
                    Double d = LuaValues.toNumber(l);
                    return d != null && d == n.doubleValue();
                }
                return LuaValues.luaEquals(l, r);
            }
        },
        NE {
            @Override
            boolean test(Object l, Object r) {
                if (r instanceof Number n) {
                    Double d = LuaValues.toNumber(l);
                    return d == null || d != n.doubleValue();
                }
                return !LuaValues.luaEquals(l, r);
            }
        },
        GT {
            @Override
            boolean test(Object l, Object r) {
                Double a = LuaValues.toNumber(l);
                return a != null && r != null && a > (Double) r;
            }
        },
        GE {
            @Override
            boolean test(Object l, Object r) {
                Double a = LuaValues.toNumber(l);
                return a != null && r != null && a >= (Double) r;
            }
        },
        LT {
            @Override
            boolean test(Object l, Object r) {
                Double a = LuaValues.toNumber(l);
                return a != null && r != null && a < (Double) r;
            }
        },
        LE {
            @Override
            boolean test(Object l, Object r) {
                Double a = LuaValues.toNumber(l);
                return a != null && r != null && a <= (Double) r;
            }
        },
        REGEX {
            @Override
            boolean test(Object l, Object r) {
                String s = LuaValues.toSubject(l);
                return s != null && r != null && ((Pattern) r).matcher(s).find();
            }
        },
        IREGEX {
            @Override
            boolean test(Object l, Object r) {
                return REGEX.test(l, r);
            }
        },
        IN {
            @Override
            boolean test(Object l, Object r) {
                if (r == null || l == null) {
                    return false;
                }
                for (Object item : (Object[]) r) {
                    // a JSON null element is cjson.null in Lua, never equal to a value
                    if (item != null && LuaValues.luaEquals(item, l)) {
                        return true;
                    }
                }
                return false;
            }
        },
        HAS {
            @Override
            boolean test(Object l, Object r) {
                if (r == null) {
                    return false;
                }
                if (l instanceof JsonArray arr) {
                    for (int i = 0; i < arr.size(); i++) {
                        Object v = arr.getValue(i);
                        if (v != null && LuaValues.luaEquals(v, r)) {
                            return true;
                        }
                    }
                } else if (l instanceof List<?> list) {
                    for (Object v : list) {
                        if (v != null && LuaValues.luaEquals(v, r)) {
                            return true;
                        }
                    }
                }
                return false;
            }
        },
        IPMATCH {
            @Override
            boolean test(Object l, Object r) {
                if (!(l instanceof String ip)) {
                    return false;
                }
                for (Cidr c : (Cidr[]) r) {
                    if (c.contains(ip)) {
                        return true;
                    }
                }
                return false;
            }
        };

        abstract boolean test(Object left, Object operand);

        static Op of(String op) {
            if (op == null) {
                return null;
            }
            return switch (op) {
                case "==" -> EQ;
                case "~=" -> NE;
                case ">" -> GT;
                case ">=" -> GE;
                case "<" -> LT;
                case "<=" -> LE;
                case "~~" -> REGEX;
                case "~*" -> IREGEX;
                case "in" -> IN;
                case "has" -> HAS;
                case "ipmatch" -> IPMATCH;
                default -> null;
            };
        }
    }
}
