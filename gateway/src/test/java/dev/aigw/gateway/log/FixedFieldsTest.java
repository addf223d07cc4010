package dev.aigw.gateway.log;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A {@link FixedFields} reads as the {@code LinkedHashMap} it replaces: the same entries in the same
 * order (nulls included), equal to it, and encoded by Vert.x to the same JSON; read-only; and its
 * values must match its names.
 */
class FixedFieldsTest {

    private static final FixedFields.Names NAMES = new FixedFields.Names("model", "duration", "stream");

    @Test
    void readsAsTheLinkedHashMapItReplaces() {
        FixedFields f = new FixedFields(NAMES, "gpt-4o", null, false);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", "gpt-4o");
        m.put("duration", null);
        m.put("stream", false);
        assertEquals(m, f);
        assertEquals(f, m);
        assertEquals(m.hashCode(), f.hashCode());
        assertEquals(new ArrayList<>(m.entrySet()), new ArrayList<>(f.entrySet()));
        assertEquals(3, f.size());
        assertEquals("gpt-4o", f.get("model"));
        assertNull(f.get("duration"));
        assertTrue(f.containsKey("duration"));
        assertFalse(f.containsKey("other"));
        assertNull(f.get("other"));
        assertEquals(new JsonObject(m).encode(), new JsonObject(f).encode());
    }

    @Test
    void isReadOnlyAndChecksItsShape() {
        FixedFields f = new FixedFields(NAMES, "a", 1L, true);
        assertThrows(UnsupportedOperationException.class, () -> f.put("model", "b"));
        assertThrows(UnsupportedOperationException.class, () -> f.entrySet().iterator().next().setValue("b"));
        assertThrows(IllegalArgumentException.class, () -> new FixedFields(NAMES, "a", 1L));
        assertThrows(IllegalArgumentException.class, () -> new FixedFields.Names("a", "b", "a"));
        assertEquals(List.of("model", "duration", "stream"), new ArrayList<>(f.keySet()));
    }
}
