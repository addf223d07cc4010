package dev.aigw.plugins.aiproxy.translator;

import dev.aigw.plugins.aiproxy.protocol.AiProtocol;
import dev.aigw.plugins.aiproxy.provider.AiProvider;
import dev.aigw.plugins.aiproxy.provider.ProviderConf;

import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Picks the translator of a call, as APISIX's {@code ai-proxy/base.lua}: the provider's native
 * capability for the client's protocol when it has one (or the one {@code provider_conf.chat_protocol}
 * names), else a converter to a protocol the provider speaks, else a 400 in APISIX's words.
 */
public final class Translators {

    /** Native translators, by protocol. */
    private static final Map<AiProtocol, Supplier<Translator>> NATIVE = Map.of(
            AiProtocol.CHAT, OpenAiChatNative::new,
            AiProtocol.EMBEDDINGS, EmbeddingsNative::new,
            AiProtocol.RESPONSES, ResponsesNative::new,
            AiProtocol.ANTHROPIC_MESSAGES, AnthropicNative::new,
            AiProtocol.PASSTHROUGH, Passthrough::new);

    /** A converter from a client protocol to a provider protocol. */
    private record Converter(AiProtocol from, AiProtocol to, Supplier<Translator> make) {
    }

    /** The converters, tried in order (APISIX's {@code converters/init.lua}, plus aigw's own). */
    private static final List<Converter> CONVERTERS = List.of(
            new Converter(AiProtocol.ANTHROPIC_MESSAGES, AiProtocol.CHAT, AnthropicToOpenAiChat::new),
            new Converter(AiProtocol.CHAT, AiProtocol.ANTHROPIC_MESSAGES, OpenAiChatToAnthropic::new),
            new Converter(AiProtocol.CHAT, AiProtocol.BEDROCK_CONVERSE, OpenAiChatToBedrock::new),
            new Converter(AiProtocol.EMBEDDINGS, AiProtocol.VERTEX_PREDICT, EmbeddingsToVertexPredict::new));

    private Translators() {
    }

    /**
     * A new translator for one call from {@code client} to {@code provider}.
     *
     * @throws TranslationException 400 when the provider cannot serve the protocol
     */
    public static Translator pick(AiProtocol client, AiProvider provider, ProviderConf conf) throws TranslationException {
        if (client == AiProtocol.PASSTHROUGH) {
            return new Passthrough();
        }
        AiProtocol preferred = client == AiProtocol.CHAT ? conf.chatProtocol() : null;
        if (preferred != null && preferred != AiProtocol.CHAT && provider.supports(preferred)) {
            for (Converter c : CONVERTERS) {
                if (c.from() == client && c.to() == preferred) {
                    return c.make().get();
                }
            }
        }
        if (provider.supports(client) && NATIVE.containsKey(client)) {
            return NATIVE.get(client).get();
        }
        for (Converter c : CONVERTERS) {
            if (c.from() == client && provider.supports(c.to())) {
                return c.make().get();
            }
        }
        throw new TranslationException(400, "provider " + provider.name() + " does not support "
                + client.apisixName() + " protocol (supported: "
                + provider.capabilities().stream().map(AiProtocol::apisixName).collect(Collectors.joining(", ")) + ")");
    }

    /** True when some translator takes {@code client} to {@code provider} (checked when a route is configured). */
    public static boolean reachable(AiProtocol client, AiProvider provider) {
        return client == AiProtocol.PASSTHROUGH || provider.supports(client)
                || CONVERTERS.stream().anyMatch(c -> c.from() == client && provider.supports(c.to()));
    }
}
