/**
 * Black-box tests of the gateway foundation: the real jar as a process, real HTTP, a real etcd,
 * the Admin API, route matching, HTTP upstream proxying, route churn, store outages, restarts,
 * shutdown and configuration errors.
 */
package dev.aigw.t.foundation;
