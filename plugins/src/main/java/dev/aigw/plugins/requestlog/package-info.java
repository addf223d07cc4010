/**
 * The {@code ai-request-log} plugin: one row per AI call in SQLite ({@code logs/requests.db} by
 * default) or PostgreSQL, priced from a per-model table in the plugin metadata ({@code $llm_cost}),
 * written in batches on a worker thread, and the Admin API's spend report over those rows.
 */
package dev.aigw.plugins.requestlog;
