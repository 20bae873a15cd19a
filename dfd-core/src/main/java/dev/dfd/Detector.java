package dev.dfd;

import dev.dfd.DetectionResult.Detection;
import dev.dfd.DetectionResult.Failure;
import dev.dfd.io.ImageDecoder;
import dev.dfd.io.ImageException;
import dev.dfd.io.RgbImage;
import dev.dfd.model.ModelConfig;
import dev.dfd.model.ModelFiles;
import dev.dfd.model.OnnxClassifier;
import dev.dfd.model.PixelBatch;
import dev.dfd.postprocess.Postprocessor;
import dev.dfd.postprocess.Prediction;
import dev.dfd.postprocess.ScoreFunction;
import dev.dfd.preprocess.ImageProcessor;
import dev.dfd.preprocess.PreprocessorConfig;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A deepfake detector over a Hugging Face image-classification model directory, the one data path of dfd:
 * bytes -> {@link ImageDecoder} -> {@link ImageProcessor} -> {@link OnnxClassifier} -> {@link Postprocessor}.
 *
 * <pre>{@code
 * try (Detector detector = Detector.load(Path.of("models/default"))) {
 *     Detection d = detector.detect(Path.of("photo.jpg"));
 *     System.out.println(d.label() + " " + d.score());
 * }
 * }</pre>
 *
 * <p>{@link #detectAll} decodes and preprocesses the next images on a thread pool while the current batch runs, and
 * delivers results in input order; with {@link DetectorOptions#inferenceWorkers} above 1 it runs that many batches at
 * once (one pool of that many threads per Detector, shared by concurrent detectAll calls). A Detector is thread-safe:
 * concurrent calls share the one ONNX session.
 */
public final class Detector implements AutoCloseable {
    private final ModelFiles files;
    private final ModelConfig config;
    private final ImageProcessor processor;
    private final OnnxClassifier classifier;
    private final Postprocessor postprocessor;
    private final ImageDecoder decoder;
    private final DetectorOptions options;
    private ExecutorService decodePool;
    private ExecutorService inferencePool;
    private boolean closed;

    private Detector(ModelFiles files, ModelConfig config, PreprocessorConfig preprocessorConfig,
                     OnnxClassifier classifier, DetectorOptions options) {
        this.files = files;
        this.config = config;
        this.processor = new ImageProcessor(preprocessorConfig);
        this.classifier = classifier;
        this.options = options;
        this.decoder = new ImageDecoder(options.limits());
        ScoreFunction function = options.function() != null ? options.function() : ScoreFunction.defaultFor(config);
        try {
            this.postprocessor = new Postprocessor(config.labels(), function, options.topK(), options.positiveLabel(),
                    options.threshold());
        } catch (IllegalArgumentException e) {
            throw new DfdException(files.config() + ": " + e.getMessage());
        }
    }

    /** Loads a model directory with default options. */
    public static Detector load(Path modelDir) {
        return load(modelDir, DetectorOptions.DEFAULTS);
    }

    /** Loads a model directory (or an .onnx file beside its configs); every problem is a one-line DfdException. */
    public static Detector load(Path modelDir, DetectorOptions options) {
        ModelFiles files = ModelFiles.locate(modelDir, options.variant());
        ModelConfig config = ModelConfig.read(files.config());
        PreprocessorConfig pre = PreprocessorConfig.read(files.preprocessor());
        OnnxClassifier classifier = OnnxClassifier.open(files.onnx(), options.intraOpThreads(), options.prepackWeights());
        try {
            checkCompatible(files, config, pre, classifier);
            return new Detector(files, config, pre, classifier, options);
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

    public ModelFiles files() {
        return files;
    }

    public ModelConfig config() {
        return config;
    }

    public PreprocessorConfig preprocessorConfig() {
        return processor.config();
    }

    public Postprocessor postprocessor() {
        return postprocessor;
    }

    public OnnxClassifier classifier() {
        return classifier;
    }

    public DetectorOptions options() {
        return options;
    }

    /** Decodes image bytes as transformers' load_image would (EXIF orientation, Pillow's RGB conversion). */
    public RgbImage decode(byte[] bytes) {
        return decoder.decode(bytes);
    }

    /** pixel_values for one image: float32 (3, H, W). */
    public float[] preprocess(RgbImage image) {
        return processor.process(image);
    }

    /** Detects one image file; a bad file throws a DfdException whose message starts with the path. */
    public Detection detect(Path file) {
        return single(ImageSource.of(file));
    }

    /** Detects one encoded image held in memory. */
    public Detection detect(byte[] bytes, String name) {
        return single(ImageSource.of(name, bytes));
    }

    /** Detects a BufferedImage, its samples taken as stored (no colour management, alpha dropped). */
    public Detection detect(BufferedImage image, String name) {
        return new Detection(name, predict(ImageDecoder.fromBufferedImage(image)));
    }

    /** The prediction for a decoded image. */
    public Prediction predict(RgbImage image) {
        DetectionResult r = infer(List.of(prepare(0, "image", image))).get(0);
        if (r instanceof Failure f) {
            throw new DfdException(f.error());
        }
        return ((Detection) r).prediction();
    }

    private Detection single(ImageSource source) {
        DetectionResult r = infer(List.of(prepare(0, source, null))).get(0);
        if (r instanceof Failure f) {
            throw new ImageException(f.source() + ": " + f.error());
        }
        return (Detection) r;
    }

    /** Detects many files, in order; failures are results, never exceptions. */
    public List<DetectionResult> detectAll(List<Path> files) {
        List<DetectionResult> out = new ArrayList<>(files.size());
        detectAll(files.stream().map(ImageSource::of).iterator(), out::add);
        return out;
    }

    /**
     * Streams images through the model: decoding and preprocessing run on {@code decodeThreads} threads, ahead of
     * inference by up to 1 + inferenceWorkers batches, and each result goes to {@code sink} in input order, on the
     * calling thread.
     * Memory stays bounded whatever the number of images.
     */
    public void detectAll(Iterator<? extends ImageSource> sources, Consumer<? super DetectionResult> sink) {
        detectAll(sources, null, sink);
    }

    /**
     * As {@link #detectAll(Iterator, Consumer)}, with {@code transform} applied to each decoded image before
     * preprocessing (robustness tests: re-compression, blur, resizing, noise). Null means none.
     */
    public void detectAll(Iterator<? extends ImageSource> sources, ImageTransform transform,
                          Consumer<? super DetectionResult> sink) {
        ExecutorService pool = pool();
        int workers = options.inferenceWorkers();
        ExecutorService inference = workers > 1 ? inferencePool() : null;
        int window = options.batchSize() * (1 + workers) + options.decodeThreads();
        ArrayDeque<Future<Prepared>> pending = new ArrayDeque<>();
        // batches running on the inference workers, oldest first; results leave in this order
        ArrayDeque<Future<List<DetectionResult>>> running = new ArrayDeque<>();
        int[] next = {0};
        try {
            while (true) {
                fill(pool, pending, sources, transform, window, next);
                if (pending.isEmpty()) {
                    while (!running.isEmpty()) {
                        await(running.poll(), "running the model").forEach(sink);
                    }
                    return;
                }
                List<Prepared> chunk = new ArrayList<>(options.batchSize());
                while (chunk.size() < options.batchSize() && !pending.isEmpty()) {
                    chunk.add(await(pending.poll(), "decoding"));
                    fill(pool, pending, sources, transform, window, next);
                }
                if (inference == null) {
                    infer(chunk).forEach(sink);
                    continue;
                }
                running.add(inference.submit(() -> infer(chunk)));
                while (running.size() >= workers || (running.peek() != null && running.peek().isDone())) {
                    await(running.poll(), "running the model").forEach(sink);
                }
            }
        } finally {
            pending.forEach(f -> f.cancel(true));
            // on an early exit (the sink or the source threw, an interrupt) batches may still be inside ONNX Runtime;
            // wait for them, so that a close() right after never frees the session under a running call. Their
            // results are dropped: the caller is leaving with an exception.
            for (Future<List<DetectionResult>> f : running) {
                waitQuietly(f);
            }
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
            } catch (ExecutionException | java.util.concurrent.CancellationException e) {
                break;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void fill(ExecutorService pool, ArrayDeque<Future<Prepared>> pending, Iterator<? extends ImageSource> sources,
                      ImageTransform transform, int window, int[] next) {
        while (pending.size() < window && sources.hasNext()) {
            ImageSource source = sources.next();
            int index = next[0]++;
            pending.add(pool.submit(() -> prepare(index, source, transform)));
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

    /** An image ready for the model, or the reason it is not. */
    private record Prepared(int index, String source, float[] pixels, int height, int width, String error) {
        boolean ok() {
            return error == null;
        }
    }

    private Prepared prepare(int index, ImageSource source, ImageTransform transform) {
        byte[] bytes;
        try {
            bytes = source.read(options.limits().maxBytes());
        } catch (IOException e) {
            return new Prepared(index, source.name(), null, 0, 0, ImageSource.describe(e));
        }
        try {
            RgbImage image = decoder.decode(bytes);
            if (transform != null) {
                image = transform.apply(image, source.name());
            }
            return prepare(index, source.name(), image);
        } catch (DfdException e) {
            return new Prepared(index, source.name(), null, 0, 0, e.getMessage());
        } catch (RuntimeException | OutOfMemoryError e) {
            return new Prepared(index, source.name(), null, 0, 0, "cannot process image (" + e + ")");
        }
    }

    private Prepared prepare(int index, String name, RgbImage image) {
        RgbImage resized = processor.resize(image);
        float[] pixels = new float[3 * resized.width() * resized.height()];
        processor.toChw(resized, pixels, 0);
        return new Prepared(index, name, pixels, resized.height(), resized.width(), null);
    }

    /** Runs the good images of a chunk, grouped by size so each group is one batch; results in chunk order. */
    private List<DetectionResult> infer(List<Prepared> chunk) {
        DetectionResult[] results = new DetectionResult[chunk.size()];
        Map<Long, List<Integer>> bySize = new LinkedHashMap<>();
        for (int i = 0; i < chunk.size(); i++) {
            Prepared p = chunk.get(i);
            if (!p.ok()) {
                results[i] = new Failure(p.source(), p.error());
            } else {
                bySize.computeIfAbsent(((long) p.height() << 32) | p.width(), k -> new ArrayList<>()).add(i);
            }
        }
        for (List<Integer> group : bySize.values()) {
            Prepared first = chunk.get(group.get(0));
            int plane = 3 * first.height() * first.width();
            float[] data = new float[group.size() * plane]; // (batch, 3, H, W)
            for (int j = 0; j < group.size(); j++) {
                System.arraycopy(chunk.get(group.get(j)).pixels(), 0, data, j * plane, plane);
            }
            try {
                float[][] logits = classifier.run(new PixelBatch(data, group.size(), 3, first.height(), first.width()));
                for (int j = 0; j < group.size(); j++) {
                    Prepared p = chunk.get(group.get(j));
                    results[group.get(j)] = new Detection(p.source(), postprocessor.apply(logits[j]));
                }
            } catch (DfdException | IllegalArgumentException e) {
                for (int i : group) {
                    results[i] = new Failure(chunk.get(i).source(), e.getMessage());
                }
            }
        }
        return Arrays.asList(results);
    }

    private synchronized ExecutorService pool() {
        checkOpen();
        if (decodePool == null) {
            decodePool = daemonPool(options.decodeThreads(), "dfd-decode-");
        }
        return decodePool;
    }

    private synchronized ExecutorService inferencePool() {
        checkOpen();
        if (inferencePool == null) {
            inferencePool = daemonPool(options.inferenceWorkers(), "dfd-inference-");
        }
        return inferencePool;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("detector is closed");
        }
    }

    /** Daemon threads named prefix1, prefix2...: an unclosed Detector never keeps the JVM alive. */
    private static ExecutorService daemonPool(int threads, String prefix) {
        AtomicInteger n = new AtomicInteger();
        return Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (decodePool != null) {
            decodePool.shutdownNow();
        }
        if (inferencePool != null) {
            // a batch of another thread's detectAll may still be running: let it end before the session is freed
            inferencePool.shutdown();
            try {
                if (!inferencePool.awaitTermination(10, java.util.concurrent.TimeUnit.MINUTES)) {
                    throw new IllegalStateException("inference still running after 10 minutes; not closing the session");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        classifier.close();
    }
}
