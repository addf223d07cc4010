/** APISIX's {@code response-rewrite} plugin: status, headers and body of the answer, under a {@code vars} condition. */
package dev.aigw.plugins.responserewrite;
