package dev.aigw.admin;

import java.util.Objects;

/**
 * One admin key ({@code deployment.admin.admin_key[]} in APISIX's configuration): a name, the secret and
 * a role, {@code admin} (everything) or {@code viewer} (GET only). {@link #toString()} never shows the key.
 */
public record AdminKey(String name, String key, String role) {

    public AdminKey {
        Objects.requireNonNull(key, "key");
        role = role == null ? "admin" : role;
    }

    /** True for the {@code viewer} role, which may only read. */
    public boolean viewer() {
        return "viewer".equals(role);
    }

    @Override
    public String toString() {
        return "AdminKey[name=" + name + ", role=" + role + ", key=***]";
    }
}
