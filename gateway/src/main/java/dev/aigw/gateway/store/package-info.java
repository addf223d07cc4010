/** Configuration stores: the built-in file-backed store and etcd, behind {@link dev.aigw.gateway.store.ConfigStore}. */
package dev.aigw.gateway.store;
