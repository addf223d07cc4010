package dev.aigw.plugins.aiproxy;

import dev.aigw.gateway.context.UpstreamVariables;
import dev.aigw.gateway.context.VariableRegistry;

/** The variables ai-proxy sets, under APISIX's names. */
public final class AiVars {

    public static final String REQUEST_TYPE = "request_type";
    public static final String REQUEST_LLM_MODEL = "request_llm_model";
    public static final String LLM_MODEL = "llm_model";
    public static final String LLM_PROMPT_TOKENS = "llm_prompt_tokens";
    public static final String LLM_COMPLETION_TOKENS = "llm_completion_tokens";
    public static final String LLM_TOTAL_TOKENS = "llm_total_tokens";
    /** Prompt tokens served from the provider's prompt cache (a part of {@link #LLM_PROMPT_TOKENS}). */
    public static final String LLM_CACHED_TOKENS = "llm_cached_tokens";
    public static final String LLM_TTFT = "llm_time_to_first_token";
    public static final String LLM_STREAM = "llm_stream";
    public static final String LLM_RESPONSE_TEXT = "llm_response_text";
    // APISIX 3.18's observability variables (its defaults when nothing set them: "0", "false", "")
    public static final String LLM_CACHE_READ_INPUT_TOKENS = "llm_cache_read_input_tokens";
    public static final String LLM_CACHE_CREATION_INPUT_TOKENS = "llm_cache_creation_input_tokens";
    public static final String LLM_REASONING_TOKENS = "llm_reasoning_tokens";
    public static final String LLM_TOOL_COUNT = "llm_tool_count";
    public static final String LLM_HAS_TOOL_CALLS = "llm_has_tool_calls";
    public static final String LLM_END_USER_ID = "llm_end_user_id";
    /** Set by content moderation plugins (aigw has none yet): always empty. */
    public static final String LLM_CONTENT_RISK_LEVEL = "llm_content_risk_level";
    public static final String APISIX_UPSTREAM_RESPONSE_TIME = UpstreamVariables.APISIX_RESPONSE_TIME;
    /** The picked instance's name, as APISIX's {@code ctx.balancer_ip} ({@code ai-proxy-<provider>}). */
    public static final String BALANCER_IP = "balancer_ip";

    // the core's upstream variables, which ai-proxy's LLM calls set like any upstream
    public static final String UPSTREAM_ADDR = UpstreamVariables.ADDR;
    public static final String UPSTREAM_STATUS = UpstreamVariables.STATUS;
    public static final String UPSTREAM_SCHEME = UpstreamVariables.SCHEME;
    public static final String UPSTREAM_HOST = UpstreamVariables.HOST;
    public static final String UPSTREAM_URI = UpstreamVariables.URI;
    public static final String UPSTREAM_RESPONSE_TIME = UpstreamVariables.RESPONSE_TIME;

    public static final String TRADITIONAL_HTTP = "traditional_http";
    public static final String AI_CHAT = "ai_chat";
    public static final String AI_STREAM = "ai_stream";

    private AiVars() {
    }

    /**
     * Registers the LLM variables: {@code request_type} is {@code traditional_http} on requests that
     * ai-proxy did not handle; the others are unset (null) there. Values set on a request win.
     * The {@code upstream_*} variables belong to the core ({@link UpstreamVariables}), which registers them.
     */
    public static void register(VariableRegistry registry) {
        registry.register(REQUEST_TYPE, ctx -> TRADITIONAL_HTTP);
        for (String name : new String[] {REQUEST_LLM_MODEL, LLM_MODEL, LLM_PROMPT_TOKENS, LLM_COMPLETION_TOKENS,
                LLM_TOTAL_TOKENS, LLM_TTFT, LLM_STREAM}) {
            registry.register(name, ctx -> null);
        }
        orDefault(registry, null, LLM_CACHED_TOKENS, BALANCER_IP);
        // APISIX's ngx_tpl.lua sets these on every request: the same values until ai-proxy sets them
        Long zero = 0L;
        orDefault(registry, zero, LLM_CACHE_CREATION_INPUT_TOKENS, LLM_REASONING_TOKENS, LLM_TOOL_COUNT);
        orDefault(registry, "false", LLM_HAS_TOOL_CALLS);
        orDefault(registry, "", LLM_END_USER_ID, LLM_CONTENT_RISK_LEVEL);
        if (!registry.isKnown(LLM_CACHE_READ_INPUT_TOKENS)) {
            // APISIX's name for what llm_cached_tokens holds
            registry.register(LLM_CACHE_READ_INPUT_TOKENS, ctx -> {
                Object cached = ctx.var(LLM_CACHED_TOKENS);
                return cached == null ? zero : cached;
            });
        }
    }

    /** Registers each of {@code names} not known yet, resolving to {@code value} until a request sets it. */
    private static void orDefault(VariableRegistry registry, Object value, String... names) {
        for (String name : names) {
            if (!registry.isKnown(name)) {
                registry.register(name, ctx -> value);
            }
        }
    }
}
