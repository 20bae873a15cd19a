package dev.dfd.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.internal.Json;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * The one shape of every error answer, {@code {"error": {"code", "message", "request_id"}}}, whoever makes it (a
 * route, the exception mappers, Jetty's parser), and the one log line each error gets.
 */
final class ErrorResponses {
    static final String REQUEST_ID_HEADER = "X-Request-Id";
    /** The request attribute holding the id, set before any route runs. */
    static final String REQUEST_ID_ATTRIBUTE = "dfd.request_id";

    /** An id a client may send to correlate its own logs: short, and nothing that could forge a log line. */
    private static final Pattern CLIENT_ID = Pattern.compile("[A-Za-z0-9._:-]{1,64}");
    /** "java.io.EOFException: " and the like: a class name tells a client nothing. */
    private static final Pattern CLASS_NAME = Pattern.compile("\\b(?:[a-z][a-z0-9_]*\\.)+[A-Z]\\w*(?:Exception|Error)\\b:?\\s*");
    private static final int MAX_MESSAGE = 300;

    private ErrorResponses() {
    }

    /** The client's X-Request-Id when it is a plain token, else a new random one. */
    static String requestId(String offered) {
        if (offered != null && CLIENT_ID.matcher(offered).matches()) {
            return offered;
        }
        byte[] random = new byte[8];
        ThreadLocalRandom.current().nextBytes(random);
        return HexFormat.of().formatHex(random);
    }

    static String body(String code, String message, String requestId) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.putObject("error").put("code", code).put("message", clean(message)).put("request_id", requestId);
        return Json.write(body);
    }

    /**
     * One line on stderr per error answered (class names kept: the log is for operators); a stack trace only for
     * internal errors under DFD_DEBUG=1.
     */
    static void log(int status, String code, String method, String path, String requestId, String message,
                    Throwable cause) {
        String line = message == null ? "" : message.replaceAll("[\\s\\p{Cntrl}]+", " ").trim();
        System.err.println("dfd serve: " + status + " " + code + " " + printable(method, 16) + " "
                + printable(path, 200) + " request_id=" + requestId + ": "
                + (line.length() > 2 * MAX_MESSAGE ? line.substring(0, 2 * MAX_MESSAGE) + "..." : line));
        if (cause != null && System.getenv("DFD_DEBUG") != null) {
            cause.printStackTrace();
        }
    }

    /** One line, no Java class names, at most a few hundred characters. */
    static String clean(String message) {
        if (message == null || message.isBlank()) {
            return "request failed";
        }
        String m = CLASS_NAME.matcher(message.replaceAll("\\s+", " ")).replaceAll("").trim();
        if (m.isEmpty()) {
            return "request failed";
        }
        return m.length() > MAX_MESSAGE ? m.substring(0, MAX_MESSAGE) + "..." : m;
    }

    /** Request-controlled text for a log line: control characters replaced, length capped. */
    private static String printable(String s, int max) {
        if (s == null) {
            return "-";
        }
        String t = s.length() > max ? s.substring(0, max) + "..." : s;
        return t.replaceAll("[\\p{Cntrl}\\s]", "_");
    }
}
