package dev.dfd;

import dev.dfd.DetectionResult.Detection;
import dev.dfd.DetectionResult.Failure;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Micro-batching over one {@link Detector}, for servers: concurrent callers decode and preprocess on their own
 * threads, then each of {@code workers} inference threads gathers up to {@code maxBatch} waiting images (waiting at
 * most {@code maxWaitMillis} for more after the first) into one call of the detector's batch runner. The queue is
 * bounded: when it is full {@link #submit} refuses at once with {@link Overloaded}, so latency cannot grow without
 * bound. Each call brings its own {@link Decision}, so one session serves every request's settings.
 *
 * <pre>{@code
 * try (BatchingDetector batcher = new BatchingDetector(detector, new BatchingDetector.Config(8, 2, 64, 2), null)) {
 *     DetectionResult r = batcher.submit(bytes, "upload.jpg", Decision.DEFAULT).get(); // Detection or NoFace
 * }
 * }</pre>
 * {@link #close} stops accepting and finishes what is queued; close the Detector after it.
 */
public final class BatchingDetector implements AutoCloseable {
    /**
     * @param maxBatch      images per inference call
     * @param maxWaitMillis how long the first image of a batch waits for others
     * @param queueCapacity images waiting for inference at most
     * @param workers       inference threads, each forming and running its own batches (see {@link RunPolicy})
     */
    public record Config(int maxBatch, long maxWaitMillis, int queueCapacity, int workers) {
        public Config {
            if (maxBatch < 1 || maxWaitMillis < 0 || queueCapacity < 1 || workers < 1) {
                throw new DfdException("micro-batching needs batch >= 1, wait >= 0 ms, queue >= 1 and workers >= 1");
            }
        }
    }

    /** Observes batches (for metrics). */
    public interface Listener {
        void onBatch(int size, long inferenceNanos);
    }

    /** The queue is full, or the batcher is shutting down: try again later. */
    public static final class Overloaded extends DfdException {
        public Overloaded(String message) {
            super(message);
        }
    }

    private record Item(ModelInput input, CompletableFuture<InferenceRunner.Outcome> outcome) {
    }

    private final Detector detector;
    private final Config config;
    private final Listener listener;
    private final BlockingQueue<Item> queue;
    private final List<Thread> workers = new ArrayList<>();
    private volatile boolean accepting = true;

    public BatchingDetector(Detector detector, Config config, Listener listener) {
        this.detector = detector;
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
     * Decodes, finds the regions (faces, when the call judges faces) and preprocesses on this thread, then queues
     * every region for inference.
     *
     * @param decision this call's decision, null for the detector's default
     * @return a {@link Detection} (or a {@link DetectionResult.NoFace}, completed at once), completed by an inference
     *         thread; a model failure completes it with a DfdException, and anything else the batch threw (an
     *         OutOfMemoryError included) completes it with that
     * @throws ImageException      a bad image (one-line reason, without the name)
     * @throws Overloaded          the queue cannot take the image's regions
     * @throws DfdException        an unknown label in the decision
     * @throws OutOfMemoryError    decoding or preprocessing ran out of memory (not the image's fault: retry later)
     * @throws RuntimeException    an internal failure while decoding or preprocessing, as it was thrown
     */
    public CompletableFuture<DetectionResult> submit(byte[] bytes, String name, Decision decision) {
        if (!accepting) {
            throw new Overloaded("shutting down");
        }
        Detector.Settings call = detector.settings(decision);
        Detector.Prepared prepared;
        try { // a call of the detector: it is not freed while this image is decoded and its faces found
            prepared = detector.call(() -> detector.prepare(ImageSource.of(name, bytes), null, call.faces()));
        } catch (DfdException closed) {
            throw new Overloaded("shutting down");
        }
        if (prepared.crash() instanceof Error e) {
            throw e;
        }
        if (prepared.crash() instanceof RuntimeException e) {
            throw e;
        }
        if (!prepared.ok()) {
            throw new ImageException(prepared.error());
        }
        if (prepared.noFace()) {
            return CompletableFuture.completedFuture(new DetectionResult.NoFace(name));
        }
        List<CompletableFuture<InferenceRunner.Outcome>> outcomes = new ArrayList<>(prepared.inputs().size());
        synchronized (queue) { // all of an image's regions or none: a half-queued image would never complete
            if (!accepting) { // checked under the lock close() takes: nothing is queued after the workers leave
                throw new Overloaded("shutting down");
            }
            if (queue.remainingCapacity() < prepared.inputs().size()) {
                throw new Overloaded("inference queue is full (" + config.queueCapacity()
                        + " images or face crops)");
            }
            for (ModelInput input : prepared.inputs()) {
                CompletableFuture<InferenceRunner.Outcome> outcome = new CompletableFuture<>();
                queue.add(new Item(input, outcome));
                outcomes.add(outcome);
            }
        }
        return CompletableFuture.allOf(outcomes.toArray(new CompletableFuture<?>[0])).thenApply(v -> {
            DetectionResult r = Detector.decide(prepared, outcomes.stream().map(CompletableFuture::join).toList(),
                    call.post());
            if (r instanceof Failure f) {
                throw new DfdException(f.error());
            }
            return r;
        });
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
                List<ModelInput> inputs = new ArrayList<>(batch.size());
                batch.forEach(i -> inputs.add(i.input()));
                InferenceRunner.Outcome[] outcomes = detector.call(() -> detector.runner().run(inputs, listener));
                for (int i = 0; i < batch.size(); i++) {
                    batch.get(i).outcome().complete(outcomes[i]);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                batch.forEach(i -> i.outcome().completeExceptionally(new Overloaded("shutting down")));
                break;
            } catch (Throwable e) { // never leave a caller waiting, whatever happened; the worker goes on
                // (an OutOfMemoryError is this batch's: its arrays are garbage now, and the next batch may fit)
                batch.forEach(i -> i.outcome().completeExceptionally(e));
            } finally {
                batch.clear();
            }
        }
        Item left;
        while ((left = queue.poll()) != null) {
            left.outcome().completeExceptionally(new Overloaded("shutting down"));
        }
    }

    /** Stops accepting, lets queued images finish (up to {@code timeoutMillis}), stops the inference threads. */
    public void close(long timeoutMillis) {
        synchronized (queue) {
            accepting = false;
        }
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
