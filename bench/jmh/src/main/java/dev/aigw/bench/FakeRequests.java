package dev.aigw.bench;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.SocketAddress;

import java.lang.reflect.Proxy;

/**
 * Request and response stand-ins for benchmarking code that takes a {@code RequestContext} without a
 * network: a dynamic proxy answering the handful of accessors the route table, the core variables and
 * the access log read. Every call costs one proxy dispatch (a few ns, the same for every variant
 * measured), which {@code ProxyBaseline} measures so it can be told apart.
 */
public final class FakeRequests {

    private FakeRequests() {
    }

    public static HttpServerRequest request(HttpMethod method, String uri, String host, MultiMap headers) {
        String path = uri.contains("?") ? uri.substring(0, uri.indexOf('?')) : uri;
        String query = uri.contains("?") ? uri.substring(uri.indexOf('?') + 1) : null;
        MultiMap params = MultiMap.caseInsensitiveMultiMap();
        if (query != null) {
            for (String kv : query.split("&")) {
                int eq = kv.indexOf('=');
                params.add(eq < 0 ? kv : kv.substring(0, eq), eq < 0 ? "" : kv.substring(eq + 1));
            }
        }
        HostAndPort authority = HostAndPort.create(host, 9080);
        SocketAddress remote = SocketAddress.inetSocketAddress(53122, "127.0.0.1");
        SocketAddress local = SocketAddress.inetSocketAddress(9080, "127.0.0.1");
        HttpServerResponse response = response();
        return (HttpServerRequest) Proxy.newProxyInstance(FakeRequests.class.getClassLoader(),
                new Class<?>[] {HttpServerRequest.class}, (self, m, args) -> switch (m.getName()) {
                    case "path" -> path;
                    case "uri" -> uri;
                    case "query" -> query;
                    case "method" -> method;
                    case "headers" -> headers;
                    case "getHeader" -> headers.get(args[0].toString());
                    case "params" -> params;
                    case "getParam" -> params.get((String) args[0]);
                    case "authority" -> authority;
                    case "remoteAddress" -> remote;
                    case "localAddress" -> local;
                    case "version" -> HttpVersion.HTTP_1_1;
                    case "scheme" -> "http";
                    case "isSSL" -> false;
                    case "response" -> response;
                    case "hashCode" -> System.identityHashCode(self);
                    case "equals" -> self == args[0];
                    case "toString" -> "FakeRequest " + uri;
                    default -> defaultValue(m.getReturnType(), self);
                });
    }

    public static HttpServerResponse response() {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap();
        return (HttpServerResponse) Proxy.newProxyInstance(FakeRequests.class.getClassLoader(),
                new Class<?>[] {HttpServerResponse.class}, (self, m, args) -> switch (m.getName()) {
                    case "headers" -> headers;
                    case "getStatusCode" -> 200;
                    case "bytesWritten" -> 592L;
                    case "ended" -> true;
                    case "hashCode" -> System.identityHashCode(self);
                    case "equals" -> self == args[0];
                    case "toString" -> "FakeResponse";
                    default -> defaultValue(m.getReturnType(), self);
                });
    }

    private static Object defaultValue(Class<?> type, Object self) {
        if (type == boolean.class) {
            return false;
        }
        if (type == int.class) {
            return 0;
        }
        if (type == long.class) {
            return 0L;
        }
        if (type.isInstance(self)) {
            return self; // fluent setters
        }
        return null;
    }
}
