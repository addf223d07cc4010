package dev.aigw.gateway.route.match;

import dev.aigw.gateway.net.Cidr;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The matching fields of one route definition, compiled once: {@code uri}/{@code uris},
 * {@code methods}, {@code host}/{@code hosts}, {@code remote_addr}/{@code remote_addrs},
 * {@code vars}, {@code priority} and {@code status}. As in APISIX the plural field wins when both
 * are present.
 *
 * @param uris     the compiled uris, at least one
 * @param hosts    lower-cased hosts ({@code *.example.com} keeps its star), empty for any host
 * @param methods  a {@link Methods} bit mask, 0 for any method
 * @param remotes  allowed client addresses, or null for any
 * @param vars     the {@code vars} expression ({@link VarsExpr#ALWAYS} when absent)
 * @param priority higher wins among routes with the same uri; default 0
 * @param enabled  false for {@code status: 0}
 */
public record RouteConditions(List<PathPattern> uris, List<String> hosts, int methods, List<Cidr> remotes,
                              VarsExpr vars, long priority, boolean enabled) {

    /**
     * Compiles the matching fields of a route definition.
     *
     * @throws IllegalArgumentException with a readable reason when a field cannot be used
     */
    public static RouteConditions compile(JsonObject def) {
        List<PathPattern> uris = new ArrayList<>();
        Object uris0 = def.getValue("uris");
        Object uri0 = def.getValue("uri");
        if (uris0 instanceof JsonArray arr && !arr.isEmpty()) {
            for (int i = 0; i < arr.size(); i++) {
                if (!(arr.getValue(i) instanceof String s)) {
                    throw new IllegalArgumentException("uris must be strings");
                }
                uris.add(PathPattern.compile(s));
            }
        } else if (uri0 instanceof String s && !s.isEmpty()) {
            uris.add(PathPattern.compile(s));
        } else {
            throw new IllegalArgumentException("missing uri or uris");
        }

        List<String> hosts = new ArrayList<>();
        Object hosts0 = def.getValue("hosts");
        if (hosts0 instanceof JsonArray arr) {
            for (int i = 0; i < arr.size(); i++) {
                if (!(arr.getValue(i) instanceof String s) || s.isEmpty()) {
                    throw new IllegalArgumentException("hosts must be non-empty strings");
                }
                hosts.add(s.toLowerCase(Locale.ROOT));
            }
        } else if (def.getValue("host") instanceof String s && !s.isEmpty()) {
            hosts.add(s.toLowerCase(Locale.ROOT));
        }

        int methods = 0;
        if (def.getValue("methods") instanceof JsonArray arr) {
            for (int i = 0; i < arr.size(); i++) {
                int bit = arr.getValue(i) instanceof String s ? Methods.bit(s) : 0;
                if (bit == 0) {
                    throw new IllegalArgumentException("unknown method: " + arr.getValue(i));
                }
                methods |= bit;
            }
        }

        List<Cidr> remotes = null;
        Object remotes0 = def.getValue("remote_addrs");
        if (remotes0 == null) {
            remotes0 = def.getValue("remote_addr");
        }
        if (remotes0 instanceof String s) {
            remotes = List.of(Cidr.parse(s));
        } else if (remotes0 instanceof JsonArray arr && !arr.isEmpty()) {
            List<Cidr> list = new ArrayList<>(arr.size());
            for (int i = 0; i < arr.size(); i++) {
                list.add(Cidr.parse(String.valueOf(arr.getValue(i))));
            }
            remotes = List.copyOf(list);
        }

        VarsExpr vars = VarsExpr.ALWAYS;
        Object vars0 = def.getValue("vars");
        if (vars0 != null) {
            if (!(vars0 instanceof JsonArray arr)) {
                throw new IllegalArgumentException("vars must be an array");
            }
            try {
                vars = VarsExpr.compile(arr);
            } catch (VarsExprException e) {
                throw new IllegalArgumentException("failed to validate the 'vars' expression: " + e.getMessage());
            }
        }

        long priority = def.getValue("priority") instanceof Number n ? n.longValue() : 0;
        boolean enabled = !(def.getValue("status") instanceof Number st && st.intValue() == 0);
        return new RouteConditions(List.copyOf(uris), List.copyOf(hosts), methods, remotes, vars, priority, enabled);
    }

    /** True when a request with this method bit and client address passes methods and remote_addrs. */
    public boolean acceptsMethod(int methodBit) {
        return methods == 0 || (methods & methodBit) != 0;
    }

    /** True when the client address is allowed (always when no remote_addrs are set). */
    public boolean acceptsRemote(String remoteAddress) {
        if (remotes == null) {
            return true;
        }
        if (remoteAddress == null) {
            return false;
        }
        for (int i = 0, n = remotes.size(); i < n; i++) {
            Cidr c = remotes.get(i);
            if (c.contains(remoteAddress)) {
                return true;
            }
        }
        return false;
    }
}
