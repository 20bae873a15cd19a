package dev.dfd.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dfd.Detector;
import dev.dfd.DetectorOptions;
import dev.dfd.Fixtures;
import dev.dfd.internal.Json;
import dev.dfd.internal.io.ImageDecoderTestSupport;
import dev.dfd.internal.io.ImageHeader;
import dev.dfd.internal.report.DetectionJson;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.imageio.ImageIO;

import static dev.dfd.server.ServerTestSupport.get;
import static dev.dfd.server.ServerTestSupport.multipart;
import static dev.dfd.server.ServerTestSupport.post;
import static dev.dfd.server.ServerTestSupport.raw;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile load over a real socket, with small budgets and deadlines so that each case takes a few seconds: headers
 * claiming huge images, many large photos at once, slow clients, malformed and oversized requests.
 */
class OverloadAndLimitsTest {
    static Detector detector;

    @BeforeAll
    static void load() {
        detector = Detector.load(Fixtures.tinyModel(), DetectorOptions.DEFAULTS.withThreads(1)); // 90 MP limit
    }

    @AfterAll
    static void close() {
        detector.close();
    }

    static DfdServer server(long maxMemory, long readTimeoutMillis) {
        // idle connections kept longer than the tests' pauses: the shared HttpClient reuses them
        return new DfdServer(detector, new ServerConfig("127.0.0.1", 0, null, 8, 2, 64, 8L << 20, 4, false, 60_000,
                10_000, maxMemory, readTimeoutMillis, 64)).start();
    }

    static JsonNode json(String body) throws IOException {
        return Json.MAPPER.readTree(body);
    }

    /** {@code count} concurrent POSTs of one body: "status code" of each answer (code from the JSON error). */
    static Map<String, Integer> concurrently(int port, String contentType, byte[] body, int count) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(count);
        try {
            List<Future<HttpResponse<String>>> answers = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                answers.add(pool.submit(() -> post(port, "/v1/detect", contentType, body)));
            }
            Map<String, Integer> outcomes = new TreeMap<>();
            for (Future<HttpResponse<String>> f : answers) {
                HttpResponse<String> r = f.get();
                String outcome = Integer.toString(r.statusCode());
                if (r.statusCode() != 200) {
                    JsonNode error = json(r.body()).get("error");
                    assertEquals(r.headers().firstValue("X-Request-Id").orElseThrow(),
                            error.get("request_id").asText(), r.body());
                    outcome += " " + error.get("code").asText();
                    if (r.statusCode() == 503) {
                        assertEquals("1", r.headers().firstValue("Retry-After").orElse(""), r.body());
                    }
                }
                outcomes.merge(outcome, 1, Integer::sum);
            }
            return outcomes;
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Eight 3 KB JPEGs whose headers claim 9000x9000 (81 MP, under the 90 MP limit) at once: too small to be such a
     * file, each is refused as truncated from its header. Padded to a plausible 160 KB, decoding one would take about
     * 490 MB, more than the whole budget: 422 image_too_large, and nothing is decoded. Smaller claims that fit are
     * admitted one at a time (503 for the others) and then fail as the truncated files they are.
     */
    @Test
    void imagesClaimingHugeSizesAreAdmittedByTheirHeaders() throws Exception {
        long budget = 18L << 20; // one 1600x1200 decode at a time
        try (DfdServer server = server(budget, 30_000)) {
            byte[] tiny = ImageDecoderTestSupport.tinyJpegClaiming(9000, 9000);
            assertEquals(Map.of("422 invalid_image", 8), concurrently(server.port(), "image/jpeg", tiny, 8),
                    "3 KB cannot hold 9000x9000: truncated, from the header");
            byte[] claim9000 = ImageDecoderTestSupport.jpegClaiming(9000, 9000); // 160 KB, as small as it could be
            assertEquals(Map.of("422 image_too_large", 8), concurrently(server.port(), "image/jpeg", claim9000, 8));
            assertTrue(server.memoryPeak() < 10L << 20, "bodies only, nothing decoded: " + server.memoryPeak());

            byte[] claim1600 = ImageDecoderTestSupport.jpegClaiming(1600, 1200); // about 12.5 MB to decode
            Map<String, Integer> outcomes = concurrently(server.port(), "image/jpeg", claim1600, 6);
            assertEquals(Set.of("422 invalid_image", "503 overloaded"), outcomes.keySet(), outcomes.toString());
            assertTrue(server.memoryPeak() <= budget, server.memoryPeak() + " reserved of " + budget);
            assertTrue(server.memoryPeak() > 12L << 20, "a decode ran: " + server.memoryPeak());

            byte[] png = Files.readAllBytes(Fixtures.dir().resolve("images").resolve("noise_64x48.png"));
            assertEquals(200, post(server.port(), "/v1/detect", "image/png", png).statusCode());
        }
    }

    /**
     * An image whose decode is under the whole budget but over what the inference queue's share and the request's
     * own body leave could never be admitted, even on an idle server: 422 image_too_large, not 503 forever. With a
     * byte more of budget it is admitted (and then fails as the truncated file it is).
     */
    @Test
    void anImageThatCouldNeverFitIsTooLargeNotBusy() throws Exception {
        byte[] claim = ImageDecoderTestSupport.jpegClaiming(1600, 1200);
        MemoryCost cost = MemoryCost.of(detector);
        long image = cost.image(ImageHeader.read(claim));
        long held = cost.queue(64) + cost.body(claim.length, "image/jpeg", 8L << 20); // as server() configures it
        try (DfdServer server = server(image + held - 1, 30_000)) {
            for (int i = 0; i < 2; i++) { // the same answer every time: retrying cannot help
                HttpResponse<String> r = post(server.port(), "/v1/detect", "image/jpeg", claim);
                assertEquals(422, r.statusCode(), r.body());
                assertEquals("image_too_large", json(r.body()).get("error").get("code").asText(), r.body());
            }
        }
        try (DfdServer server = server(image + held, 30_000)) {
            HttpResponse<String> r = post(server.port(), "/v1/detect", "image/jpeg", claim);
            assertEquals("invalid_image", json(r.body()).get("error").get("code").asText(), r.body());
        }
    }

    /**
     * Forty concurrent 3000x2000 JPEGs against a budget that holds one decode: each is answered 200 (with the
     * right verdict) or 503, and the reservations never exceed the budget.
     */
    @Test
    void manyLargePhotosAtOnceAreServedOrRefused() throws Exception {
        byte[] photo = jpeg(3000, 2000);
        long budget = 60L << 20;
        try (DfdServer server = server(budget, 30_000)) {
            Map<String, Integer> outcomes = concurrently(server.port(), "image/jpeg", photo, 40);
            assertEquals(Set.of("200", "503 overloaded"), outcomes.keySet(), outcomes.toString());
            assertTrue(outcomes.get("503 overloaded") >= 10, outcomes.toString());
            assertTrue(server.memoryPeak() <= budget, server.memoryPeak() + " reserved of " + budget);
            HttpResponse<String> ok = post(server.port(), "/v1/detect", "image/jpeg", photo);
            assertEquals(200, ok.statusCode(), ok.body());
            assertEquals(Json.write(DetectionJson.of(detector.detect(photo, "photo")).get("logits")),
                    json(ok.body()).get("logits").toString());
        }
    }

    /**
     * Fifteen clients trickling a byte every 150 ms (the idle timeout never fires): ten still in their headers, five
     * in their bodies. Each is closed within the 1 s deadline plus the check interval, the connections go away,
     * and a client that sends its request at once on a connection kept open past the deadline is served.
     */
    @Test
    void slowClientsAreClosedAtTheReadDeadline() throws Exception {
        try (DfdServer server = server(64L << 20, 1_000)) {
            ExecutorService pool = Executors.newFixedThreadPool(15);
            List<Future<Long>> closedAfter = new ArrayList<>();
            String head = "POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 1000\r\n\r\n";
            for (int i = 0; i < 15; i++) {
                boolean inBody = i < 5;
                closedAfter.add(pool.submit(trickle(server.port(), inBody ? head : "", inBody ? "x" : head)));
            }
            for (Future<Long> f : closedAfter) {
                long millis = f.get();
                assertTrue(millis >= 900 && millis < 3_000, "closed after " + millis + " ms");
            }
            pool.shutdownNow();
            for (int i = 0; i < 50 && server.openConnections() > 0; i++) {
                Thread.sleep(20);
            }
            assertEquals(0, server.openConnections());

            byte[] png = Files.readAllBytes(Fixtures.dir().resolve("images").resolve("tiny_5x3.png"));
            try (Socket s = new Socket("127.0.0.1", server.port())) {
                s.setSoTimeout(5_000);
                Thread.sleep(1_500); // idle longer than the read deadline: only a request's own arrival is timed
                OutputStream out = s.getOutputStream();
                out.write(("POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: "
                        + png.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(png);
                out.flush();
                String status = new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
                assertEquals("HTTP/1.1 200", status);
            }
            String metrics = get(server.port(), "/metrics").body();
            assertTrue(metrics.contains("dfd_read_timeouts_total 15.0"), metrics.lines()
                    .filter(l -> l.startsWith("dfd_read_timeouts_total")).toList().toString());
        }
    }

    /** Sends {@code start} at once, then {@code drip} one byte every 150 ms; the milliseconds until the server closes. */
    private static Callable<Long> trickle(int port, String start, String drip) {
        return () -> {
            try (Socket s = new Socket("127.0.0.1", port)) {
                long t0 = System.nanoTime();
                OutputStream out = s.getOutputStream();
                InputStream in = s.getInputStream();
                out.write(start.getBytes(StandardCharsets.US_ASCII));
                s.setSoTimeout(150);
                for (int i = 0; System.nanoTime() - t0 < 10_000_000_000L; i++) {
                    try {
                        out.write(drip.charAt(i % drip.length()));
                        out.flush();
                        if (in.read() < 0) {
                            break;
                        }
                    } catch (java.net.SocketTimeoutException stillOpen) {
                        continue;
                    } catch (IOException closed) {
                        break;
                    }
                }
                return (System.nanoTime() - t0) / 1_000_000;
            }
        };
    }

    /**
     * Every error answer, from Jetty's parser, the routes or the exception mappers, is JSON with a code, a message
     * without Java class names, and the request id also sent as X-Request-Id. Content-Length beyond the body limit is
     * refused from the header, whatever its size, and the connection closed.
     */
    @Test
    void everyErrorIsJsonWithARequestId() throws Exception {
        try (DfdServer server = server(64L << 20, 5_000)) {
            int port = server.port();
            Map<String, String> expected = new HashMap<>();
            Map<String, ServerTestSupport.RawResponse> got = new HashMap<>();
            String post = "POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\n";
            for (String length : List.of("2147483648", "10737418240", "9223372036854775807")) {
                expected.put("content-length " + length, "413 too_large");
                long start = System.nanoTime();
                got.put("content-length " + length, raw(port, bytes(post + "Content-Length: " + length
                        + "\r\n\r\nabc")));
                assertTrue(System.nanoTime() - start < 2_000_000_000L, "answered from the header alone");
                assertEquals("close", got.get("content-length " + length).header("Connection"));
            }
            Map<String, String> requests = new TreeMap<>(Map.of(
                    "400 bad_request", "GARBAGE\r\n\r\n",
                    "400 bad_request ", "GET /healthz HTTP/1.1\r\n\r\n", // no Host
                    "431 headers_too_large", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n",
                    "414 uri_too_long", "GET /" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n",
                    "505 http_version_not_supported", "GET /healthz HTTP/3.0\r\nHost: x\r\n\r\n",
                    "405 method_not_allowed", "GET /v1/detect HTTP/1.1\r\nHost: x\r\n\r\n",
                    "405 method_not_allowed ", "DELETE /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
                    "404 not_found", "PUT /v2/nothing HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
                    "400 bad_json", "POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            + "Content-Length: 5\r\n\r\n{oops",
                    "400 bad_request  ", post + "Transfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n"));
            requests.forEach((outcome, request) -> expected.put(request, outcome.trim()));
            for (String request : requests.values()) {
                got.put(request, raw(port, bytes(request)));
            }
            for (Map.Entry<String, ServerTestSupport.RawResponse> e : got.entrySet()) {
                ServerTestSupport.RawResponse r = e.getValue();
                String name = e.getKey().length() > 60 ? e.getKey().substring(0, 60) : e.getKey();
                assertTrue(r.header("Content-Type").startsWith("application/json"), name + ": " + r);
                JsonNode error = json(r.body()).get("error");
                assertEquals(expected.get(e.getKey()), r.status() + " " + error.get("code").asText(), name + ": " + r);
                assertEquals(r.header("X-Request-Id"), error.get("request_id").asText(), name);
                assertTrue(error.get("request_id").asText().matches("[0-9a-f]{16}"), name + ": " + r);
                assertTrue(!error.get("message").asText().isBlank()
                        && !error.get("message").asText().matches(".*\\b(java|org|jakarta)\\.[a-z]+\\..*"), r.body());
            }
            assertEquals("POST", got.get(requests.get("405 method_not_allowed")).header("Allow"));

            HttpResponse<String> echoed = post(port, "/v1/detect", "text/plain", bytes("hi"), "X-Request-Id", "trace-42");
            assertEquals("trace-42", json(echoed.body()).at("/error/request_id").asText());
            HttpResponse<String> replaced = post(port, "/v1/detect", "text/plain", bytes("hi"), "X-Request-Id",
                    "not an id; " + "x".repeat(80));
            String id = json(replaced.body()).at("/error/request_id").asText();
            assertTrue(id.matches("[0-9a-f]{16}"), "a hostile id is replaced: " + id);
            assertEquals(id, replaced.headers().firstValue("X-Request-Id").orElseThrow());
            assertEquals(200, get(port, "/healthz").statusCode(), "the server goes on");
        }
    }

    /**
     * In a batch, an empty file (curl's -F file=@empty, or a browser's empty file field with filename=""), an empty
     * base64 string and an image too large for the budget each fail alone; the other images are answered.
     */
    @Test
    void badImagesInABatchFailAlone() throws Exception {
        try (DfdServer server = server(64L << 20, 5_000)) {
            Path empty = Files.createTempFile("empty", ".jpg");
            Path huge = Files.createTempFile("huge", ".jpg");
            Files.write(huge, ImageDecoderTestSupport.jpegClaiming(9000, 9000));
            Path good = Fixtures.dir().resolve("images").resolve("grad_37x23.png");
            ServerTestSupport.Multipart m = multipart(good, empty, huge);
            String browserEmpty = "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\"\r\n"
                    + "Content-Type: application/octet-stream\r\n\r\n\r\n";
            String body = new String(m.body(), StandardCharsets.ISO_8859_1);
            String boundary = m.contentType().substring(m.contentType().indexOf('=') + 1);
            body = body.replace("--" + boundary + "--", browserEmpty.replace("--b", "--" + boundary) + "--" + boundary + "--");
            HttpResponse<String> r = post(server.port(), "/v1/detect/batch", m.contentType(),
                    body.getBytes(StandardCharsets.ISO_8859_1));
            assertEquals(200, r.statusCode(), r.body());
            JsonNode results = json(r.body()).get("results");
            assertEquals(4, results.size(), r.body());
            assertEquals("ok", results.get(0).get("status").asText());
            assertEquals("empty file (0 bytes)", results.get(1).get("error").asText());
            assertTrue(results.get(2).get("error").asText().contains("over the server's memory budget"), r.body());
            assertEquals("empty file (0 bytes)", results.get(3).get("error").asText());

            String b64 = Base64.getEncoder().encodeToString(Files.readAllBytes(good));
            JsonNode viaJson = json(post(server.port(), "/v1/detect/batch", "application/json",
                    bytes("{\"images\": [\"\", \"" + b64 + "\"]}")).body());
            assertEquals("error", viaJson.at("/results/0/status").asText());
            assertEquals("ok", viaJson.at("/results/1/status").asText());
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** A real width x height JPEG of smooth gradients (quick to make and to encode). */
    static byte[] jpeg(int width, int height) throws IOException {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        DataBuffer data = image.getRaster().getDataBuffer();
        for (int i = 0; i < data.getSize(); i++) {
            // gentle gradients in both directions: 3000x2000 is about 110 KB, a 224x224 face crop a few KB
            data.setElem(i, (i / (width * 3)) / 8 + (i % 3) * 80 + (i % (width * 3)) / 120);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "jpeg", out);
        return out.toByteArray();
    }
}
