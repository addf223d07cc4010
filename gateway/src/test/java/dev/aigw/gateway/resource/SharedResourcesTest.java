package dev.aigw.gateway.resource;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

class SharedResourcesTest {

    @Test
    void canonicalSortsKeysAtEveryLevel() {
        JsonObject a = new JsonObject("{\"b\":{\"y\":1,\"x\":[{\"q\":true,\"p\":null}]},\"a\":\"s\"}");
        JsonObject b = new JsonObject("{\"a\":\"s\",\"b\":{\"x\":[{\"p\":null,\"q\":true}],\"y\":1}}");
        assertEquals("{\"a\":\"s\",\"b\":{\"x\":[{\"p\":null,\"q\":true}],\"y\":1}}", SharedResources.canonical(a));
        assertEquals(SharedResources.canonical(a), SharedResources.canonical(b));
        // plain canonical JSON keeps numbers as written (cache keys and conf versions depend on it)
        assertNotEquals(SharedResources.canonical(new JsonObject().put("t", 60)),
                SharedResources.canonical(new JsonObject().put("t", 60.0)));
    }

    @Test
    void aConfigurationsIdentityIgnoresTopLevelMetadataAndWholeNumberSpelling() {
        JsonObject a = new JsonObject("{\"name\":\"one\",\"timeout\":{\"connect\":60},\"nodes\":{\"h:1\":1}}");
        JsonObject b = new JsonObject("{\"nodes\":{\"h:1\":1.0},\"timeout\":{\"connect\":60.0},\"name\":\"two\"}");
        Set<String> meta = Set.of("name");
        assertEquals("{\"nodes\":{\"h:1\":1},\"timeout\":{\"connect\":60}}", SharedResources.canonicalConfig(a, meta));
        assertEquals(SharedResources.canonicalConfig(a, meta), SharedResources.canonicalConfig(b, meta));
        // only the top level is metadata
        assertEquals("{\"x\":{\"name\":1}}",
                SharedResources.canonicalConfig(new JsonObject().put("x", new JsonObject().put("name", 1)), meta));
        assertEquals("{\"t\":0.5}", SharedResources.canonicalConfig(new JsonObject().put("t", 0.5), meta));
    }

    @Test
    void equalKeysShareOneInstanceClosedByTheLastRelease() {
        SharedResources shared = new SharedResources();
        AtomicInteger closed = new AtomicInteger();
        SharedResources.Lease<Object> one = shared.acquire("k", new JsonObject().put("a", 1).put("b", 2),
                Object::new, o -> closed.incrementAndGet());
        SharedResources.Lease<Object> two = shared.acquire("k", new JsonObject().put("b", 2).put("a", 1),
                Object::new, o -> closed.incrementAndGet());
        assertSame(one.get(), two.get());
        one.release();
        one.release();
        assertEquals(0, closed.get());
        two.release();
        assertEquals(1, closed.get());
        assertEquals(0, shared.size());
    }
}
