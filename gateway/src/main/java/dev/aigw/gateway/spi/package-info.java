/** Extension points for parts outside the core, such as the Admin API. */
package dev.aigw.gateway.spi;
