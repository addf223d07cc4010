/** HTTP upstreams: node selection, pooled clients, streaming proxying, retries and timeouts. */
package dev.aigw.gateway.upstream;
