package dev.dfd;

import dev.dfd.io.RgbImage;
import dev.dfd.model.PixelBatch;
import dev.dfd.preprocess.ImageProcessor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Micro-batching over one {@link Detector}: concurrent callers decode and preprocess on their own threads, then each of
 * {@code workers} inference threads gathers up to {@code maxBatch} waiting images (waiting at most
 * {@code maxWaitMillis} for more after the first) into a single ONNX Runtime call. The queue is bounded: when it is
 * full {@link #submit} refuses at once with {@link Overloaded}, so latency cannot grow without bound. {@link #close}
 * stops accepting and finishes what is queued.
 */
public final class BatchingDetector implements AutoCloseable {
    /**
     * @param maxBatch      images per inference call
     * @param maxWaitMillis how long the first image of a batch waits for others
     * @param queueCapacity images waiting for inference at most
     * @param workers       inference threads, each forming and running its own batches (see
     *                      {@link DetectorOptions#inferenceWorkers})
     */
    public record Config(int maxBatch, long maxWaitMillis, int queueCapacity, int workers) {
        public Config {
            if (maxBatch < 1 || maxWaitMillis < 0 || queueCapacity < 1 || workers < 1) {
                throw new IllegalArgumentException("batch >= 1, wait >= 0 ms, queue >= 1 and workers >= 1 required");
            }
        }

        /** One inference thread. */
        public Config(int maxBatch, long maxWaitMillis, int queueCapacity) {
            this(maxBatch, maxWaitMillis, queueCapacity, 1);
        }
    }

    /** Observes batches (for metrics). */
    public interface Listener {
        void onBatch(int size, long inferenceNanos);
    }

    /** The queue is full: try again later. */
    public static final class Overloaded extends DfdException {
        public Overloaded(String message) {
            super(message);
        }
    }

    private record Item(float[] pixels, int height, int width, CompletableFuture<float[]> result) {
    }

    private final Detector detector;
    private final ImageProcessor processor;
    private final Config config;
    private final Listener listener;
    private final BlockingQueue<Item> queue;
    private final List<Thread> workers = new ArrayList<>();
    private volatile boolean accepting = true;

    public BatchingDetector(Detector detector, Config config, Listener listener) {
        this.detector = detector;
        this.processor = new ImageProcessor(detector.preprocessorConfig());
        this.config = config;
        this.listener = listener;
        this.queue = new ArrayBlockingQueue<>(config.queueCapacity());
        for (int i = 1; i <= config.workers(); i++) {
            Thread worker = new Thread(this::loop, "dfd-batcher-" + i);
            worker.setDaemon(true);
            workers.add(worker);
            worker.start();
        }
    }

    public Detector detector() {
        return detector;
    }

    public Config config() {
        return config;
    }

    /** Images waiting for inference now. */
    public int queueDepth() {
        return queue.size();
    }

    public boolean saturated() {
        return queue.remainingCapacity() == 0;
    }

    /**
     * Decodes (on this thread), then queues for inference.
     *
     * @return the logits, completed by the inference thread
     * @throws dev.dfd.io.ImageException a bad image (one-line reason)
     * @throws Overloaded                the queue is full
     */
    public CompletableFuture<float[]> submit(byte[] bytes) {
        if (!accepting) {
            throw new Overloaded("shutting down");
        }
        RgbImage image = detector.decode(bytes);
        RgbImage resized = processor.resize(image);
        float[] pixels = new float[3 * resized.width() * resized.height()];
        processor.toChw(resized, pixels, 0);
        CompletableFuture<float[]> result = new CompletableFuture<>();
        if (!queue.offer(new Item(pixels, resized.height(), resized.width(), result))) {
            throw new Overloaded("inference queue is full (" + config.queueCapacity() + " images)");
        }
        return result;
    }

    private void loop() {
        List<Item> batch = new ArrayList<>(config.maxBatch());
        while (accepting || !queue.isEmpty()) {
            try {
                Item first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.maxWaitMillis());
                while (batch.size() < config.maxBatch()) {
                    long left = deadline - System.nanoTime();
                    Item next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
                    if (next == null) {
                        break;
                    }
                    batch.add(next);
                }
                run(batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (RuntimeException e) {
                batch.forEach(i -> i.result().completeExceptionally(e));
            } finally {
                batch.clear();
            }
        }
        Item left;
        while ((left = queue.poll()) != null) {
            left.result().completeExceptionally(new Overloaded("shutting down"));
        }
    }

    /** One inference call per image size in the batch (fixed-size models: one call). */
    private void run(List<Item> batch) {
        Map<Long, List<Item>> bySize = new LinkedHashMap<>();
        for (Item i : batch) {
            bySize.computeIfAbsent(((long) i.height() << 32) | i.width(), k -> new ArrayList<>()).add(i);
        }
        for (List<Item> group : bySize.values()) {
            Item first = group.get(0);
            int plane = first.pixels().length;
            float[] data = new float[group.size() * plane]; // (batch, 3, H, W)
            for (int j = 0; j < group.size(); j++) {
                System.arraycopy(group.get(j).pixels(), 0, data, j * plane, plane);
            }
            long start = System.nanoTime();
            try {
                float[][] logits = detector.classifier().run(new PixelBatch(data, group.size(), 3, first.height(),
                        first.width()));
                long nanos = System.nanoTime() - start;
                if (listener != null) {
                    listener.onBatch(group.size(), nanos);
                }
                for (int j = 0; j < group.size(); j++) {
                    group.get(j).result().complete(logits[j]);
                }
            } catch (RuntimeException e) {
                group.forEach(i -> i.result().completeExceptionally(e));
            }
        }
    }

    /** Stops accepting, lets queued images finish (up to {@code timeoutMillis}), stops the inference threads. */
    public void close(long timeoutMillis) {
        accepting = false;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        try {
            for (Thread worker : workers) {
                worker.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        workers.forEach(Thread::interrupt);
    }

    @Override
    public void close() {
        close(30_000);
    }
}
