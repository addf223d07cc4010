/** Black-box tests of the prometheus and server-timing plugins: scrapes of the real jar's export server. */
package dev.aigw.t.metrics;
