package dev.aigw.gateway;

import dev.aigw.gateway.conf.AdminKey;
import dev.aigw.gateway.conf.GatewayConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * Loud warnings about an Admin API that anyone could use, printed at start (stderr and the error log),
 * as APISIX's {@code apisix init} prints them: the gateway still starts, the operator is told the risk.
 */
final class StartupWarnings {

    /** The key shipped in conf/config.yaml (APISIX's documented example key): public knowledge. */
    static final String WELL_KNOWN_ADMIN_KEY = "edd1c9f034335f136f87ad84b625c8f1";

    private StartupWarnings() {
    }

    static List<String> adminExposure(GatewayConfig config) {
        List<String> out = new ArrayList<>();
        if (!config.enableAdmin()) {
            return out;
        }
        String where = "the Admin API on " + config.adminListen();
        if (config.adminKeyRequired()) {
            for (AdminKey k : config.adminKeys()) {
                if (WELL_KNOWN_ADMIN_KEY.equals(k.key())) {
                    // the key itself is not repeated: it is public, but keys never go to logs
                    out.add("WARNING: using fixed Admin API token has security risk: deployment.admin.admin_key \""
                            + k.name() + "\" is the well-known key shipped in conf/config.yaml (APISIX's example "
                            + "key); anyone who can reach " + where + " can change routes and read provider keys. "
                            + "Please modify admin_key in conf/config.yaml (or set it to '' for a random key at each start).");
                }
            }
        } else {
            out.add("WARNING: Admin key is bypassed (deployment.admin.admin_key_required: false): anyone who can "
                    + "reach " + where + " can change routes and read provider keys.");
        }
        if (config.allowAdmin().isEmpty()) {
            out.add("WARNING: deployment.admin.allow_admin is empty: " + where + " accepts clients from any "
                    + "address. Limit it to the networks that administer the gateway (APISIX's default is 127.0.0.0/24).");
        }
        return out;
    }
}
