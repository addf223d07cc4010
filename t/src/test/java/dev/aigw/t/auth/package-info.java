/** basic-auth and jwt-auth against the real jar: APISIX's answers, consumers and credentials, secrets at rest. */
package dev.aigw.t.auth;
