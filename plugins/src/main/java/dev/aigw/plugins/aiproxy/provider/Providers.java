package dev.aigw.plugins.aiproxy.provider;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The known providers, by APISIX name. */
public final class Providers {

    private static final Map<String, AiProvider> BY_NAME;

    static {
        Map<String, AiProvider> m = new LinkedHashMap<>();
        for (AiProvider p : List.of(new OpenAi(), new DeepSeek(), new AzureOpenAi(), new Gemini(), new VertexAi(),
                new Anthropic(), new OpenRouter(), new AimlApi(), new OpenAiCompatible(), new Bedrock())) {
            m.put(p.name(), p);
        }
        BY_NAME = Map.copyOf(m);
    }

    private Providers() {
    }

    /** The provider with that name, or null. */
    public static AiProvider byName(String name) {
        return BY_NAME.get(name);
    }

    /** Every provider name (the schema's enum). */
    public static List<String> names() {
        return List.of("openai", "deepseek", "azure-openai", "gemini", "vertex-ai", "anthropic", "openrouter",
                "aimlapi", "openai-compatible", "bedrock");
    }
}
