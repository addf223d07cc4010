/**
 * APISIX's {@code basic-auth} plugin: identifies the caller by the username and password of an
 * {@code Authorization: Basic} header, checked against the consumers' and credentials' basic-auth
 * configurations, and attaches the consumer to the request.
 */
package dev.aigw.plugins.basicauth;
