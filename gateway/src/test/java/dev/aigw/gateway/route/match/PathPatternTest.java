package dev.aigw.gateway.route.match;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PathPatternTest {

    @Test
    void exactPrefixAndParameterForms() {
        PathPattern exact = PathPattern.compile("/v1/chat");
        assertTrue(exact.exact());
        assertEquals("/v1/chat", exact.key());

        PathPattern prefix = PathPattern.compile("/v1/*");
        assertFalse(prefix.exact());
        assertFalse(prefix.hasParams());
        assertEquals("/v1/", prefix.key());

        PathPattern glued = PathPattern.compile("/foo*");
        assertEquals("/foo", glued.key());

        PathPattern param = PathPattern.compile("/user/:id/books/:book");
        assertEquals("/user/", param.key());
        assertTrue(param.hasParams());
        assertTrue(param.matchesRest("/user/7/books/x"));
        assertFalse(param.matchesRest("/user/7/books/"));
        assertFalse(param.matchesRest("/user/7/books/x/y"));
        List<String[]> p = param.params("/user/7/books/x");
        assertEquals(2, p.size());
        assertArrayEquals(new String[] {"id", "7"}, p.get(0));
        assertArrayEquals(new String[] {"book", "x"}, p.get(1));

        PathPattern rest = PathPattern.compile("/files/*path");
        assertTrue(rest.matchesRest("/files/a/b.txt"));
        assertArrayEquals(new String[] {"path", "a/b.txt"}, rest.params("/files/a/b.txt").get(0));

        PathPattern middle = PathPattern.compile("/a/*/c");
        assertEquals("/a/", middle.key());
        assertTrue(middle.matchesRest("/a/x/y/c"));
        assertFalse(middle.matchesRest("/a/x/y/d"));
        assertTrue(middle.params("/a/x/c").isEmpty(), "an unnamed star is not exposed");

        PathPattern dotted = PathPattern.compile("/v.1/:id");
        assertFalse(dotted.matchesRest("/vx1/2"), "literal segments are literal, not regex");
    }

    @Test
    void requestPathIsNormalizedLikeNginxUri() {
        String plain = "/v1/chat/completions";
        assertSame(plain, RequestPath.normalize(plain));
        assertEquals("/admin", RequestPath.normalize("/%61dmin"));
        assertEquals("/admin", RequestPath.normalize("/v1/../admin"));
        assertEquals("/a/b/", RequestPath.normalize("//a//b//"));
        assertEquals("/a/", RequestPath.normalize("/a/./"));
        assertEquals("/", RequestPath.normalize("/../.."));
        assertEquals("/a/b c", RequestPath.normalize("/a/b%20c"));
        assertEquals("/é", RequestPath.normalize("/%C3%A9"));
        assertEquals("/", RequestPath.normalize(null));
    }
}
