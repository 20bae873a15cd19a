package dev.dfd;

import dev.dfd.DetectionResult.Detection;
import dev.dfd.DetectionResult.FaceVerdict;
import dev.dfd.DetectionResult.Failure;
import dev.dfd.DetectionResult.NoFace;
import dev.dfd.internal.face.FaceCrop;
import dev.dfd.internal.face.FaceDetector;
import dev.dfd.internal.io.ImageDecoder;
import dev.dfd.internal.model.ModelConfig;
import dev.dfd.internal.model.ModelFiles;
import dev.dfd.internal.model.OnnxClassifier;
import dev.dfd.internal.model.OptimizedGraphCache;
import dev.dfd.internal.model.PixelBatch;
import dev.dfd.internal.postprocess.Postprocessor;
import dev.dfd.internal.preprocess.ImageProcessor;
import dev.dfd.internal.preprocess.PreprocessorConfig;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A deepfake detector over a Hugging Face image-classification model directory: the one data path of dfd,
 * <pre>
 * bytes -> decode -> regions -> preprocess -> model -> postprocess -> decision -> result
 * </pre>
 * ({@link ImageDecoder}; the whole image, or each face {@link FaceDetector} finds, cut as the model's
 * {@code dfd_faces.json} declares ({@link FaceCrop}); {@link ImageProcessor}; {@link OnnxClassifier} through the one
 * batch runner; {@link Postprocessor} with the call's {@link Decision}). Every shell (CLI, server, Spark, bench,
 * eval, training's validation) runs images through here.
 *
 * <p>With faces, an image's verdict is that of its face with the highest positive score (any fake face makes the
 * picture fake), and an image without a face is a {@link NoFace}, never a guess.
 *
 * <pre>{@code
 * try (Detector detector = Detector.load(Path.of("models/default"))) {
 *     Detection d = detector.detect(Path.of("photo.jpg"));
 *     System.out.println(d.label() + " " + d.score());
 *     Detection strict = detector.detect(Path.of("photo.jpg"), Decision.DEFAULT.withThreshold(0.9));
 * }
 * }</pre>
 *
 * <p>What needs its own ONNX Runtime session (model, variant, threads, prepacking) is fixed at {@link #load}; the
 * {@link Decision} (threshold, positive label, top-k, score function) is per call, over the same session.
 * {@link #detectAll} decodes and preprocesses the next images on a thread pool while batches run, runs
 * {@link RunPolicy#workers} batches at once, and delivers results in input order.
 *
 * <p>Thread-safe: concurrent calls share the one session. {@link #close} may be called while calls run: new calls
 * are refused with a {@link DfdException}, and the session is freed when the last running call has returned.
 */
public final class Detector implements AutoCloseable {
    private final ModelInfo model;
    private final Path runningGraph;
    private final DetectorOptions options;
    private final ImageDecoder decoder;
    private final ImageProcessor processor;
    private final OnnxClassifier classifier;
    private final InferenceRunner runner;
    private final Settings defaultSettings;
    /** The face crop the model declares, or the default model's geometry when faces are forced on. */
    private final FaceCrop faceCrop;

    // guarded by this: pools made on first use; calls running; closed flag
    private ExecutorService decodePool;
    private ExecutorService inferencePool;
    private volatile FaceDetector faceDetector;
    private int activeCalls;
    private boolean closed;
    private boolean freed;
    /** Calls the current thread is inside (a sink or listener that closes the detector must not wait for itself). */
    private final ThreadLocal<int[]> callDepth = ThreadLocal.withInitial(() -> new int[1]);

    private Detector(ModelInfo model, DetectorOptions options, OnnxClassifier classifier, Path runningGraph) {
        this.model = model;
        this.runningGraph = runningGraph;
        this.options = options;
        this.classifier = classifier;
        this.decoder = new ImageDecoder(options.limits());
        this.processor = new ImageProcessor(model.preprocessor());
        this.runner = new InferenceRunner(classifier);
        this.faceCrop = model.faceCrop() != null ? model.faceCrop() : FaceCrop.DFDC;
        this.defaultSettings = settings(options.decision(), model);
    }

    /** Loads a model directory with default options: every run-policy choice automatic. */
    public static Detector load(Path modelDir) {
        return load(modelDir, DetectorOptions.DEFAULTS);
    }

    /**
     * Loads a model directory (or an .onnx file beside its configs). Every problem (missing or malformed files, an
     * ONNX graph that does not fit the configs, an unknown label in the default decision) is a one-line
     * {@link DfdException} naming the file.
     */
    public static Detector load(Path modelDir, DetectorOptions options) {
        ModelFiles files = ModelFiles.locate(modelDir, options.variant());
        ModelConfig config = ModelConfig.read(files.config());
        PreprocessorConfig pre = PreprocessorConfig.read(files.preprocessor());
        RunPolicy policy = RunPolicy.of(options, files.weightBytes(), Runtime.getRuntime().availableProcessors());
        FaceCrop crop = FaceCrop.read(files.dir()).orElse(null);
        ModelInfo info = new ModelInfo(files, config, pre, Postprocessor.defaultPositive(config.labels()),
                ScoreFunction.defaultFor(config), policy, crop);
        try {
            settings(options.decision(), info); // an unknown positive label fails before the session loads
        } catch (DfdException e) {
            throw new DfdException(files.config() + ": " + e.getMessage());
        }
        OptimizedGraphCache.Outcome graph = options.optimizeGraph()
                ? OptimizedGraphCache.standard().graphFor(files)
                : new OptimizedGraphCache.Outcome(files.onnx(), OptimizedGraphCache.Status.SKIPPED, Map.of(),
                        "optimisation off", false);
        if (graph.created() && graph.status() != OptimizedGraphCache.Status.UNCHANGED) {
            // once per model and dfd version: later loads find the cached entry
            System.err.println("dfd: " + (graph.optimized()
                    ? "optimised " + files.onnx().getFileName() + "'s graph (" + fusions(graph.fused()) + "), "
                    + graph.message() + "; --no-optimize runs the original"
                    : "running " + files.onnx() + " unoptimised: " + graph.message()));
        }
        OnnxClassifier classifier = OnnxClassifier.open(graph.graph(), policy.threadsPerWorker(), policy.prepack());
        try {
            checkCompatible(files, config, pre, classifier);
            return new Detector(info, options, classifier, graph.graph());
        } catch (RuntimeException e) {
            classifier.close();
            throw e;
        }
    }

    private static void checkCompatible(ModelFiles files, ModelConfig config, PreprocessorConfig pre,
                                        OnnxClassifier classifier) {
        long[] in = classifier.inputShape(); // (batch, 3, height, width)
        int[] hw = pre.fixedOutputSize();
        if (hw != null && ((in[2] > 0 && in[2] != hw[0]) || (in[3] > 0 && in[3] != hw[1]))) {
            throw new DfdException(files.onnx() + ": input " + classifier.inputName() + " expects "
                    + Arrays.toString(in) + " but " + files.preprocessor().getFileName() + " makes images of "
                    + hw[0] + "x" + hw[1]);
        }
        int classes = classifier.outputClasses();
        if (classes > 0 && classes != config.numLabels()) {
            throw new DfdException(files.onnx() + ": output " + classifier.outputName() + " has " + classes
                    + " classes but " + files.config().getFileName() + " has " + config.numLabels() + " labels "
                    + config.labels());
        }
    }

    private static String fusions(Map<String, Integer> fused) {
        StringBuilder b = new StringBuilder();
        fused.forEach((op, n) -> {
            if (n > 0) {
                b.append(b.isEmpty() ? "" : ", ").append(n).append(' ').append(op);
            }
        });
        return b.toString();
    }

    /**
     * The ONNX file ONNX Runtime runs: the model's own ({@code model().files().onnx()}), or its optimised copy in
     * the graph cache ({@link DetectorOptions#optimizeGraph()}).
     */
    public Path runningGraph() {
        return runningGraph;
    }

    /** The model's files, configs, defaults and the run policy it was loaded with. */
    public ModelInfo model() {
        return model;
    }

    public DetectorOptions options() {
        return options;
    }

    /** The decision of calls that pass none: the options' decision over the model's defaults, resolved. */
    public Decision defaultDecision() {
        Postprocessor p = defaultSettings.post();
        return new Decision(p.topK(), p.function(), p.positiveLabel(), p.threshold(),
                defaultSettings.faces() ? Decision.Faces.ON : Decision.Faces.OFF);
    }

    // ---- single images ----

    /**
     * Detects one image file: a {@link Detection}, or a {@link NoFace} when the model judges faces and none is
     * found. A bad file throws a DfdException whose message starts with the path.
     */
    public DetectionResult detect(Path file) {
        return detect(file, null);
    }

    /** Detects one image file with a decision of this call (null fields: the detector's defaults). */
    public DetectionResult detect(Path file, Decision decision) {
        return single(ImageSource.of(file), decision);
    }

    /** Detects one encoded image held in memory. */
    public DetectionResult detect(byte[] bytes, String name) {
        return detect(bytes, name, null);
    }

    public DetectionResult detect(byte[] bytes, String name, Decision decision) {
        return single(ImageSource.of(name, bytes), decision);
    }

    /**
     * Detects a BufferedImage, its samples taken as stored (no colour management, alpha dropped): a
     * {@link Detection}, or a {@link NoFace} when the model judges faces and there is none.
     */
    public DetectionResult detect(BufferedImage image, String name) {
        return detect(ImageDecoder.fromBufferedImage(image), name, null);
    }

    /** Detects a decoded image. */
    public DetectionResult detect(RgbImage image, String name, Decision decision) {
        Settings c = settings(decision);
        DetectionResult r = call(() -> infer(List.of(regions(name, image, c.faces())), c)).get(0);
        if (r instanceof Failure f) {
            throw new DfdException(name + ": " + f.error());
        }
        return r;
    }

    /** The whole-image prediction for a decoded image, with the default decision (faces off). */
    public Prediction predict(RgbImage image) {
        return predict(image, null);
    }

    /** The prediction for a decoded image as a whole (faces off, whatever the decision says). */
    public Prediction predict(RgbImage image, Decision decision) {
        Decision whole = (decision == null ? Decision.DEFAULT : decision).withFaces(Decision.Faces.OFF);
        return ((Detection) detect(image, "image", whole)).prediction();
    }

    /** One image: a Detection, or a NoFace when the model judges faces and none is found; a bad image throws. */
    private DetectionResult single(ImageSource source, Decision decision) {
        Settings c = settings(decision);
        DetectionResult r = call(() -> infer(List.of(prepare(source, null, c.faces())), c)).get(0);
        if (r instanceof Failure f) {
            throw new ImageException(f.source() + ": " + f.error());
        }
        return r;
    }

    // ---- the stages, one at a time (golden tests, benchmarks) ----

    /** Decodes image bytes as transformers' load_image would (EXIF orientation, Pillow's RGB conversion). */
    public RgbImage decode(byte[] bytes) {
        return decoder.decode(bytes);
    }

    /** pixel_values for one image: float32 (3, H, W), resized as the model's processor does. */
    public float[] preprocess(RgbImage image) {
        return processor.process(image);
    }

    /** The model stage alone: logits (batch, num_labels) for a (batch, 3, H, W) tensor. */
    public float[][] runModel(PixelBatch batch) {
        return call(() -> classifier.run(batch));
    }

    /** The postprocess and decision stages alone: a prediction from one image's logits (num_labels). */
    public Prediction postprocess(float[] logits, Decision decision) {
        return settings(decision).post().apply(logits);
    }

    // ---- many images ----

    /** Detects many files, in order; failures are results, never exceptions. */
    public List<DetectionResult> detectAll(List<Path> files) {
        return detectAll(files, null);
    }

    public List<DetectionResult> detectAll(List<Path> files, Decision decision) {
        List<DetectionResult> out = new ArrayList<>(files.size());
        detectAll(files.stream().map(ImageSource::of).iterator(), decision, null, out::add);
        return out;
    }

    /**
     * Streams images through the model: decoding and preprocessing run on the decode threads, ahead of inference by
     * up to 1 + workers batches, and each result goes to {@code sink} in input order, on the calling thread. Memory
     * stays bounded whatever the number of images.
     */
    public void detectAll(Iterator<? extends ImageSource> sources, Consumer<? super DetectionResult> sink) {
        detectAll(sources, null, null, sink);
    }

    /**
     * As {@link #detectAll(Iterator, Consumer)}, with this call's decision (null: the defaults) and {@code transform}
     * applied to each decoded image before the regions are found (robustness tests: re-compression, blur, resizing,
     * noise; null for none).
     */
    public void detectAll(Iterator<? extends ImageSource> sources, Decision decision, ImageTransform transform,
                          Consumer<? super DetectionResult> sink) {
        Settings c = settings(decision);
        call(() -> {
            stream(sources, transform, c, sink);
            return null;
        });
    }

    private void stream(Iterator<? extends ImageSource> sources, ImageTransform transform, Settings c,
                        Consumer<? super DetectionResult> sink) {
        RunPolicy policy = model.policy();
        ExecutorService pool = decodePool();
        int workers = policy.workers();
        ExecutorService inference = workers > 1 ? inferencePool() : null;
        int window = policy.batchSize() * (1 + workers) + policy.decodeThreads();
        ArrayDeque<Future<Prepared>> pending = new ArrayDeque<>();
        // batches running on the inference workers, oldest first; results leave in this order
        ArrayDeque<Future<List<DetectionResult>>> running = new ArrayDeque<>();
        try {
            while (true) {
                fill(pool, pending, sources, transform, c.faces(), window);
                if (pending.isEmpty()) {
                    while (!running.isEmpty()) {
                        await(running.poll(), "running the model").forEach(sink);
                    }
                    return;
                }
                // a batch holds up to batchSize model inputs (face crops count one each), an image's crops together
                List<Prepared> chunk = new ArrayList<>(policy.batchSize());
                int inputs = 0;
                while (inputs < policy.batchSize() && !pending.isEmpty()) {
                    Prepared p = await(pending.poll(), "decoding");
                    chunk.add(p);
                    inputs += Math.max(1, p.inputs().size());
                    fill(pool, pending, sources, transform, c.faces(), window);
                }
                if (inference == null) {
                    infer(chunk, c).forEach(sink);
                    continue;
                }
                running.add(inference.submit(() -> infer(chunk, c)));
                while (running.size() >= workers || (running.peek() != null && running.peek().isDone())) {
                    await(running.poll(), "running the model").forEach(sink);
                }
            }
        } finally {
            pending.forEach(f -> f.cancel(true));
            // on an early exit (the sink or the source threw, an interrupt) batches may still be inside ONNX Runtime:
            // wait for them, so the session is never freed under a running call. Their results are dropped.
            for (Future<List<DetectionResult>> f : running) {
                waitQuietly(f);
            }
        }
    }

    private void fill(ExecutorService pool, ArrayDeque<Future<Prepared>> pending,
                      Iterator<? extends ImageSource> sources, ImageTransform transform, boolean faces, int window) {
        while (pending.size() < window && sources.hasNext()) {
            ImageSource source = sources.next();
            // a decode task counts as a call, so the session (and the face detector) outlive every running one
            pending.add(pool.submit(() -> within(() -> prepare(source, transform, faces))));
        }
    }

    private static void waitQuietly(Future<?> future) {
        boolean interrupted = false;
        while (true) {
            try {
                future.get();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            } catch (ExecutionException | CancellationException e) {
                break;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** A pool task's result; what it threw comes out as it was (model errors are DfdExceptions already). */
    private static <T> T await(Future<T> future, String during) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DfdException("interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new DfdException("internal error while " + during + ": " + e.getCause(), e.getCause());
        }
    }

    // ---- the stages before the model ----

    /**
     * An image ready for the model: one input per region (the whole image, or each face with its {@code faces}
     * entry), or no face, or the one-line reason it cannot be run. {@code crash} is set when that reason is not the
     * image's fault (an OutOfMemoryError, an internal error), so a server can answer 503 or 500 instead of 422.
     */
    record Prepared(String source, List<ModelInput> inputs, List<Face> faces, boolean noFace, String error,
                    Throwable crash) {
        Prepared(String source, List<ModelInput> inputs, List<Face> faces, boolean noFace, String error) {
            this(source, inputs, faces, noFace, error, null);
        }

        boolean ok() {
            return error == null;
        }

        static Prepared failed(String source, String error) {
            return new Prepared(source, List.of(), List.of(), false, error);
        }

        static Prepared crashed(String source, String error, Throwable crash) {
            return new Prepared(source, List.of(), List.of(), false, error, crash);
        }
    }

    /** bytes -> decode -> [transform] -> regions -> preprocess; never throws for a bad image. */
    Prepared prepare(ImageSource source, ImageTransform transform, boolean faces) {
        byte[] bytes;
        try {
            bytes = source.read(options.limits().maxBytes());
        } catch (IOException e) {
            return Prepared.failed(source.name(), ImageSource.describe(e));
        }
        try {
            RgbImage image = decoder.decode(bytes);
            if (transform != null) {
                image = transform.apply(image, source.name());
            }
            return regions(source.name(), image, faces);
        } catch (DfdException e) {
            return Prepared.failed(source.name(), e.getMessage());
        } catch (OutOfMemoryError e) {
            return Prepared.crashed(source.name(), "not enough memory to process this image", e);
        } catch (RuntimeException e) {
            if (System.getenv("DFD_DEBUG") != null) {
                e.printStackTrace();
            }
            return Prepared.crashed(source.name(), "cannot process image (internal error; DFD_DEBUG=1 prints it)", e);
        }
    }

    /** regions -> preprocess for a decoded image: the whole image, or every face cut as the model expects. */
    private Prepared regions(String name, RgbImage image, boolean faces) {
        if (!faces) {
            return new Prepared(name, List.of(input(image)), List.of(), false, null);
        }
        List<Face> found = faceDetector().detect(image);
        if (found.isEmpty()) {
            return new Prepared(name, List.of(), List.of(), true, null);
        }
        List<ModelInput> inputs = new ArrayList<>(found.size());
        for (Face face : found) {
            inputs.add(input(faceCrop.cut(image, face)));
        }
        return new Prepared(name, inputs, found, false, null);
    }

    /** preprocess: the model's resize and normalisation to (3, H, W) float32. */
    private ModelInput input(RgbImage image) {
        RgbImage resized = processor.resize(image);
        float[] pixels = new float[3 * resized.width() * resized.height()]; // (3, H, W)
        processor.toChw(resized, pixels, 0);
        return new ModelInput(pixels, resized.height(), resized.width());
    }

    /** model -> postprocess -> decision for a chunk of prepared images; results in chunk order. */
    private List<DetectionResult> infer(List<Prepared> chunk, Settings c) {
        List<ModelInput> inputs = new ArrayList<>();
        for (Prepared p : chunk) {
            inputs.addAll(p.inputs());
        }
        InferenceRunner.Outcome[] outcomes = runner.run(inputs, null);
        List<DetectionResult> results = new ArrayList<>(chunk.size());
        int next = 0;
        for (Prepared p : chunk) {
            int n = p.inputs().size();
            results.add(decide(p, Arrays.asList(outcomes).subList(next, next + n), c.post()));
            next += n;
        }
        return results;
    }

    /** One image's result from its regions' model outcomes (in region order). */
    static DetectionResult decide(Prepared p, List<InferenceRunner.Outcome> outcomes, Postprocessor post) {
        if (!p.ok()) {
            return new Failure(p.source(), p.error());
        }
        if (p.noFace()) {
            return new NoFace(p.source());
        }
        try {
            List<Prediction> predictions = new ArrayList<>(outcomes.size());
            for (InferenceRunner.Outcome o : outcomes) {
                if (o.error() != null) {
                    return new Failure(p.source(), o.error());
                }
                predictions.add(post.apply(o.logits()));
            }
            if (p.faces().isEmpty()) {
                return new Detection(p.source(), predictions.get(0));
            }
            List<FaceVerdict> verdicts = new ArrayList<>(predictions.size());
            Prediction worst = predictions.get(0);
            for (int i = 0; i < predictions.size(); i++) {
                verdicts.add(new FaceVerdict(p.faces().get(i), predictions.get(i)));
                if (predictions.get(i).positiveScore() > worst.positiveScore()) {
                    worst = predictions.get(i);
                }
            }
            return new Detection(p.source(), worst, verdicts);
        } catch (DfdException e) {
            return new Failure(p.source(), e.getMessage());
        }
    }

    /** A call's decision, resolved: its postprocessor and whether it judges faces. */
    record Settings(Postprocessor post, boolean faces) {
    }

    /** The settings of a call: its decision over the detector's default decision. */
    Settings settings(Decision decision) {
        if (decision == null || decision.equals(Decision.DEFAULT)) {
            return defaultSettings;
        }
        try {
            return settings(decision.over(options.decision()), model);
        } catch (DfdException e) {
            throw new DfdException(model.files().config().getFileName() + ": " + e.getMessage());
        }
    }

    private static Settings settings(Decision d, ModelInfo model) {
        Postprocessor post = new Postprocessor(model.config().labels(),
                d.function() != null ? d.function() : model.defaultFunction(),
                d.topK() != null ? d.topK() : Decision.DEFAULT_TOP_K, d.positiveLabel(), d.threshold());
        Decision.Faces faces = d.faces() != null ? d.faces() : Decision.Faces.AUTO;
        return new Settings(post, faces == Decision.Faces.ON || (faces == Decision.Faces.AUTO && model.faceCrop() != null));
    }

    /** The face detector, opened on first use with the crop's detector model and this detector's face limits. */
    private FaceDetector faceDetector() {
        FaceDetector ready = faceDetector; // read without the lock: every decode thread asks for every image
        return ready != null ? ready : openFaceDetector();
    }

    private synchronized FaceDetector openFaceDetector() {
        if (faceDetector == null) {
            if (closed) {
                throw new DfdException("the detector is closed");
            }
            faceDetector = new FaceDetector(faceCrop.detectorOptions(options.maxFaces(), options.minFaceSize()));
        }
        return faceDetector;
    }

    InferenceRunner runner() {
        return runner;
    }

    // ---- lifetime ----

    interface Call<T> {
        T run();
    }

    /** Runs {@code body} as a call: refused once closed; the session is freed only after it returns. */
    <T> T call(Call<T> body) {
        enter();
        try {
            return body.run();
        } finally {
            exit();
        }
    }

    /**
     * Runs {@code body} as part of a call already admitted (its decode tasks): not refused by a close() meanwhile,
     * only once the session has been freed.
     */
    <T> T within(Call<T> body) {
        synchronized (this) {
            if (freed) {
                throw new DfdException("the detector is closed");
            }
            activeCalls++;
            callDepth.get()[0]++;
        }
        try {
            return body.run();
        } finally {
            exit();
        }
    }

    private synchronized void enter() {
        if (closed) {
            throw new DfdException("the detector is closed");
        }
        activeCalls++;
        callDepth.get()[0]++;
    }

    private synchronized void exit() {
        callDepth.get()[0]--;
        if (--activeCalls == 0) {
            notifyAll();
            if (closed) {
                free();
            }
        }
    }

    private synchronized ExecutorService decodePool() {
        if (decodePool == null) {
            decodePool = daemonPool(model.policy().decodeThreads(), "dfd-decode-");
        }
        return decodePool;
    }

    private synchronized ExecutorService inferencePool() {
        if (inferencePool == null) {
            inferencePool = daemonPool(model.policy().workers(), "dfd-inference-");
        }
        return inferencePool;
    }

    /** Daemon threads named prefix1, prefix2...: an unclosed Detector never keeps the JVM alive. */
    static ExecutorService daemonPool(int threads, String prefix) {
        AtomicInteger n = new AtomicInteger();
        return Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Refuses new calls and frees the session once no call is running: waits for running calls, except when called
     * from inside one (a sink that closes), where the last call to return frees it. Idempotent.
     */
    @Override
    public synchronized void close() {
        closed = true;
        if (callDepth.get()[0] > 0) {
            return; // the call we are inside frees the session when it returns
        }
        boolean interrupted = false;
        while (activeCalls > 0) {
            try {
                wait();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        free();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void free() {
        if (freed) {
            return;
        }
        freed = true;
        if (decodePool != null) {
            decodePool.shutdownNow();
        }
        if (inferencePool != null) {
            inferencePool.shutdownNow();
        }
        if (faceDetector != null) {
            faceDetector.close();
        }
        classifier.close();
    }
}
