package dev.dfd.server;

import dev.dfd.BatchingDetector;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.time.Duration;
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
