package dev.aigw.gateway.route;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RouteMemoTest {

    private static Route route(String id, String name) {
        return new Route(id, name, new JsonObject(), List.of(), null, 0);
    }

    @Test
    void derivesOncePerRouteVersionAndAgainWhenTheRouteChanges() {
        AtomicInteger calls = new AtomicInteger();
        RouteMemo<String> memo = new RouteMemo<>(10, r -> {
            calls.incrementAndGet();
            return r.name();
        });
        Route v1 = route("1", "first");
        assertEquals("first", memo.of(v1));
        assertEquals("first", memo.of(v1));
        assertEquals(1, calls.get(), "the same route version is derived once");

        Route v2 = route("1", "second"); // the route was updated: a new instance with the same id
        assertEquals("second", memo.of(v2));
        assertEquals(2, calls.get());
        assertEquals("second", memo.of(v2));
        assertEquals(2, calls.get());
    }

    @Test
    void startsOverAtItsCapAndCountsIt() {
        RouteMemo<String> memo = new RouteMemo<>(3, Route::id);
        for (int i = 0; i < 3; i++) {
            memo.of(route("r" + i, null));
        }
        assertEquals(0, memo.resets());
        assertEquals("r3", memo.of(route("r3", null)), "a value past the cap is still right");
        assertEquals(1, memo.resets(), "the memo started over once");
    }
}
