package dev.aigw.plugins.aiproxy;

import dev.aigw.plugins.aiproxy.protocol.AiProtocol;
import io.vertx.core.buffer.Buffer;

import java.nio.charset.StandardCharsets;

/**
 * Whether an answer calls tools (APISIX 3.18's {@code llm_has_tool_calls}), read from the bytes the
 * client receives, in the client's protocol, without parsing them: a stream is not otherwise parsed
 * on its way through. The signs: OpenAI chat's {@code "tool_calls"} holding a non-empty array (or as
 * {@code finish_reason}), Anthropic's {@code "tool_use"} and Responses' {@code "function_call"} as a
 * value ({@code type}, {@code stop_reason}). A sign inside a string (escaped quotes) is not one.
 */
final class ToolCalls {

    private static final byte[] CHAT = "\"tool_calls\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] MESSAGES = "\"tool_use\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RESPONSES = "\"function_call\"".getBytes(StandardCharsets.US_ASCII);

    private ToolCalls() {
    }

    /** True when {@code bytes} (JSON, or SSE events of JSON) in {@code protocol} call a tool. */
    static boolean in(AiProtocol protocol, Buffer bytes) {
        byte[] token = switch (protocol) {
            case CHAT -> CHAT;
            case ANTHROPIC_MESSAGES -> MESSAGES;
            case RESPONSES -> RESPONSES;
            default -> null;
        };
        if (token == null || bytes == null) {
            return false;
        }
        int n = bytes.length();
        for (int at = 0; at + token.length <= n; at++) {
            if (bytes.getByte(at) != '"' || !matches(bytes, at, token) || (at > 0 && bytes.getByte(at - 1) == '\\')) {
                continue;
            }
            int after = skipSpace(bytes, at + token.length);
            if (after < n && (bytes.getByte(after) == ',' || bytes.getByte(after) == '}')) {
                return true; // a value: "type":"tool_use", "finish_reason":"tool_calls"
            }
            if (token == CHAT && after < n && bytes.getByte(after) == ':') {
                int v = skipSpace(bytes, after + 1);
                if (v < n && bytes.getByte(v) == '[') {
                    int first = skipSpace(bytes, v + 1);
                    if (first < n && bytes.getByte(first) == '{') {
                        return true; // "tool_calls":[{…}], not [] or null
                    }
                }
            }
        }
        return false;
    }

    private static boolean matches(Buffer b, int at, byte[] token) {
        for (int i = 1; i < token.length; i++) {
            if (b.getByte(at + i) != token[i]) {
                return false;
            }
        }
        return true;
    }

    private static int skipSpace(Buffer b, int i) {
        while (i < b.length()) {
            byte c = b.getByte(i);
            if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
                break;
            }
            i++;
        }
        return i;
    }
}
