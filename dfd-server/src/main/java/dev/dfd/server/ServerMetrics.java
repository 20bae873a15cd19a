package dev.dfd.server;

import dev.dfd.BatchingDetector;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Supplier;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Prometheus metrics: requests by route and status, request latency histogram, queue depth, batch sizes, inference
 * time, images (total and per second over the last 10 s), rejected requests by reason.
 */
final class ServerMetrics implements BatchingDetector.Listener {
    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final DistributionSummary batchSizes;
    private final Timer inference;
    private final Counter images;
    private final AtomicLong windowStart = new AtomicLong(System.nanoTime());
    private final AtomicLong windowImages = new AtomicLong();
    private volatile double imagesPerSecond;
    private Supplier<ReadDeadline> deadline = () -> null;

    ServerMetrics() {
        batchSizes = DistributionSummary.builder("dfd.batch.size").description("images per inference call")
                .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64).register(registry);
        inference = Timer.builder("dfd.inference.duration").description("time of one ONNX Runtime call")
                .publishPercentileHistogram().register(registry);
        images = Counter.builder("dfd.images").description("images run through the model").register(registry);
        Gauge.builder("dfd.images.per.second", this, m -> m.currentRate())
                .description("images per second over the last 10 seconds").register(registry);
    }

    /** Reports the batcher's queue depth (the batcher reports its batches to this object). */
    void watch(BatchingDetector batcher) {
        Gauge.builder("dfd.queue.depth", batcher, BatchingDetector::queueDepth)
                .description("images waiting for inference").register(registry);
    }

    /**
     * Reports what admission holds and what the process uses: the memory budget and its reservations, open
     * connections and those closed for missing the read deadline, live threads, heap in use and resident memory.
     */
    void watch(MemoryBudget budget, Supplier<ReadDeadline> deadline) {
        this.deadline = deadline; // gauges hold their state weakly: this object keeps the supplier alive
        Gauge.builder("dfd.memory.budget", budget, MemoryBudget::capacity).baseUnit("bytes")
                .description("memory budget for request bodies, decoding and queued model inputs").register(registry);
        Gauge.builder("dfd.memory.reserved", budget, MemoryBudget::reserved).baseUnit("bytes")
                .description("memory reserved by requests now").register(registry);
        Gauge.builder("dfd.memory.reserved.peak", budget, MemoryBudget::peak).baseUnit("bytes")
                .description("most memory ever reserved at once").register(registry);
        Gauge.builder("dfd.open.connections", this, m -> m.deadline.get() == null ? 0
                        : m.deadline.get().openConnections()).description("HTTP connections open now").register(registry);
        FunctionCounter.builder("dfd.read.timeouts", this, m -> m.deadline.get() == null ? 0 : m.deadline.get().closed())
                .description("connections closed because their request did not arrive whole in time")
                .register(registry);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Gauge.builder("dfd.threads", threads, ThreadMXBean::getThreadCount).description("live JVM threads")
                .register(registry);
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        Gauge.builder("dfd.heap.used", memory, m -> m.getHeapMemoryUsage().getUsed()).baseUnit("bytes")
                .description("heap in use (live and not yet collected)").register(registry);
        Gauge.builder("dfd.heap.committed", memory, m -> m.getHeapMemoryUsage().getCommitted()).baseUnit("bytes")
                .description("heap the JVM has taken from the system").register(registry);
        Gauge.builder("dfd.heap.max", memory, m -> m.getHeapMemoryUsage().getMax()).baseUnit("bytes")
                .description("heap the JVM may grow to").register(registry);
        Gauge.builder("dfd.resident.memory", ServerMetrics::residentBytes).baseUnit("bytes")
                .description("resident set size of the process (Linux; NaN elsewhere)").register(registry);
    }

    /** VmRSS from /proc/self/status, or NaN where there is none. */
    static double residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024.0; // "VmRSS:   123456 kB"
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or no procfs
        }
        return Double.NaN;
    }

    @Override
    public void onBatch(int size, long inferenceNanos) {
        batchSizes.record(size);
        inference.record(Duration.ofNanos(inferenceNanos));
        images.increment(size);
        windowImages.addAndGet(size);
        currentRate();
    }

    private double currentRate() {
        long now = System.nanoTime();
        long start = windowStart.get();
        double seconds = (now - start) / 1e9;
        if (seconds >= 10 && windowStart.compareAndSet(start, now)) {
            imagesPerSecond = windowImages.getAndSet(0) / seconds;
        }
        return imagesPerSecond;
    }

    void request(String route, String method, int status, long nanos) {
        Counter.builder("dfd.http.requests").tag("route", route).tag("method", method)
                .tag("status", Integer.toString(status)).register(registry).increment();
        Timer.builder("dfd.http.request.duration").tag("route", route).publishPercentileHistogram()
                .register(registry).record(Duration.ofNanos(nanos));
    }

    void rejected(String reason) {
        Counter.builder("dfd.rejected.requests").tag("reason", reason).register(registry).increment();
    }

    String scrape() {
        return registry.scrape();
    }
}
