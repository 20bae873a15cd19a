package dev.dfd.server;

import dev.dfd.Detector;
import dev.dfd.DetectorOptions;
import dev.dfd.Fixtures;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The load generator's own HTTP client against a real server: keep-alive requests served, bursts counted. */
class LoadTestTest {
    @Test
    void closedLoopAndBurstAreCountedOverKeepAliveConnections() throws Exception {
        Path images = Fixtures.dir().resolve("images");
        try (Detector detector = Detector.load(Fixtures.tinyModel(), DetectorOptions.DEFAULTS.withThreads(1));
             DfdServer server = new DfdServer(detector, new ServerConfig("127.0.0.1", 0, null, 4, 1, 4, 1 << 20, 4,
                     false, 5_000, 10_000, 256L << 20, 5_000, 128)).start()) {
            LoadTest load = new LoadTest("http://127.0.0.1:" + server.port(),
                    List.of(images.resolve("noise_64x48.png"), images.resolve("grad_37x23.png")));
            LoadTest.Level level = load.closedLoop(2, 1.0);
            assertTrue(level.ok() > 20, level.toString());
            assertEquals(0, level.errors(), level.toString());
            assertEquals(0, level.rejected(), "two clients never fill a queue of four: " + level);
            assertTrue(level.p50() > 0, level.toString());

            LoadTest.Level burst = load.burst(400, 64);
            assertEquals(400, burst.ok() + burst.rejected(), "every request is served or refused: " + burst);
            assertEquals(0, burst.errors(), burst.toString());
            assertTrue(burst.rejected() > 0, "a queue of four refuses part of a 64-connection burst: " + burst);
        }
        assertThrows(IllegalArgumentException.class, () -> new LoadTest("http://example.com:80",
                List.of(images.resolve("noise_64x48.png"))));
    }

    /**
     * The client against a stub speaking the HTTP/1.1 the client must handle: a chunked answer on a kept-alive
     * connection, an answer with Connection: close (the client reconnects), then a malformed status line (an error,
     * not an exception that stops the run).
     */
    @Test
    void chunkedClosedAndMalformedResponses() throws Exception {
        java.util.concurrent.atomic.AtomicInteger served = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger connections = new java.util.concurrent.atomic.AtomicInteger();
        try (java.net.ServerSocket server = new java.net.ServerSocket(0, 8, java.net.InetAddress.getLoopbackAddress())) {
            Thread stub = new Thread(() -> {
                while (!server.isClosed()) {
                    try (java.net.Socket s = server.accept()) {
                        connections.incrementAndGet();
                        java.io.InputStream in = new java.io.BufferedInputStream(s.getInputStream());
                        java.io.OutputStream out = s.getOutputStream();
                        while (readRequest(in)) {
                            int n = served.getAndIncrement();
                            String response = switch (n) {
                                case 0 -> "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
                                case 1 -> "HTTP/1.1 503 Busy\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
                                default -> "garbage\r\n\r\n";
                            };
                            out.write(response.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                            out.flush();
                            if (n >= 1) {
                                break;
                            }
                        }
                    } catch (java.io.IOException e) {
                        return; // closed
                    }
                }
            });
            stub.setDaemon(true);
            stub.start();
            LoadTest load = new LoadTest("http://127.0.0.1:" + server.getLocalPort(),
                    List.of(Fixtures.dir().resolve("images").resolve("tiny_5x3.png")));
            LoadTest.Level r = load.burst(3, 1);
            assertEquals(1, r.ok(), r.toString());
            assertEquals(1, r.rejected(), r.toString());
            assertEquals(1, r.errors(), r.toString());
            assertEquals(2, connections.get(), "a new connection after Connection: close");
        }
    }

    /** Reads one request's head and its Content-Length body; false at the end of the stream. */
    private static boolean readRequest(java.io.InputStream in) throws java.io.IOException {
        StringBuilder head = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            head.append((char) c);
            if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("Content-Length: (\\d+)")
                        .matcher(head);
                long length = m.find() ? Long.parseLong(m.group(1)) : 0;
                in.readNBytes((int) length);
                return true;
            }
        }
        return false;
    }
}
