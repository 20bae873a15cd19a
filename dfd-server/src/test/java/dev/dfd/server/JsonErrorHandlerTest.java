package dev.dfd.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dfd.internal.Json;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.AbstractHandler;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The last line of defence, on a bare Jetty server: a failure that escapes every handler, an OutOfMemoryError
 * included, is answered with the API's JSON 500 (never Jetty's HTML or an empty body), and the server goes on.
 */
class JsonErrorHandlerTest {
    @Test
    void failuresThatEscapeTheHandlersAreJson() throws Exception {
        Server jetty = new Server();
        ServerConnector connector = new ServerConnector(jetty);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        jetty.addConnector(connector);
        jetty.setErrorHandler(new JsonErrorHandler());
        jetty.setHandler(new AbstractHandler() {
            @Override
            public void handle(String target, Request base, HttpServletRequest request, HttpServletResponse response)
                    throws IOException {
                switch (target) {
                    case "/oom" -> throw new OutOfMemoryError("Java heap space");
                    case "/boom" -> throw new IllegalStateException("secret detail");
                    default -> {
                        response.getWriter().write("ok");
                        base.setHandled(true);
                    }
                }
            }
        });
        jetty.start();
        try {
            int port = connector.getLocalPort();
            for (String path : new String[]{"/oom", "/boom"}) {
                ServerTestSupport.RawResponse r = ServerTestSupport.raw(port, ("PUT " + path
                        + " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                assertEquals(500, r.status(), r.toString());
                assertTrue(r.header("Content-Type").startsWith("application/json"), r.toString());
                JsonNode error = Json.MAPPER.readTree(r.body()).get("error");
                assertEquals("internal", error.get("code").asText());
                assertEquals("internal error", error.get("message").asText());
                assertEquals(r.header("X-Request-Id"), error.get("request_id").asText());
                assertFalse(r.body().contains("secret") || r.body().contains("Java heap"), r.body());
            }
            ServerTestSupport.RawResponse ok = ServerTestSupport.raw(port,
                    "GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals(200, ok.status());
            assertEquals("ok", ok.body());
        } finally {
            jetty.stop();
        }
    }
}
