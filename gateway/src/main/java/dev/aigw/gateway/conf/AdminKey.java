package dev.aigw.gateway.conf;

/**
 * One Admin API key ({@code deployment.admin.admin_key[]}): a name, the secret sent as
 * {@code X-API-KEY}, and a role ({@code admin} may write, {@code viewer} may only read).
 */
public record AdminKey(String name, String key, String role) {

    public AdminKey {
        java.util.Objects.requireNonNull(key, "key");
        role = role == null ? "admin" : role;
    }

    /** True for the {@code viewer} role, which may only read. */
    public boolean viewer() {
        return "viewer".equals(role);
    }

    /** Never prints the secret: records end up in log lines and exception messages. */
    @Override
    public String toString() {
        return "AdminKey[name=" + name + ", key=***, role=" + role + "]";
    }
}
