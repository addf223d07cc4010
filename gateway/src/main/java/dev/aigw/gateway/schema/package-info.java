/** JSON-schema validation (compiled once) and the schemas of APISIX's resources. */
package dev.aigw.gateway.schema;
