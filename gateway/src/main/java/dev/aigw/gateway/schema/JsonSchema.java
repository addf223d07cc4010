package dev.aigw.gateway.schema;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * A JSON Schema (draft 7) compiled once and reused for every validation, with APISIX-style error
 * messages ({@code property "uri" validation failed: …}).
 */
public final class JsonSchema {

    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7);

    private final Schema schema;

    private JsonSchema(Schema schema) {
        this.schema = schema;
    }

    /** Compiles a schema given as JSON text. */
    public static JsonSchema compile(String schemaJson) {
        return new JsonSchema(REGISTRY.getSchema(schemaJson, InputFormat.JSON));
    }

    /** Validates a document; returns null when valid, else one message describing the first problem. */
    public String validate(JsonObject doc) {
        return validate(doc.encode());
    }

    /** Validates a document given as JSON text; null when valid, else a message. */
    public String validate(String json) {
        List<Error> errors = schema.validate(json, InputFormat.JSON);
        if (errors.isEmpty()) {
            return null;
        }
        return describe(errors.get(0));
    }

    static String describe(Error e) {
        String location = e.getInstanceLocation() == null ? "" : e.getInstanceLocation().toString();
        String path = location.replaceFirst("^\\$\\.?", "");
        if ("required".equals(e.getKeyword()) && e.getProperty() != null) {
            String parent = path.isEmpty() ? "" : path + ".";
            return "property \"" + parent + e.getProperty() + "\" is required";
        }
        String msg = e.getMessage();
        // networknt prefixes messages with the instance location; drop it, the property says where
        int colon = msg.indexOf(": ");
        if (colon > 0 && msg.startsWith("$")) {
            msg = msg.substring(colon + 2);
        }
        if (path.isEmpty()) {
            return msg;
        }
        return "property \"" + path + "\" validation failed: " + msg;
    }
}
