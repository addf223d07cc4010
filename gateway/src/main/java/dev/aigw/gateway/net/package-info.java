/**
 * Small network helpers: literal IP addresses and CIDR blocks, and what keeps work on its event loop
 * when several serve traffic (one instance per loop, futures handed back on the caller's context).
 */
package dev.aigw.gateway.net;
