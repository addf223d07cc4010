/**
 * Configuration stores behind {@link dev.aigw.gateway.store.ConfigStore}: the built-in file-backed
 * {@link dev.aigw.gateway.store.LocalStore} (default) and {@link dev.aigw.gateway.store.EtcdStore};
 * {@link dev.aigw.gateway.store.ConfigStores#create} picks one from the configuration, and
 * {@link dev.aigw.gateway.store.ConfigWatcher} turns a store's load + watch into a stream of
 * {@link dev.aigw.gateway.store.StoreUpdate}s (what changed) for the route table builder.
 */
package dev.aigw.gateway.store;
