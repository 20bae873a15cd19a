package dev.dfd.server;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A load generator for a dfd server (loopback or the project's own test hosts only): for each concurrency level,
 * closed-loop clients POST images to /v1/detect for a fixed time; then a burst far above capacity is fired at once.
 * Reports throughput, p50/p95/p99 latency, and served vs rejected. Every loop is bounded in count and time.
 */
public final class LoadTest {
    /** One level's outcome. */
    public record Level(String name, int concurrency, int ok, int rejected, int errors, double seconds, double p50,
                        double p95, double p99, double max) {
        public double throughput() {
            return ok / seconds;
        }
    }

    private final URI endpoint;
    private final List<byte[]> images;
    private final HttpClient client;

    public LoadTest(String baseUrl, List<Path> imageFiles) throws IOException {
        this.endpoint = URI.create(baseUrl.replaceAll("/+$", "") + "/v1/detect");
        String host = endpoint.getHost();
        if (!host.equals("127.0.0.1") && !host.equals("localhost") && !host.equals("[::1]") && !host.equals("::1")) {
            throw new IllegalArgumentException("the load test only targets a server on this machine (loopback), not "
                    + host);
        }
        this.images = new ArrayList<>();
        for (Path p : imageFiles) {
            images.add(Files.readAllBytes(p));
        }
        if (images.isEmpty()) {
            throw new IllegalArgumentException("no images to send");
        }
        this.client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** Closed-loop clients for {@code seconds}, after a short warm-up. */
    public Level closedLoop(int concurrency, double seconds) throws Exception {
        run(concurrency, Math.min(2.0, seconds / 4)); // warm-up, not reported
        return run(concurrency, seconds);
    }

    private Level run(int concurrency, double seconds) throws Exception {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        AtomicInteger next = new AtomicInteger();
        List<Future<List<long[]>>> clients = new ArrayList<>();
        long start = System.nanoTime();
        for (int c = 0; c < concurrency; c++) {
            clients.add(pool.submit(() -> {
                List<long[]> samples = new ArrayList<>(); // (status, nanos)
                while (System.nanoTime() < end) {
                    samples.add(send(images.get(Math.floorMod(next.getAndIncrement(), images.size()))));
                }
                return samples;
            }));
        }
        List<long[]> all = new ArrayList<>();
        for (Future<List<long[]>> f : clients) {
            all.addAll(f.get());
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        pool.shutdown();
        return summarize("c=" + concurrency, concurrency, all, elapsed);
    }

    /** {@code requests} requests at once over {@code connections} connections: how many are served, how many refused. */
    public Level burst(int requests, int connections) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(connections);
        List<Future<long[]>> fs = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < requests; i++) {
            byte[] img = images.get(i % images.size());
            fs.add(pool.submit(() -> send(img)));
        }
        List<long[]> all = new ArrayList<>();
        for (Future<long[]> f : fs) {
            all.add(f.get());
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        pool.shutdown();
        return summarize("burst " + requests, connections, all, elapsed);
    }

    private long[] send(byte[] image) {
        long t = System.nanoTime();
        try {
            HttpResponse<Void> r = client.send(HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(60))
                    .header("Content-Type", "application/octet-stream")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(image)).build(), HttpResponse.BodyHandlers.discarding());
            return new long[]{r.statusCode(), System.nanoTime() - t};
        } catch (IOException e) {
            return new long[]{-1, System.nanoTime() - t};
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new long[]{-1, System.nanoTime() - t};
        }
    }

    private static Level summarize(String name, int concurrency, List<long[]> samples, double seconds) {
        int ok = 0;
        int rejected = 0;
        int errors = 0;
        List<Long> okNanos = new ArrayList<>();
        for (long[] s : samples) {
            if (s[0] == 200) {
                ok++;
                okNanos.add(s[1]);
            } else if (s[0] == 503 || s[0] == 429) {
                rejected++;
            } else {
                errors++;
            }
        }
        long[] sorted = okNanos.stream().mapToLong(Long::longValue).sorted().toArray();
        return new Level(name, concurrency, ok, rejected, errors, seconds, pct(sorted, 50), pct(sorted, 95),
                pct(sorted, 99), sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1] / 1e6);
    }

    private static double pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
    }

    public static String table(List<Level> levels) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-12s %6s %8s %9s %7s %10s %9s %9s %9s %9s%n",
                "run", "conns", "served", "rejected", "errors", "images/s", "p50 ms", "p95 ms", "p99 ms", "max ms"));
        for (Level l : levels) {
            sb.append(String.format(Locale.ROOT, "%-12s %6d %8d %9d %7d %10.1f %9.1f %9.1f %9.1f %9.1f%n", l.name(),
                    l.concurrency(), l.ok(), l.rejected(), l.errors(), l.throughput(), l.p50(), l.p95(), l.p99(), l.max()));
        }
        return sb.toString();
    }

}
