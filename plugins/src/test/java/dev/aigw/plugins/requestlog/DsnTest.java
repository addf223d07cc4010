package dev.aigw.plugins.requestlog;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DsnTest {

    private static final Path PREFIX = Path.of("/srv/aigw");

    @Test
    void sqliteIsAFileUnderThePrefixByDefault() {
        RequestLogDb.Target t = RequestLogDb.Target.parse(AiRequestLogPlugin.DEFAULT_DSN, PREFIX);
        assertFalse(t.postgres());
        assertEquals("jdbc:sqlite:/srv/aigw/logs/requests.db", t.jdbcUrl());
        assertEquals("jdbc:sqlite:/var/lib/r.db", RequestLogDb.Target.parse("sqlite:/var/lib/r.db", PREFIX).jdbcUrl());
    }

    @Test
    void postgresUriKeepsThePasswordOutOfTheUrl() {
        RequestLogDb.Target t = RequestLogDb.Target.parse(
                "postgresql://aigw:p%40ss@db.example:5433/logs?sslmode=require", PREFIX);
        assertTrue(t.postgres());
        assertEquals("jdbc:postgresql://db.example:5433/logs?sslmode=require", t.jdbcUrl());
        assertEquals("aigw", t.props().getProperty("user"));
        assertEquals("p@ss", t.props().getProperty("password"));
        assertFalse(t.display().contains("p@ss"));
        RequestLogDb.Target j = RequestLogDb.Target.parse("jdbc:postgresql://h/db?user=u&password=secret", PREFIX);
        assertFalse(j.display().contains("secret"), j.display());
    }

    @Test
    void aBrokenUriIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> RequestLogDb.Target.parse("postgresql://a b/c", PREFIX));
    }
}
