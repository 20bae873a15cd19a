package dev.dfd.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.BatchingDetector;
import dev.dfd.Detector;
import dev.dfd.DfdException;
import dev.dfd.Json;
import dev.dfd.Provenance;
import dev.dfd.io.ImageException;
import dev.dfd.postprocess.Postprocessor;
import dev.dfd.postprocess.Prediction;
import dev.dfd.postprocess.ScoreFunction;
import dev.dfd.preprocess.PreprocessorConfig;
import dev.dfd.report.DetectionJson;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.UploadedFile;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.ServerConnector;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The HTTP service: a thin shell over {@link BatchingDetector}. Every error is {@code {"error": {"code",
 * "message"}}}; bodies, images and queues are bounded; the server never reads files named by a request.
 */
public final class DfdServer implements AutoCloseable {
    private final Detector detector;
    private final BatchingDetector batcher;
    private final ServerConfig config;
    private final ServerMetrics metrics;
    private final String modelId;
    private final ObjectNode modelDescription;
    private final UrlFetcher fetcher;
    private final Javalin app;
    private volatile boolean stopping;

    public DfdServer(Detector detector, ServerConfig config) {
        this.detector = detector;
        this.config = config;
        this.metrics = new ServerMetrics();
        this.batcher = new BatchingDetector(detector, new BatchingDetector.Config(config.maxBatch(),
                config.maxWaitMillis(), config.queueCapacity(), detector.options().inferenceWorkers()), metrics);
        metrics.watch(batcher);
        this.modelDescription = describe(detector);
        this.modelId = modelDescription.get("id").asText();
        this.fetcher = new UrlFetcher(config.maxBodyBytes(), 10_000);
        this.app = Javalin.create(c -> {
            c.showJavalinBanner = false;
            c.http.maxRequestSize = config.maxBodyBytes();
            c.jetty.multipartConfig.maxFileSize(config.maxBodyBytes(), io.javalin.config.SizeUnit.BYTES);
            c.jetty.multipartConfig.maxTotalRequestSize(config.maxBodyBytes(), io.javalin.config.SizeUnit.BYTES);
            c.jetty.multipartConfig.maxInMemoryFileSize((int) Math.min(Integer.MAX_VALUE, config.maxBodyBytes()), io.javalin.config.SizeUnit.BYTES);
            c.jetty.modifyServer(s -> s.setStopTimeout(15_000));
        });
        routes();
    }

    public DfdServer start() {
        app.start(config.host(), config.port());
        for (Connector c : app.jettyServer().server().getConnectors()) {
            if (c instanceof ServerConnector sc) {
                sc.setIdleTimeout(config.idleTimeoutMillis()); // slow or stalled clients are dropped
            }
        }
        return this;
    }

    public int port() {
        return app.port();
    }

    public String modelId() {
        return modelId;
    }

    private void routes() {
        app.before(ctx -> ctx.attribute("dfd.start", System.nanoTime()));
        app.before("/v1/*", this::authenticate);
        app.after(ctx -> {
            Long start = ctx.attribute("dfd.start");
            String route = ctx.endpointHandlerPath();
            metrics.request(route == null || route.isEmpty() ? "unmatched" : route, ctx.method().name(),
                    ctx.statusCode(), start == null ? 0 : System.nanoTime() - start);
        });
        app.get("/healthz", ctx -> ctx.json(Json.MAPPER.createObjectNode().put("status", "ok")));
        app.get("/readyz", ctx -> {
            boolean ready = !stopping && !batcher.saturated();
            ctx.status(ready ? 200 : 503).json(Json.MAPPER.createObjectNode().put("status", ready ? "ready"
                    : stopping ? "stopping" : "saturated").put("queue_depth", batcher.queueDepth()));
        });
        app.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()));
        app.get("/v1/models", ctx -> ctx.json(Json.MAPPER.createObjectNode().set("models",
                Json.MAPPER.createArrayNode().add(modelDescription))));
        app.post("/v1/detect", ctx -> {
            Postprocessor post = postprocessor(ctx);
            Input input = single(ctx);
            ctx.json(detect(input, post));
        });
        app.post("/v1/detect/batch", ctx -> {
            Postprocessor post = postprocessor(ctx);
            List<Input> inputs = many(ctx);
            // submit all first so they share batches, then collect
            List<Object> pending = new ArrayList<>();
            for (Input in : inputs) {
                try {
                    pending.add(batcher.submit(in.bytes()));
                } catch (BatchingDetector.Overloaded e) {
                    metrics.rejected("queue_full");
                    throw new ApiException(503, "overloaded", e.getMessage(), 1);
                } catch (ImageException e) {
                    pending.add(e);
                }
            }
            ArrayNode results = Json.MAPPER.createArrayNode();
            for (int i = 0; i < inputs.size(); i++) {
                Object p = pending.get(i);
                if (p instanceof ImageException e) {
                    results.add(Json.MAPPER.createObjectNode().put("path", inputs.get(i).name())
                            .put("error", e.getMessage()));
                } else {
                    @SuppressWarnings("unchecked")
                    CompletableFuture<float[]> f = (CompletableFuture<float[]>) p;
                    results.add(respond(inputs.get(i).name(), await(f), post));
                }
            }
            ctx.json(Json.MAPPER.createObjectNode().put("model", modelId).set("results", results));
        });
        app.get("/openapi.json", ctx -> ctx.contentType("application/json").result(resource("openapi.json")));
        app.get("/docs", ctx -> ctx.html(ApiDocs.render(Json.MAPPER.readTree(resource("openapi.json")))));
        app.get("/", ctx -> ctx.html(resource("web/index.html")));
        app.get("/static/app.js", ctx -> ctx.contentType("text/javascript; charset=utf-8").result(resource("web/app.js")));
        app.get("/static/style.css", ctx -> ctx.contentType("text/css; charset=utf-8").result(resource("web/style.css")));

        app.exception(ApiException.class, (e, ctx) -> error(ctx, e.status, e.code, e.getMessage(), e.retryAfter));
        app.exception(HttpResponseException.class, (e, ctx) -> {
            int status = e.getStatus();
            String code = switch (status) {
                case 404 -> "not_found";
                case 405 -> "method_not_allowed";
                case 413 -> "too_large";
                default -> "http_" + status;
            };
            error(ctx, status, code, e.getMessage() == null ? "request failed" : e.getMessage(), 0);
        });
        app.exception(Exception.class, (e, ctx) -> {
            String m = String.valueOf(e.getMessage());
            if (m.contains("exceeds max") || m.contains("too large") || m.contains("Size limit")) {
                error(ctx, 413, "too_large", "request body over the limit of " + config.maxBodyBytes() + " bytes", 0);
            } else if (e instanceof IllegalStateException || e instanceof IOException) {
                error(ctx, 400, "bad_request", "cannot read the request (" + m.replaceAll("\\s+", " ") + ")", 0);
            } else {
                error(ctx, 500, "internal", "internal error: " + e.getClass().getSimpleName(), 0);
            }
        });
    }

    private static void error(Context ctx, int status, String code, String message, int retryAfter) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.putObject("error").put("code", code).put("message", message);
        if (retryAfter > 0) {
            ctx.header("Retry-After", Integer.toString(retryAfter));
        }
        ctx.status(status).contentType("application/json").result(Json.write(body));
    }

    /** Constant-time comparison of the key from Authorization: Bearer or X-API-Key. */
    private void authenticate(Context ctx) {
        if (config.apiKey() == null) {
            return;
        }
        String given = ctx.header("X-API-Key");
        String auth = ctx.header("Authorization");
        if (given == null && auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            given = auth.substring(7).trim();
        }
        byte[] expected = config.apiKey().getBytes(StandardCharsets.UTF_8);
        boolean ok = given != null && MessageDigest.isEqual(expected, given.getBytes(StandardCharsets.UTF_8));
        if (!ok) {
            metrics.rejected("unauthorized");
            ctx.header("WWW-Authenticate", "Bearer");
            throw new ApiException(401, "unauthorized", "a valid API key is required (Authorization: Bearer <key> or"
                    + " X-API-Key)");
        }
    }

    /** Query parameters top_k, threshold, function over the server's defaults. */
    private Postprocessor postprocessor(Context ctx) {
        Postprocessor base = detector.postprocessor();
        int topK = base.topK();
        Double threshold = base.threshold();
        ScoreFunction function = base.function();
        try {
            String k = ctx.queryParam("top_k");
            if (k != null) {
                topK = Integer.parseInt(k.trim());
                if (topK < 1) {
                    throw new NumberFormatException();
                }
            }
            String t = ctx.queryParam("threshold");
            if (t != null) {
                threshold = Double.parseDouble(t.trim());
                if (!Double.isFinite(threshold)) {
                    throw new NumberFormatException();
                }
            }
            String f = ctx.queryParam("function");
            if (f != null) {
                function = ScoreFunction.parse(f);
            }
        } catch (NumberFormatException e) {
            throw new ApiException(400, "bad_parameter", "top_k must be a positive integer and threshold a number");
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, "bad_parameter", e.getMessage());
        }
        return new Postprocessor(base.labels(), function, topK, base.positiveLabel(), threshold);
    }

    private record Input(String name, byte[] bytes) {
    }

    /** One image from multipart, a raw image body, or JSON {"image": base64} / {"url": ...}. */
    private Input single(Context ctx) {
        List<Input> inputs = many(ctx);
        if (inputs.size() != 1) {
            throw new ApiException(400, "one_image", "/v1/detect takes one image, got " + inputs.size()
                    + "; use /v1/detect/batch");
        }
        return inputs.get(0);
    }

    private List<Input> many(Context ctx) {
        long length = ctx.contentLength();
        if (length > config.maxBodyBytes()) {
            metrics.rejected("too_large");
            throw new ApiException(413, "too_large", "request body is " + length + " bytes, over the limit of "
                    + config.maxBodyBytes());
        }
        String type = ctx.contentType() == null ? "" : ctx.contentType().toLowerCase(Locale.ROOT);
        List<Input> inputs = new ArrayList<>();
        if (type.startsWith("multipart/form-data")) {
            for (UploadedFile f : ctx.uploadedFiles()) {
                try (InputStream in = f.content()) {
                    inputs.add(new Input(f.filename() == null || f.filename().isBlank() ? "upload" : f.filename(),
                            in.readAllBytes()));
                } catch (IOException e) {
                    throw new ApiException(400, "bad_request", "cannot read the upload (" + e.getMessage() + ")");
                }
            }
        } else if (type.startsWith("application/json")) {
            JsonNode json;
            try {
                json = Json.MAPPER.readTree(body(ctx));
            } catch (IOException e) {
                throw new ApiException(400, "bad_json", "the body is not valid JSON");
            }
            if (json == null || !json.isObject()) {
                throw new ApiException(400, "bad_json", "expected a JSON object like {\"image\": \"<base64>\"}");
            }
            addJson(json.get("image"), "image", inputs);
            addJson(json.get("url"), "url", inputs);
            JsonNode images = json.get("images");
            if (images != null) {
                if (!images.isArray()) {
                    throw new ApiException(400, "bad_json", "\"images\" must be an array of base64 strings");
                }
                for (JsonNode i : images) {
                    addJson(i, "image", inputs);
                }
            }
            JsonNode urls = json.get("urls");
            if (urls != null) {
                if (!urls.isArray()) {
                    throw new ApiException(400, "bad_json", "\"urls\" must be an array of strings");
                }
                for (JsonNode u : urls) {
                    addJson(u, "url", inputs);
                }
            }
        } else if (type.startsWith("image/") || type.startsWith("application/octet-stream")) {
            inputs.add(new Input(ctx.header("X-Filename") != null ? ctx.header("X-Filename") : "body", body(ctx)));
        } else {
            throw new ApiException(415, "unsupported_media_type", "send the image as multipart/form-data, as an image/*"
                    + " body, or as JSON {\"image\": \"<base64>\"}; got " + (type.isEmpty() ? "no content type" : type));
        }
        if (inputs.isEmpty()) {
            throw new ApiException(400, "no_image", "the request holds no image");
        }
        if (inputs.size() > config.maxBatchImages()) {
            throw new ApiException(413, "too_many_images", inputs.size() + " images, over the limit of "
                    + config.maxBatchImages() + " per request");
        }
        for (Input in : inputs) {
            if (in.bytes().length == 0) {
                throw new ApiException(400, "empty_image", in.name() + ": empty image");
            }
        }
        return inputs;
    }

    private void addJson(JsonNode node, String kind, List<Input> inputs) {
        if (node == null || node.isNull()) {
            return;
        }
        if (!node.isTextual()) {
            throw new ApiException(400, "bad_json", "\"" + kind + "\" must be a string");
        }
        if (kind.equals("url")) {
            if (!config.allowUrlFetch()) {
                throw new ApiException(403, "url_fetch_disabled", "fetching images by URL is off (start the server"
                        + " with --allow-url-fetch)");
            }
            inputs.add(new Input(node.asText(), fetcher.fetch(node.asText())));
            return;
        }
        String b64 = node.asText();
        int comma = b64.startsWith("data:") ? b64.indexOf(',') : -1; // accept data URLs too
        try {
            String data = (comma >= 0 ? b64.substring(comma + 1) : b64).replaceAll("\\s", ""); // line breaks allowed
            inputs.add(new Input("image", Base64.getDecoder().decode(data)));
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, "bad_base64", "\"image\" is not valid base64");
        }
    }

    /** The body, read with a bound even when no Content-Length was sent. */
    private byte[] body(Context ctx) {
        try (InputStream in = ctx.req().getInputStream()) {
            byte[] data = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, config.maxBodyBytes() + 1));
            if (data.length > config.maxBodyBytes()) {
                metrics.rejected("too_large");
                throw new ApiException(413, "too_large", "request body over the limit of " + config.maxBodyBytes()
                        + " bytes");
            }
            return data;
        } catch (IOException e) {
            throw new ApiException(400, "bad_request", "cannot read the body (" + e.getMessage() + ")");
        }
    }

    private ObjectNode detect(Input input, Postprocessor post) {
        CompletableFuture<float[]> logits;
        try {
            logits = batcher.submit(input.bytes());
        } catch (BatchingDetector.Overloaded e) {
            metrics.rejected("queue_full");
            throw new ApiException(503, "overloaded", e.getMessage(), 1);
        } catch (ImageException e) {
            metrics.rejected("invalid_image");
            throw new ApiException(422, "invalid_image", input.name() + ": " + e.getMessage());
        }
        return respond(input.name(), await(logits), post);
    }

    private float[] await(CompletableFuture<float[]> f) {
        try {
            return f.get(config.inferenceTimeoutMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            metrics.rejected("timeout");
            throw new ApiException(503, "timeout", "inference did not finish in " + config.inferenceTimeoutMillis()
                    + " ms", 1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "stopping", "the server is stopping", 1);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof BatchingDetector.Overloaded) {
                throw new ApiException(503, "stopping", "the server is stopping", 1);
            }
            throw new ApiException(500, "inference_failed", e.getCause() instanceof DfdException d ? d.getMessage()
                    : "inference failed");
        }
    }

    private ObjectNode respond(String name, float[] logits, Postprocessor post) {
        Prediction p = post.apply(logits);
        ObjectNode o = DetectionJson.of(name, p);
        o.put("model", modelId);
        return o;
    }

    static ObjectNode describe(Detector d) {
        ObjectNode m = Json.MAPPER.createObjectNode();
        String sha = Provenance.sha256(d.files().onnx());
        m.put("id", Provenance.modelId(d));
        ArrayNode labels = m.putArray("labels");
        d.config().labels().forEach(labels::add);
        m.put("positive_label", d.postprocessor().positiveLabel());
        if (d.postprocessor().threshold() == null) {
            m.putNull("threshold");
        } else {
            m.put("threshold", d.postprocessor().threshold());
        }
        m.put("function", d.postprocessor().function().id());
        m.put("model_type", d.config().modelType());
        ArrayNode arch = m.putArray("architectures");
        d.config().architectures().forEach(arch::add);
        PreprocessorConfig p = d.preprocessorConfig();
        int[] size = p.fixedOutputSize();
        ObjectNode pre = m.putObject("preprocessing");
        pre.put("processor", p.processorType());
        if (size != null) {
            pre.putArray("size").add(size[0]).add(size[1]);
        }
        pre.put("resample", p.resample().name().toLowerCase(Locale.ROOT));
        pre.put("rescale_factor", p.rescaleFactor());
        ArrayNode mean = pre.putArray("image_mean");
        for (double v : p.imageMean()) {
            mean.add(v);
        }
        ArrayNode std = pre.putArray("image_std");
        for (double v : p.imageStd()) {
            std.add(v);
        }
        m.put("variant", d.files().variant() == null ? "default" : d.files().variant());
        m.put("onnx_sha256", sha);
        if (d.files().externalData() != null) {
            m.put("onnx_external_data_sha256", Provenance.sha256(d.files().externalData()));
        }
        m.put("dfd_version", dev.dfd.Dfd.version());
        return m;
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = DfdServer.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("missing resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Graceful stop: refuse new work (readyz 503), stop accepting connections, finish in-flight requests. */
    @Override
    public void close() {
        stopping = true;
        app.stop();
        batcher.close(15_000);
    }
}
