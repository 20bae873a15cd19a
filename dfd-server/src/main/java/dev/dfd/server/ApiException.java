package dev.dfd.server;

/** An error answered as {@code {"error": {"code", "message", "request_id"}}} with an HTTP status. */
class ApiException extends RuntimeException {
    final int status;
    final String code;
    /** Seconds for a Retry-After header, or 0. */
    final int retryAfter;

    ApiException(int status, String code, String message) {
        this(status, code, message, 0);
    }

    ApiException(int status, String code, String message, int retryAfter) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.retryAfter = retryAfter;
    }
}
