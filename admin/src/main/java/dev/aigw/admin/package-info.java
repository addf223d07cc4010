/** The Admin API on port 9180: APISIX's {@code /apisix/admin/*} resources over the config store. */
package dev.aigw.admin;
