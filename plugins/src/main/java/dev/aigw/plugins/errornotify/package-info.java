/**
 * The {@code ai-error-notify} plugin: failed AI calls (status classes, all instances failed) sent
 * as short messages to Feishu/Lark, Matrix or any JSON webhook, at most a few per window.
 */
package dev.aigw.plugins.errornotify;
