package dev.dfd.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.BatchingDetector;
import dev.dfd.Decision;
import dev.dfd.DecodeLimits;
import dev.dfd.DetectionResult;
import dev.dfd.Detector;
import dev.dfd.DfdException;
import dev.dfd.ImageException;
import dev.dfd.ScoreFunction;
import dev.dfd.internal.Json;
import dev.dfd.internal.Provenance;
import dev.dfd.internal.io.ImageHeader;
import dev.dfd.internal.model.ModelFiles;
import dev.dfd.internal.preprocess.PreprocessorConfig;
import dev.dfd.internal.report.DetectionJson;
import dev.dfd.server.RequestDecoder.Input;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HttpResponseException;
import io.javalin.http.UploadedFile;
import org.eclipse.jetty.server.ConnectionLimit;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The HTTP service: a thin shell over {@link BatchingDetector}. Every error is {@code {"error": {"code", "message",
 * "request_id"}}} and one log line. Memory is admitted before it is allocated: a body by its declared length, an
 * image by its header, both against one {@link MemoryBudget}, so a burst or a decompression bomb gets 503 or 422
 * instead of exhausting the heap. Requests must arrive whole within a deadline; connections and threads are capped.
 * The server never reads files named by a request.
 */
public final class DfdServer implements AutoCloseable {
    private final Detector detector;
    private final BatchingDetector batcher;
    private final ServerConfig config;
    private final ServerMetrics metrics;
    private final String modelId;
    private final ObjectNode modelDescription;
    private final RequestDecoder decoder;
    private final DecodeLimits limits;
    private final MemoryCost cost;
    private final MemoryBudget budget;
    /** The inference queue's model inputs, held for the server's life when their size is fixed. */
    private final MemoryBudget.Reservation queueMemory;
    private final Javalin app;
    private volatile ReadDeadline readDeadline;
    private volatile boolean stopping;

    /** HTTP threads at most: each request being read or decoded holds one; idle ones leave after 10 s. */
    static final int MAX_THREADS = 200;
    /** Images decoded and preprocessed at once: one per core. */
    static final int PREPARING = Math.max(1, Runtime.getRuntime().availableProcessors());
    /** How long an admitted image waits for a decoder before 503. */
    static final long PREPARE_WAIT_MILLIS = 1_000;
    private final Semaphore preparing = new Semaphore(PREPARING, true);
    private final AtomicInteger waitingToPrepare = new AtomicInteger();

    public DfdServer(Detector detector, ServerConfig config) {
        this.detector = detector;
        this.config = config;
        if (detector.model().faceCrop() != null && detector.options().maxFaces() > config.queueCapacity()) {
            // an image's face crops are queued together: more than the queue holds could never be admitted
            throw new DfdException("--max-faces " + detector.options().maxFaces() + " is more than the queue holds ("
                    + config.queueCapacity() + "); raise --queue or lower --max-faces");
        }
        this.limits = detector.options().limits();
        this.cost = MemoryCost.of(detector);
        this.budget = new MemoryBudget(config.memoryBudgetBytes());
        long queueBytes = cost.queue(config.queueCapacity());
        this.queueMemory = budget.tryReserve(queueBytes);
        if (queueMemory == null || budget.capacity() - queueBytes < MemoryCost.REQUEST_OVERHEAD) {
            throw new DfdException("a memory budget of " + MemoryCost.megabytes(budget.capacity()) + " cannot hold"
                    + " the inference queue (" + config.queueCapacity() + " model inputs, "
                    + MemoryCost.megabytes(queueBytes) + ") and requests beside it; raise --max-memory or lower"
                    + " --queue");
        }
        this.metrics = new ServerMetrics();
        this.batcher = new BatchingDetector(detector, new BatchingDetector.Config(config.maxBatch(),
                config.maxWaitMillis(), config.queueCapacity(), detector.model().policy().workers()), metrics);
        metrics.watch(batcher);
        metrics.watch(budget, () -> readDeadline);
        this.modelDescription = describe(detector);
        this.modelId = modelDescription.get("id").asText();
        this.decoder = new RequestDecoder(config.maxBodyBytes(), config.maxBatchImages(),
                config.allowUrlFetch() ? new UrlFetcher(config.maxBodyBytes(), 10_000) : null);
        this.app = Javalin.create(c -> {
            c.showJavalinBanner = false;
            c.http.prefer405over404 = true;
            c.http.maxRequestSize = config.maxBodyBytes();
            QueuedThreadPool threads = new QueuedThreadPool(MAX_THREADS, 8, 10_000);
            threads.setName("dfd-http");
            threads.setMaxEvictCount(MAX_THREADS); // after a burst, all idle threads leave together, not one per 10 s
            c.jetty.threadPool = threads;
            c.jetty.multipartConfig.maxFileSize(config.maxBodyBytes(), io.javalin.config.SizeUnit.BYTES);
            c.jetty.multipartConfig.maxTotalRequestSize(config.maxBodyBytes(), io.javalin.config.SizeUnit.BYTES);
            c.jetty.multipartConfig.maxInMemoryFileSize((int) Math.min(Integer.MAX_VALUE, config.maxBodyBytes()), io.javalin.config.SizeUnit.BYTES);
            c.jetty.modifyServer(s -> {
                s.setStopTimeout(15_000);
                s.setErrorHandler(new JsonErrorHandler());
                s.addBean(new ConnectionLimit(config.maxConnections(), s));
            });
            c.jetty.modifyServletContextHandler(h -> h.setErrorHandler(new JsonErrorHandler()));
            c.jetty.modifyHttpConfiguration(h -> h.setSendServerVersion(false));
        });
        routes();
    }

    public DfdServer start() {
        app.start(config.host(), config.port());
        for (Connector c : app.jettyServer().server().getConnectors()) {
            if (c instanceof ServerConnector sc) {
                sc.setIdleTimeout(config.idleTimeoutMillis()); // silent clients are dropped
            }
        }
        readDeadline = new ReadDeadline(app.jettyServer().server(), config.requestReadTimeoutMillis());
        return this;
    }

    public int port() {
        return app.port();
    }

    public String modelId() {
        return modelId;
    }

    /** The memory budget in bytes. */
    public long memoryBudget() {
        return budget.capacity();
    }

    /** The most of the memory budget ever reserved at once, in bytes. */
    public long memoryPeak() {
        return budget.peak();
    }

    /** Connections open now. */
    public int openConnections() {
        return readDeadline == null ? 0 : readDeadline.openConnections();
    }

    private void routes() {
        app.before(ctx -> {
            ctx.attribute("dfd.start", System.nanoTime());
            String id = ErrorResponses.requestId(ctx.header(ErrorResponses.REQUEST_ID_HEADER));
            ctx.attribute(ErrorResponses.REQUEST_ID_ATTRIBUTE, id);
            ctx.header(ErrorResponses.REQUEST_ID_HEADER, id);
        });
        app.before("/v1/*", guarded(this::authenticate));
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
        app.post("/v1/detect", guarded(ctx -> {
            try (MemoryBudget.Reservation body = admitBody(ctx)) {
                Decision decision = decision(ctx);
                Input input = single(ctx);
                ctx.json(detect(input, decision, body.bytes()));
            }
        }));
        app.post("/v1/detect/batch", guarded(ctx -> {
            try (MemoryBudget.Reservation body = admitBody(ctx)) {
                Decision decision = decision(ctx);
                ctx.json(detectBatch(many(ctx), decision, body.bytes()));
            }
        }));
        app.get("/openapi.json", ctx -> ctx.contentType("application/json").result(resource("openapi.json")));
        app.get("/docs", ctx -> ctx.html(ApiDocs.render(Json.MAPPER.readTree(resource("openapi.json")))));
        app.get("/", ctx -> ctx.html(resource("web/index.html")));
        app.get("/static/app.js", ctx -> ctx.contentType("text/javascript; charset=utf-8").result(resource("web/app.js")));
        app.get("/static/style.css", ctx -> ctx.contentType("text/css; charset=utf-8").result(resource("web/style.css")));

        app.exception(ApiException.class, (e, ctx) -> error(ctx, e.status, e.code, e.getMessage(), e.retryAfter, null));
        app.exception(HttpResponseException.class, (e, ctx) -> {
            int status = e.getStatus();
            if (status == 405) {
                ctx.header("Allow", String.join(", ", e.getDetails().values()));
            }
            String message = switch (status) {
                case 404 -> "no route " + ctx.method().name() + " " + ctx.path() + " (see /docs)";
                case 405 -> ctx.path() + " does not take " + ctx.method().name() + "; it takes "
                        + String.join(", ", e.getDetails().values());
                default -> e.getMessage();
            };
            error(ctx, status, JsonErrorHandler.code(status), message, 0, null);
        });
        app.exception(Exception.class, (e, ctx) -> {
            if (e instanceof UnexpectedError u && u.getCause() instanceof OutOfMemoryError) {
                metrics.rejected("out_of_memory");
                error(ctx, 503, "out_of_memory", "not enough memory for this request now; retry", 1, u.getCause());
            } else if (e instanceof DfdException) { // a library refusal that no route mapped: the request's fault
                error(ctx, 400, "bad_request", e.getMessage(), 0, null);
            } else {
                Throwable cause = e instanceof UnexpectedError u ? u.getCause() : e;
                error(ctx, 500, "internal", "internal error (" + cause + ")", 0, cause);
            }
        });
    }

    /** An Error (OutOfMemoryError, StackOverflowError...) thrown by a route, carried to the exception mapper. */
    private static final class UnexpectedError extends RuntimeException {
        UnexpectedError(Error cause) {
            super(cause);
        }
    }

    /**
     * The route, with Errors turned into exceptions: Javalin would answer them with an empty 500. The request's
     * work is abandoned; the server goes on.
     */
    private static Handler guarded(Handler route) {
        return ctx -> {
            try {
                route.handle(ctx);
            } catch (Error e) {
                throw new UnexpectedError(e);
            }
        };
    }

    /**
     * Answers an error as JSON with the request's id and logs it in one line. Internal failures say "internal error"
     * to the client; what went wrong is in the log.
     */
    private void error(Context ctx, int status, String code, String message, int retryAfter, Throwable cause) {
        String id = ctx.attribute(ErrorResponses.REQUEST_ID_ATTRIBUTE);
        if (id == null) {
            id = ErrorResponses.requestId(null);
            ctx.header(ErrorResponses.REQUEST_ID_HEADER, id);
        }
        if (ctx.attribute(ReadDeadline.TIMED_OUT_ATTRIBUTE) != null) { // the connection is closed already
            status = 408;
            code = "request_timeout";
            message = "the request body did not arrive within "
                    + ReadDeadline.duration(config.requestReadTimeoutMillis()) + " of the server starting to read it";
            metrics.rejected("read_timeout");
        }
        ErrorResponses.log(status, code, ctx.method().name(), ctx.path(), id, message, status >= 500 ? cause : null);
        if (status != 408 && status != 413) {
            discardUnreadBody(ctx);
        }
        if (retryAfter > 0) {
            ctx.header("Retry-After", Integer.toString(retryAfter));
        }
        String said = status == 500 ? "internal error" : message;
        ctx.status(status).contentType("application/json").result(ErrorResponses.body(code, said, id));
    }

    /**
     * Reads and drops what is left of a body refused before it was read (503, 401, 415...), at most the body limit
     * and nothing kept: a client still sending it then reads the answer, where closing the connection on unread data
     * would reset it and lose the answer. Slow senders are cut by the read deadline.
     */
    private void discardUnreadBody(Context ctx) {
        if (ctx.req().getContentLengthLong() > config.maxBodyBytes()) {
            return;
        }
        if (ctx.attribute(ReadDeadline.BODY_READ_STARTED_ATTRIBUTE) == null) {
            ctx.attribute(ReadDeadline.BODY_READ_STARTED_ATTRIBUTE, System.nanoTime());
        }
        try {
            InputStream in = ctx.req().getInputStream();
            byte[] sink = new byte[8192];
            long dropped = 0;
            for (int n; dropped <= config.maxBodyBytes() && (n = in.read(sink)) > 0; ) {
                dropped += n;
            }
        } catch (IOException | RuntimeException e) {
            // read already (multipart parts, a JSON body) or the connection is gone: nothing left to drop
        }
    }

    /**
     * Admits a request's body by its declared length before a byte of it is read: over the body limit, 413 at once
     * (whatever the number, the connection then closed rather than drained); the memory to read it, or 503.
     */
    private MemoryBudget.Reservation admitBody(Context ctx) {
        long declared = ctx.req().getContentLengthLong();
        if (declared > config.maxBodyBytes()) {
            metrics.rejected("too_large");
            ctx.header("Connection", "close");
            throw RequestDecoder.tooLarge("request body is " + declared + " bytes, over the limit of "
                    + config.maxBodyBytes());
        }
        long bytes = cost.body(declared, ctx.contentType(), config.maxBodyBytes());
        if (!budget.fitsAtAll(bytes, queueMemory.bytes())) {
            metrics.rejected("too_large");
            throw RequestDecoder.tooLarge("reading this body takes about " + MemoryCost.megabytes(bytes)
                    + ", over the server's memory budget of " + MemoryCost.megabytes(budget.capacity()));
        }
        MemoryBudget.Reservation r = budget.tryReserve(bytes);
        if (r == null) {
            throw busy("reading this request takes about " + MemoryCost.megabytes(bytes));
        }
        return r;
    }

    private ApiException busy(String need) {
        metrics.rejected("memory");
        return new ApiException(503, "overloaded", "server busy: " + need + " and "
                + MemoryCost.megabytes(budget.reserved()) + " of its " + MemoryCost.megabytes(budget.capacity())
                + " memory budget is in use; retry shortly", 1);
    }

    /** The image could never be admitted: decoding it needs more than the whole memory budget. */
    private static final class TooLargeForBudget extends ApiException {
        TooLargeForBudget(String message) {
            super(422, "image_too_large", message);
        }
    }

    /**
     * Queues an image for inference after admitting it: the inference queue must have room, its header must be
     * readable and within --max-pixels, a decoder must be free within a second, and decoding it must fit the memory
     * budget beside what is running. The reservation shrinks to the model inputs once it is decoded, and is
     * released when its inference ends.
     *
     * @param held                       what the request holds already (its body), beside the queue's share
     * @throws ImageException             an unreadable header or an image over --max-pixels
     * @throws TooLargeForBudget          decoding it needs more than the budget could ever give it
     * @throws ApiException               503: the queue or the budget is full now
     * @throws BatchingDetector.Overloaded the queue filled while it was decoded
     */
    private CompletableFuture<DetectionResult> submit(Input input, Decision decision, long held) {
        if (batcher.saturated()) { // refused before spending a decode on it
            metrics.rejected("queue_full");
            throw new ApiException(503, "overloaded", "inference queue is full (" + config.queueCapacity()
                    + " images or face crops)", 1);
        }
        ImageHeader header = ImageHeader.read(input.bytes());
        if (header.pixels() > limits.maxPixels()) {
            throw new ImageException("image is " + header.width() + "x" + header.height() + " = " + header.pixels()
                    + " pixels, over the limit of " + limits.maxPixels() + " (possible decompression bomb)");
        }
        long bytes = cost.image(header);
        long alwaysHeld = held + queueMemory.bytes(); // even on an idle server, the image gets no more than the rest
        if (!budget.fitsAtAll(bytes, alwaysHeld)) {
            metrics.rejected("image_too_large");
            throw new TooLargeForBudget("decoding this " + header.width() + "x" + header.height() + " "
                    + header.format() + " takes about " + MemoryCost.megabytes(bytes) + ", over the server's memory"
                    + " budget of " + MemoryCost.megabytes(budget.capacity()) + " (--max-memory) less the request's"
                    + " body and the inference queue (" + MemoryCost.megabytes(budget.capacity() - alwaysHeld)
                    + " left)");
        }
        return prepareInTurn(() -> { // memory is reserved only once the image's turn to be decoded has come
            MemoryBudget.Reservation reservation = budget.tryReserve(bytes);
            if (reservation == null) {
                throw busy("decoding this " + header.width() + "x" + header.height() + " image takes about "
                        + MemoryCost.megabytes(bytes));
            }
            boolean queued = false;
            try {
                CompletableFuture<DetectionResult> detection = batcher.submit(input.bytes(), input.name(), decision);
                reservation.shrinkTo(cost.queued(header));
                detection.whenComplete((result, failure) -> reservation.close());
                queued = true;
                return detection;
            } finally {
                if (!queued) {
                    reservation.close();
                }
            }
        });
    }

    /**
     * Runs an image's decode, face detection and preprocessing once one of {@link #preparing}'s permits is free:
     * CPU-bound work beyond the cores only makes every request slower. At most --queue images wait for a turn, each
     * at most {@link #PREPARE_WAIT_MILLIS}; under a burst the rest get 503 at once instead of all finishing late.
     */
    private <T> T prepareInTurn(Supplier<T> prepare) {
        if (waitingToPrepare.incrementAndGet() > config.queueCapacity()) {
            waitingToPrepare.decrementAndGet();
            metrics.rejected("busy");
            throw new ApiException(503, "overloaded", "server busy: " + config.queueCapacity() + " images are waiting"
                    + " to be decoded; retry shortly", 1);
        }
        boolean turn;
        try {
            turn = preparing.tryAcquire(PREPARE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "stopping", "the server is stopping", 1);
        } finally {
            waitingToPrepare.decrementAndGet();
        }
        if (!turn) {
            metrics.rejected("busy");
            throw new ApiException(503, "overloaded", "server busy: all " + PREPARING + " image decoders stayed busy"
                    + " for " + PREPARE_WAIT_MILLIS + " ms; retry shortly", 1);
        }
        try {
            return prepare.get();
        } finally {
            preparing.release();
        }
    }

    private ObjectNode detectBatch(List<Input> inputs, Decision decision, long held) {
        // submit all first so they share batches, then collect
        List<Object> pending = new ArrayList<>();
        for (Input in : inputs) {
            try {
                pending.add(submit(in, decision, held));
            } catch (BatchingDetector.Overloaded e) {
                metrics.rejected("queue_full");
                throw new ApiException(503, "overloaded", e.getMessage(), 1);
            } catch (ImageException | TooLargeForBudget e) { // this image fails alone
                pending.add(e.getMessage());
            }
        }
        ArrayNode results = Json.MAPPER.createArrayNode();
        for (int i = 0; i < inputs.size(); i++) {
            Object p = pending.get(i);
            if (p instanceof String error) {
                results.add(DetectionJson.of(new DetectionResult.Failure(inputs.get(i).name(), error)));
            } else {
                @SuppressWarnings("unchecked")
                CompletableFuture<DetectionResult> f = (CompletableFuture<DetectionResult>) p;
                results.add(respond(await(f)));
            }
        }
        return Json.MAPPER.createObjectNode().put("model", modelId).set("results", results);
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

    /** Query parameters top_k, threshold, function, positive: this request's decision over the server's. */
    private Decision decision(Context ctx) {
        try {
            Integer topK = null;
            String k = ctx.queryParam("top_k");
            if (k != null) {
                topK = Integer.parseInt(k.trim());
            }
            Double threshold = null;
            String t = ctx.queryParam("threshold");
            if (t != null) {
                threshold = Double.parseDouble(t.trim());
            }
            String f = ctx.queryParam("function");
            ScoreFunction function = f == null ? null : ScoreFunction.parse(f);
            Decision d = new Decision(topK, function, ctx.queryParam("positive"), threshold);
            detector.postprocess(new float[detector.model().labels().size()], d); // an unknown label fails here
            return d;
        } catch (NumberFormatException e) {
            throw new ApiException(400, "bad_parameter", "top_k must be a positive integer and threshold a number");
        } catch (DfdException e) {
            throw new ApiException(400, "bad_parameter", e.getMessage());
        }
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
        ctx.attribute(ReadDeadline.BODY_READ_STARTED_ATTRIBUTE, System.nanoTime());
        try {
            return decoder.decode(new JavalinRequest(ctx, config.maxBodyBytes()));
        } catch (ApiException e) {
            if (e.status == 413) {
                metrics.rejected("too_large");
            }
            throw e;
        }
    }

    /** The request as the decoder reads it. */
    private record JavalinRequest(Context ctx, long maxBodyBytes) implements RequestDecoder.Request {
        @Override
        public String contentType() {
            return ctx.contentType();
        }

        @Override
        public long contentLength() {
            return ctx.req().getContentLengthLong(); // ctx.contentLength() is -1 from 2^31 bytes on
        }

        @Override
        public String header(String name) {
            return ctx.header(name);
        }

        @Override
        public InputStream body() throws IOException {
            return ctx.req().getInputStream();
        }

        @Override
        public List<RequestDecoder.Part> files() {
            List<UploadedFile> uploads;
            try {
                uploads = ctx.uploadedFiles();
            } catch (IllegalStateException e) {
                // Jetty's multipart parser reports a part or request over the configured sizes this way
                throw RequestDecoder.tooLarge("upload over the limit of " + maxBodyBytes + " bytes");
            }
            List<RequestDecoder.Part> parts = new ArrayList<>();
            for (UploadedFile f : uploads) {
                parts.add(new RequestDecoder.Part(f.filename(), f.content()));
            }
            return parts;
        }
    }

    private ObjectNode detect(Input input, Decision decision, long held) {
        CompletableFuture<DetectionResult> detection;
        try {
            detection = submit(input, decision, held);
        } catch (BatchingDetector.Overloaded e) {
            metrics.rejected("queue_full");
            throw new ApiException(503, "overloaded", e.getMessage(), 1);
        } catch (ImageException e) {
            metrics.rejected("invalid_image");
            throw new ApiException(422, "invalid_image", input.name() + ": " + e.getMessage());
        } catch (TooLargeForBudget e) {
            throw new TooLargeForBudget(input.name() + ": " + e.getMessage());
        }
        return respond(await(detection));
    }

    private DetectionResult await(CompletableFuture<DetectionResult> f) {
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
            Throwable cause = e.getCause();
            if (cause instanceof BatchingDetector.Overloaded) {
                throw new ApiException(503, "stopping", "the server is stopping", 1);
            }
            if (cause instanceof DfdException d) {
                throw new ApiException(500, "inference_failed", d.getMessage());
            }
            if (cause instanceof Error err) { // an OutOfMemoryError answers 503 out_of_memory, others 500 internal
                throw new UnexpectedError(err);
            }
            throw cause instanceof RuntimeException r ? r : new IllegalStateException(cause); // 500 internal
        }
    }

    private ObjectNode respond(DetectionResult d) {
        ObjectNode o = DetectionJson.of(d);
        o.put("model", modelId);
        return o;
    }

    static ObjectNode describe(Detector d) {
        ObjectNode m = Json.MAPPER.createObjectNode();
        ModelFiles files = d.model().files();
        Decision decision = d.defaultDecision();
        String sha = Provenance.sha256(files.onnx());
        m.put("id", d.model().id());
        ArrayNode labels = m.putArray("labels");
        d.model().labels().forEach(labels::add);
        m.put("positive_label", decision.positiveLabel());
        if (decision.threshold() == null) {
            m.putNull("threshold");
        } else {
            m.put("threshold", decision.threshold());
        }
        m.put("function", decision.function().id());
        m.put("model_type", d.model().config().modelType());
        ArrayNode arch = m.putArray("architectures");
        d.model().config().architectures().forEach(arch::add);
        PreprocessorConfig p = d.model().preprocessor();
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
        m.put("variant", files.variant() == null ? "default" : files.variant());
        m.put("onnx_sha256", sha);
        if (files.externalData() != null) {
            m.put("onnx_external_data_sha256", Provenance.sha256(files.externalData()));
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
        if (readDeadline != null) {
            readDeadline.close();
        }
        app.stop();
        batcher.close(15_000);
        queueMemory.close();
    }
}
