package dev.aigw.plugins.aiproxy.translator;

import dev.aigw.plugins.aiproxy.protocol.AiProtocol;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

import java.util.Locale;

/**
 * Translates one call from the client's protocol to the provider's and its answer back. A new
 * object per attempt: it may keep state (a stream's open blocks, a tool-name map built from the
 * request). Confined to the request's event loop.
 *
 * <p>The call order is: {@link #request}, {@link #headers}; then, for the answer, either
 * {@link #response} (a whole JSON body), or {@link #error} (status 400 and above), or
 * {@link #streamChunk} for each chunk of a stream and {@link #streamEnd} once.
 */
public abstract class Translator {

    /** Tool calls tracked per streamed answer; more are not converted (keeps per-stream state bounded). */
    protected static final int MAX_TOOL_CALLS = 1024;

    private final AiProtocol client;
    private final AiProtocol target;

    protected Translator(AiProtocol client, AiProtocol target) {
        this.client = client;
        this.target = target;
    }

    /** The client's protocol. */
    public final AiProtocol client() {
        return client;
    }

    /** The provider's protocol (selects the provider's path). */
    public final AiProtocol target() {
        return target;
    }

    /**
     * The body for the provider, built from the client's body (options and the final model already
     * merged in; the caller's object, not to be modified: return a new one). Null sends the client's
     * bytes as they came (passthrough).
     *
     * @param clientAskedUsage the client itself set {@code stream_options.include_usage}
     */
    public abstract JsonObject request(JsonObject body, boolean clientAskedUsage) throws TranslationException;

    /** Adjusts the outgoing headers: the client's (minus credentials) with the configured auth set. */
    public void headers(MultiMap headers) {
    }

    /** True when an answer with this content type is a stream for {@link #streamChunk}. */
    public boolean isStream(String contentType) {
        return contentType != null && contentType.toLowerCase(Locale.ROOT).contains("text/event-stream");
    }

    /** The content type the client gets for a stream; null keeps the provider's. */
    public String streamContentType() {
        return null;
    }

    /**
     * A whole successful answer: records usage, model and text, and returns the bytes for the
     * client (null: the provider's bytes as they are).
     */
    public abstract Buffer response(Buffer body, Observation obs) throws TranslationException;

    /** An error answer (status 400 and above): the bytes for the client. Default: as they are. */
    public Buffer error(int status, Buffer body) {
        return body;
    }

    /** One chunk of a stream (any framing): the bytes for the client now (possibly empty). */
    public abstract Buffer streamChunk(Buffer chunk, Observation obs);

    /** The end of a stream (clean or not): the last bytes for the client (possibly empty). */
    public abstract Buffer streamEnd(Observation obs);

    /** Parses a JSON object, or null when the bytes are not one. */
    protected static JsonObject parse(Buffer b) {
        try {
            return b == null || b.length() == 0 ? null : b.toJsonObject();
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** A shallow copy: the translators only replace top-level keys of the copy. */
    protected static JsonObject shallow(JsonObject body) {
        return new JsonObject(new java.util.LinkedHashMap<>(body.getMap()));
    }
}
