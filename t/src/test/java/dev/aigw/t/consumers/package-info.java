/**
 * Black-box tests of consumers, credentials, consumer groups, services, plugin configs, key-auth and
 * the encrypted fields, on both stores, with the official OpenAI client.
 */
package dev.aigw.t.consumers;
