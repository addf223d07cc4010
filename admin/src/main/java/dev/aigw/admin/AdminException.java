package dev.aigw.admin;

/** Ends an Admin API request with a status and a body; travels through failed futures. */
final class AdminException extends RuntimeException {

    final int status;
    final Object body;

    AdminException(int status, Object body) {
        super(String.valueOf(body), null, false, false);
        this.status = status;
        this.body = body;
    }

    static AdminException badRequest(String msg) {
        return new AdminException(400, new io.vertx.core.json.JsonObject().put("error_msg", msg));
    }
}
