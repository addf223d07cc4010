package dev.aigw.admin;

/** A status and a body: JsonObject, JsonArray, a raw JSON or plain string, or null for none. */
record ApiResponse(int status, Object body) {
}
