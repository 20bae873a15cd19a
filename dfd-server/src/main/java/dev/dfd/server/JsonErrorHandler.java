package dev.dfd.server;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.BufferUtil;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Jetty's own error answers as the API's JSON: requests Jetty refuses while parsing (malformed request line or
 * headers, headers too large, a bad Content-Length) and failures that escape the routes, instead of Jetty's HTML.
 */
final class JsonErrorHandler extends ErrorHandler {
    /** Every method gets a body (Jetty's default leaves all but GET, POST and HEAD without one). */
    @Override
    public boolean errorPageForMethod(String method) {
        return true;
    }

    @Override
    protected void generateAcceptableResponse(Request baseRequest, HttpServletRequest request,
                                              HttpServletResponse response, int status, String message)
            throws IOException {
        Object known = request.getAttribute(ErrorResponses.REQUEST_ID_ATTRIBUTE);
        String id = known instanceof String s ? s
                : ErrorResponses.requestId(request.getHeader(ErrorResponses.REQUEST_ID_HEADER));
        Throwable cause = request.getAttribute(RequestDispatcher.ERROR_EXCEPTION) instanceof Throwable t ? t : null;
        // an internal failure's message is for the log, not the client
        String said = status == 500 ? "internal error" : message != null ? message : HttpStatus.getMessage(status);
        ErrorResponses.log(status, code(status), request.getMethod(), request.getRequestURI(), id,
                cause == null ? said : said + " (" + cause + ")", status == 500 ? cause : null);
        byte[] body = ErrorResponses.body(code(status), said, id).getBytes(StandardCharsets.UTF_8);
        response.setHeader(ErrorResponses.REQUEST_ID_HEADER, id);
        response.setContentType("application/json");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
        baseRequest.setHandled(true);
    }

    /** A request Jetty could not parse: no route ever sees it. */
    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        String id = ErrorResponses.requestId(null);
        String message = reason == null ? HttpStatus.getMessage(status) : reason;
        ErrorResponses.log(status, code(status), "-", "-", id, message, null);
        fields.put(HttpHeader.CONTENT_TYPE, "application/json");
        fields.put(ErrorResponses.REQUEST_ID_HEADER, id);
        return BufferUtil.toBuffer(ErrorResponses.body(code(status), message, id), StandardCharsets.UTF_8);
    }

    /** The API's error code for a status Jetty answers with. */
    static String code(int status) {
        return switch (status) {
            case 400 -> "bad_request";
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 408 -> "request_timeout";
            case 413 -> "too_large";
            case 414 -> "uri_too_long";
            case 415 -> "unsupported_media_type";
            case 431 -> "headers_too_large";
            case 500 -> "internal";
            case 501 -> "not_implemented";
            case 503 -> "unavailable";
            case 505 -> "http_version_not_supported";
            default -> "http_" + status;
        };
    }
}
