package dev.aigw.bench;

import io.vertx.core.buffer.Buffer;

/** The same ~1 KB chat body the load generator posts (bench/load/chat.json). */
final class Bodies {

    private Bodies() {
    }

    static final String CHAT = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"system\",\"content\":\"You are a careful "
            + "assistant for an engineering team. Answer in plain English, keep answers short, cite the relevant "
            + "section of the documentation when you can, and say so when you are not sure. Never invent "
            + "configuration keys; prefer the defaults unless the user asks otherwise.\"},{\"role\":\"user\","
            + "\"content\":\"We run an API gateway in front of several language model providers. Requests arrive "
            + "from a web application and from batch jobs. We would like to route traffic by model name, keep an "
            + "access log with token counts, and make sure that a slow provider does not block the other routes. "
            + "Could you outline the configuration we need, which timeouts to set, and how to check that "
            + "streaming responses reach the browser without buffering? Please keep the answer to a few short "
            + "paragraphs with an example route definition in JSON.\"}],\"temperature\":0.2,\"max_tokens\":256,"
            + "\"stream\":false}";

    static Buffer chat() {
        return Buffer.buffer(CHAT);
    }
}
