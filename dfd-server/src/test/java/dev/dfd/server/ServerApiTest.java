package dev.dfd.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dfd.DecodeLimits;
import dev.dfd.Detector;
import dev.dfd.DetectorOptions;
import dev.dfd.Fixtures;
import dev.dfd.internal.Json;
import dev.dfd.internal.report.DetectionJson;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.dfd.server.ServerTestSupport.get;
import static dev.dfd.server.ServerTestSupport.multipart;
import static dev.dfd.server.ServerTestSupport.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every route, content type and error code of the API over a real socket, with the self-contained tiny model. */
class ServerApiTest {
    static Detector detector;
    static DfdServer server;
    static int port;
    static final long MAX_BODY = 1 << 20;

    @BeforeAll
    static void start() {
        detector = Detector.load(Fixtures.tinyModel(), DetectorOptions.DEFAULTS.withThreads(1)
                .withLimits(new DecodeLimits(MAX_BODY, 1_000_000)));
        server = new DfdServer(detector, new ServerConfig("127.0.0.1", 0, null, 8, 2, 64, MAX_BODY, 4, false, 5_000,
                10_000, 256L << 20, 5_000, 64)).start();
        port = server.port();
    }

    @AfterAll
    static void stop() {
        server.close();
        detector.close();
    }

    static Path image(String name) {
        return Fixtures.dir().resolve("images").resolve(name);
    }

    static JsonNode json(HttpResponse<String> r) throws IOException {
        return Json.MAPPER.readTree(r.body());
    }

    static void assertError(HttpResponse<String> r, int status, String code) throws IOException {
        assertEquals(status, r.statusCode(), r.body());
        assertEquals(code, json(r).at("/error/code").asText(), r.body());
        assertTrue(json(r).at("/error/message").isTextual());
    }

    @Test
    void detectAnswersWhatDetectPrints() throws Exception {
        Path file = image("noise_64x48.png");
        JsonNode expected = Json.MAPPER.readTree(Json.write(DetectionJson.of(detector.detect(file)))); // as text
        var m = multipart(file);
        JsonNode viaMultipart = json(post(port, "/v1/detect", m.contentType(), m.body()));
        JsonNode viaRaw = json(post(port, "/v1/detect", "image/png", Files.readAllBytes(file)));
        JsonNode viaOctets = json(post(port, "/v1/detect", "application/octet-stream", Files.readAllBytes(file)));
        String b64 = Base64.getEncoder().encodeToString(Files.readAllBytes(file));
        JsonNode viaJson = json(post(port, "/v1/detect", "application/json",
                ("{\"image\": \"" + b64 + "\"}").getBytes(StandardCharsets.UTF_8)));
        JsonNode viaDataUrl = json(post(port, "/v1/detect", "application/json",
                ("{\"image\": \"data:image/png;base64," + b64 + "\"}").getBytes(StandardCharsets.UTF_8)));
        for (JsonNode r : List.of(viaMultipart, viaRaw, viaOctets, viaJson, viaDataUrl)) {
            for (String field : List.of("label", "score", "predictions", "logits")) {
                assertEquals(expected.get(field), r.get(field), field + " in " + r);
            }
            assertEquals(server.modelId(), r.get("model").asText());
        }
        assertEquals("noise_64x48.png", viaMultipart.get("path").asText());
    }

    @Test
    void queryParametersChangeTheAnswer() throws Exception {
        byte[] png = Files.readAllBytes(image("grad_37x23.png"));
        JsonNode top1 = json(post(port, "/v1/detect?top_k=1", "image/png", png));
        assertEquals(1, top1.get("predictions").size());
        JsonNode strict = json(post(port, "/v1/detect?threshold=0.99", "image/png", png));
        assertEquals("Real", strict.get("label").asText());
        JsonNode lenient = json(post(port, "/v1/detect?threshold=0.01", "image/png", png));
        assertEquals("Fake", lenient.get("label").asText());
        JsonNode raw = json(post(port, "/v1/detect?function=none", "image/png", png));
        assertEquals(raw.at("/logits/1").asDouble(), raw.get("score").asDouble(), 1e-6);
        assertError(post(port, "/v1/detect?top_k=0", "image/png", png), 400, "bad_parameter");
        assertError(post(port, "/v1/detect?threshold=high", "image/png", png), 400, "bad_parameter");
        assertError(post(port, "/v1/detect?function=tanh", "image/png", png), 400, "bad_parameter");
    }

    @Test
    void batchKeepsOrderAndReportsBadImagesInPlace() throws Exception {
        Path bad = Files.createTempFile("bad", ".jpg");
        Files.writeString(bad, "not an image");
        Path empty = Files.createTempFile("empty", ".png");
        var m = multipart(image("grad_37x23.png"), bad, image("tall_9x40.png"), empty);
        HttpResponse<String> r = post(port, "/v1/detect/batch", m.contentType(), m.body());
        assertEquals(200, r.statusCode(), r.body());
        JsonNode results = json(r).get("results");
        assertEquals(4, results.size());
        assertEquals("grad_37x23.png", results.get(0).get("path").asText());
        assertTrue(results.get(1).get("error").asText().startsWith("not an image"));
        assertEquals("tall_9x40.png", results.get(2).get("path").asText());
        assertTrue(results.get(3).has("error"), "an empty file fails alone: " + results.get(3));
        String b64 = Base64.getEncoder().encodeToString(Files.readAllBytes(image("tiny_5x3.png")));
        JsonNode viaJson = json(post(port, "/v1/detect/batch", "application/json",
                ("{\"images\": [\"" + b64 + "\", \"" + b64 + "\"]}").getBytes(StandardCharsets.UTF_8)));
        assertEquals(2, viaJson.get("results").size());
        var five = multipart(image("grad_37x23.png"), image("grad_37x23.png"),
                image("grad_37x23.png"), image("grad_37x23.png"), image("grad_37x23.png"));
        assertError(post(port, "/v1/detect/batch", five.contentType(), five.body()), 413, "too_many_images");
        var two = multipart(image("grad_37x23.png"), image("tiny_5x3.png"));
        assertError(post(port, "/v1/detect", two.contentType(), two.body()), 400, "one_image");
    }

    @Test
    void everyErrorIsJsonWithItsCode() throws Exception {
        assertError(post(port, "/v1/detect", "text/plain", "hello".getBytes()), 415, "unsupported_media_type");
        assertError(post(port, "/v1/detect", "image/jpeg", "garbage".getBytes()), 422, "invalid_image");
        assertError(post(port, "/v1/detect", "image/jpeg", new byte[0]), 422, "invalid_image");
        assertError(post(port, "/v1/detect", "application/json", "{oops".getBytes()), 400, "bad_json");
        // media types are case-insensitive, but Jetty's multipart parser refuses anything but lower case
        var upload = multipart(image("grad_37x23.png"));
        String mixedCase = upload.contentType().replace("multipart/form-data", "Multipart/Form-Data");
        assertError(post(port, "/v1/detect", mixedCase, upload.body()), 400, "bad_request");
        assertError(post(port, "/v1/detect", "application/json", "{\"image\": 5}".getBytes()), 400, "bad_json");
        assertError(post(port, "/v1/detect", "application/json", "{\"image\": \"%%%\"}".getBytes()), 400, "bad_base64");
        assertError(post(port, "/v1/detect", "application/json", "{}".getBytes()), 400, "no_image");
        assertError(post(port, "/v1/detect", "application/json", "{\"url\": \"http://127.0.0.1/x.jpg\"}".getBytes()),
                403, "url_fetch_disabled");
        assertError(post(port, "/v1/detect", "image/png", new byte[(int) MAX_BODY + 10]), 413, "too_large");
        byte[] bigPixels = dev.dfd.internal.io.ImageDecoderTestSupport.pngClaiming(2000, 2000);
        assertError(post(port, "/v1/detect", "image/png", bigPixels), 422, "invalid_image");
        assertError(get(port, "/v2/nothing"), 404, "not_found");
    }

    @Test
    void readOnlyRoutes() throws Exception {
        assertEquals("ok", json(get(port, "/healthz")).get("status").asText());
        assertEquals("ready", json(get(port, "/readyz")).get("status").asText());
        JsonNode models = json(get(port, "/v1/models")).get("models").get(0);
        assertEquals(List.of("Real", "Fake"), List.of(models.at("/labels/0").asText(), models.at("/labels/1").asText()));
        assertEquals("Fake", models.get("positive_label").asText());
        assertEquals(64, models.get("onnx_sha256").asText().length());
        assertEquals("[16,16]", models.at("/preprocessing/size").toString());
        assertEquals("3.0.3", json(get(port, "/openapi.json")).get("openapi").asText());
        assertTrue(get(port, "/docs").body().contains("/v1/detect/batch"));
        String page = get(port, "/").body();
        assertTrue(page.contains("/static/app.js") && !page.contains("http://") && !page.contains("https://"));
        assertEquals(200, get(port, "/static/app.js").statusCode());
        assertEquals(200, get(port, "/static/style.css").statusCode());
        post(port, "/v1/detect", "image/png", Files.readAllBytes(image("tiny_5x3.png")));
        String metrics = get(port, "/metrics").body();
        for (String name : List.of("dfd_http_requests_total", "dfd_http_request_duration_seconds_bucket",
                "dfd_queue_depth", "dfd_batch_size", "dfd_inference_duration_seconds", "dfd_images_total",
                "dfd_images_per_second")) {
            assertTrue(metrics.contains(name), name);
        }
    }

    /** 500 hostile requests: each answered 4xx (never 5xx), and the server still answers correctly afterwards. */
    @Test
    void hostileRequestsGetFourHundredsOnly() throws Exception {
        byte[] png = Files.readAllBytes(image("noise_64x48.png"));
        Random r = new Random(1);
        int fourHundreds = 0;
        for (int i = 0; i < 500; i++) {
            HttpResponse<String> resp;
            switch (i % 10) {
                case 0 -> resp = post(port, "/v1/detect", "image/png", Arrays.copyOf(png, r.nextInt(png.length)));
                case 1 -> {
                    byte[] g = png.clone();
                    for (int k = 0; k < 30; k++) {
                        g[16 + r.nextInt(g.length - 16)] ^= (byte) (1 + r.nextInt(255));
                    }
                    resp = post(port, "/v1/detect", "image/png", g);
                }
                case 2 -> resp = post(port, "/v1/detect", "text/html", png);
                case 3 -> resp = post(port, "/v1/detect", "application/json", randomBytes(r, 200));
                case 4 -> resp = post(port, "/v1/detect", "application/json", new byte[0]);
                case 5 -> resp = post(port, "/v1/detect", "multipart/form-data; boundary=xyz", randomBytes(r, 300));
                case 6 -> resp = post(port, "/v1/detect", null, new byte[0]);
                case 7 -> resp = post(port, "/v1/detect", "image/jpeg", randomBytes(r, 1 + r.nextInt(4000)));
                case 8 -> resp = post(port, "/v1/detect/batch", "application/json",
                        "{\"images\": [\"!!\", 3, null]}".getBytes());
                default -> {
                    assertTrue(lyingContentLength() >= 400);
                    fourHundreds++;
                    continue;
                }
            }
            int s = resp.statusCode();
            assertTrue(s >= 400 && s < 500, "request " + i + " got " + s + ": " + resp.body());
            assertTrue(json(resp).at("/error/code").isTextual(), resp.body());
            fourHundreds++;
        }
        assertEquals(500, fourHundreds);
        HttpResponse<String> ok = post(port, "/v1/detect", "image/png", png);
        assertEquals(200, ok.statusCode());
        assertEquals(Json.write(DetectionJson.of(detector.detect(image("noise_64x48.png"))).get("logits")),
                json(ok).get("logits").toString());
    }

    private static byte[] randomBytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    /** Declares a 2 GB body and sends a few bytes: the answer comes from the header alone. */
    private static int lyingContentLength() throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 2000000000"
                    + "\r\n\r\nabc").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String status = new String(in.readNBytes(12), StandardCharsets.US_ASCII); // "HTTP/1.1 413"
            return Integer.parseInt(status.substring(9, 12));
        }
    }

    @Test
    void apiKeyIsRequiredWhenConfigured() throws Exception {
        try (DfdServer secured = new DfdServer(detector, ServerConfig.DEFAULTS.withPort(0).withApiKey("s3cret")).start()) {
            byte[] png = Files.readAllBytes(image("tiny_5x3.png"));
            assertError(post(secured.port(), "/v1/detect", "image/png", png), 401, "unauthorized");
            assertError(post(secured.port(), "/v1/detect", "image/png", png, "X-API-Key", "wrong"), 401, "unauthorized");
            assertEquals(200, post(secured.port(), "/v1/detect", "image/png", png, "X-API-Key", "s3cret").statusCode());
            assertEquals(200, post(secured.port(), "/v1/detect", "image/png", png, "Authorization", "Bearer s3cret")
                    .statusCode());
            assertEquals(200, get(secured.port(), "/healthz").statusCode()); // health stays open for orchestrators
        }
    }

    @Test
    void urlFetchRefusesPrivateAddresses() throws Exception {
        try (DfdServer open = new DfdServer(detector, ServerConfig.DEFAULTS.withPort(0).withUrlFetch(true)).start()) {
            for (String url : List.of("http://127.0.0.1:" + port + "/static/app.js", "http://localhost/x.png",
                    "http://10.0.0.1/x.png", "http://169.254.169.254/latest/meta-data", "http://[::1]/x.png")) {
                assertError(post(open.port(), "/v1/detect", "application/json", ("{\"url\": \"" + url + "\"}")
                        .getBytes()), 403, "forbidden_address");
            }
            assertError(post(open.port(), "/v1/detect", "application/json", "{\"url\": \"file:///etc/passwd\"}"
                    .getBytes()), 400, "bad_url");
        }
    }

    /** A queue of one image: a burst gets 503 with Retry-After at once, and the server recovers. */
    @Test
    void overloadIsRefusedImmediately() throws Exception {
        try (DfdServer small = new DfdServer(detector, new ServerConfig("127.0.0.1", 0, null, 1, 0, 1, MAX_BODY, 4,
                false, 5_000, 10_000, 256L << 20, 5_000, 64)).start()) {
            byte[] png = Files.readAllBytes(image("noise_64x48.png"));
            int rejected = 0;
            for (int round = 0; round < 5 && rejected == 0; round++) {
                ExecutorService pool = Executors.newFixedThreadPool(32);
                List<Future<HttpResponse<String>>> fs = new ArrayList<>();
                for (int i = 0; i < 96; i++) {
                    fs.add(pool.submit(() -> post(small.port(), "/v1/detect", "image/png", png)));
                }
                for (Future<HttpResponse<String>> f : fs) {
                    HttpResponse<String> resp = f.get();
                    assertTrue(resp.statusCode() == 200 || resp.statusCode() == 503, resp.body());
                    if (resp.statusCode() == 503) {
                        rejected++;
                        assertEquals("1", resp.headers().firstValue("Retry-After").orElse(""));
                        assertEquals("overloaded", json(resp).at("/error/code").asText());
                    }
                }
                pool.shutdown();
            }
            assertTrue(rejected > 0, "a queue of one should refuse some of a burst");
            assertEquals(200, post(small.port(), "/v1/detect", "image/png", png).statusCode());
            assertTrue(get(small.port(), "/metrics").body().contains("dfd_rejected_requests_total{reason=\"queue_full\"}"));
        }
    }
}
