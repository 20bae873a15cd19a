package dev.dfd.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dfd.internal.Json;
import dev.dfd.internal.io.ImageFormat;
import dev.dfd.internal.io.ImageHeader;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A soak and overload run against a dfd server on this machine: steady mixed traffic (good images, truncated and
 * garbage files, headers claiming huge images, wrong methods, bad JSON, bodies declared far over the limit) from
 * closed-loop clients, plus clients trickling a byte a second, with the server's resident memory, heap, threads,
 * open connections and reserved memory sampled every second from /metrics; then a burst far above capacity; then
 * a wait for threads and connections to return to their baseline and a check that every good image gets the same
 * answer as before the run. Bounded in time; every outcome is counted.
 *
 * <pre>{@code
 * Soak.Report r = new Soak("http://127.0.0.1:8080", images)
 *         .run(new Soak.Options(120, 8, 4, 30_000, 2000, 256, 90), System.err);
 * System.out.print(r.text());
 * }</pre>
 */
public final class Soak {
    /**
     * @param seconds          steady traffic this long
     * @param concurrency      closed-loop clients sending the mixed requests
     * @param slowClients      connections trickling one byte a second (half in headers, half in bodies)
     * @param readTimeoutMillis the server's --read-timeout: a trickling client must be closed within it (plus 10 s)
     * @param burst            requests of the overload burst after the steady phase (0: none)
     * @param burstConnections connections the burst is sent over
     * @param settleSeconds    longest wait for threads and connections to return to their baseline
     */
    public record Options(double seconds, int concurrency, int slowClients, long readTimeoutMillis, int burst,
                          int burstConnections, double settleSeconds) {
        public Options {
            if (seconds <= 0 || seconds > 24 * 3600 || concurrency < 1 || concurrency > 1024 || slowClients < 0
                    || slowClients > 1024 || readTimeoutMillis < 1 || burst < 0 || burstConnections < 1
                    || settleSeconds < 0 || settleSeconds > 3600) {
                throw new IllegalArgumentException("invalid soak settings");
            }
        }
    }

    /** The kinds of request the steady phase mixes, with the answers each may get. */
    public enum Kind {
        GOOD(200, 503), TRUNCATED(422, 503), GARBAGE(422, 503), CLAIMS_9000(422, 503), CLAIMS_4000(422, 503),
        WRONG_METHOD(405), BAD_JSON(400, 503), HUGE_LENGTH(413);

        final Set<Integer> expected;

        Kind(Integer... expected) {
            this.expected = Set.of(expected);
        }
    }

    /** The longest the burst may take; requests unanswered by then count as errors. */
    static final double BURST_SECONDS = 180;

    /** Twelve good requests in twenty; every other kind once or twice. */
    private static final List<Kind> MIX = List.of(Kind.GOOD, Kind.TRUNCATED, Kind.GOOD, Kind.GARBAGE, Kind.GOOD,
            Kind.CLAIMS_9000, Kind.GOOD, Kind.WRONG_METHOD, Kind.GOOD, Kind.CLAIMS_4000, Kind.GOOD, Kind.BAD_JSON,
            Kind.GOOD, Kind.HUGE_LENGTH, Kind.GOOD, Kind.TRUNCATED, Kind.GOOD, Kind.GOOD, Kind.GOOD, Kind.GOOD);

    /** One second of the run as sampled: the server's state from /metrics and the clients' outcomes. */
    static boolean recovered(Sample baseline, Sample now) {
        boolean reservations = Double.isNaN(now.reservedMb()) || Double.isNaN(baseline.reservedMb())
                || now.reservedMb() <= baseline.reservedMb() + 1;
        return now.threads() <= baseline.threads() + 8 && now.connections() <= baseline.connections() && reservations;
    }

    public record Sample(double t, double rssMb, double heapMb, double heapCommittedMb, double threads,
                         double connections, double reservedMb, int requests, int ok, int rejected, int refused,
                         int unexpected, double p50, double p99) {
        /** Resident memory besides the committed heap: JVM, threads, native libraries and buffers. */
        double outsideHeapMb() {
            return rssMb - heapCommittedMb;
        }
    }

    /**
     * What the run saw.
     *
     * @param byKind       answers by request kind and status (-1: no answer, the connection failed)
     * @param unexpected   answers outside each kind's expected statuses, the first few described
     * @param slowClosed   trickling connections the server closed, and the longest they lasted
     * @param slowSurvived trickling connections still open 10 s past the read deadline
     */
    public record Report(Options options, List<Sample> samples, Map<Kind, Map<Integer, Integer>> byKind,
                         List<String> unexpected, long unexpectedCount, double steadyP50, double steadyP99,
                         int slowClosed, double slowLongestSeconds, int slowSurvived, LoadTest.Level burst,
                         Sample baseline, Sample settled, double settleSeconds, int answersChecked,
                         List<String> answersChanged) {
        /** Median RSS over the second fifth of the steady phase (after warm-up) and over its last fifth. */
        public double[] rssWarmAndEnd() {
            return warmAndEnd(Sample::rssMb);
        }

        /** The same for resident memory outside the committed heap. */
        public double[] outsideHeapWarmAndEnd() {
            return warmAndEnd(Sample::outsideHeapMb);
        }

        private double[] warmAndEnd(java.util.function.ToDoubleFunction<Sample> value) {
            List<Sample> steady = samples.stream().filter(s -> s.t() <= options.seconds()).toList();
            int n = steady.size();
            if (n < 5) {
                return new double[]{Double.NaN, Double.NaN};
            }
            return new double[]{median(steady.subList(n / 5, 2 * n / 5), value),
                    median(steady.subList(4 * n / 5, n), value)};
        }

        public double rssMax() {
            return samples.stream().mapToDouble(Sample::rssMb).filter(v -> !Double.isNaN(v)).max().orElse(Double.NaN);
        }

        /**
         * RSS after warm-up grows less than 10% + 32 MB by the end of the steady phase, or only as the heap is
         * committed towards its maximum (a bound the JVM keeps): what lies outside the heap grows less than that.
         */
        public boolean rssFlat() {
            return flat(rssWarmAndEnd()) || flat(outsideHeapWarmAndEnd());
        }

        private static boolean flat(double[] warmAndEnd) {
            return !Double.isNaN(warmAndEnd[0]) && !Double.isNaN(warmAndEnd[1])
                    && warmAndEnd[1] <= warmAndEnd[0] * 1.10 + 32;
        }

        /**
         * Threads within 8 of the baseline (JIT compiler threads come and go), connections back to it, and the memory
         * budget's reservations back to it (within 1 MB): a reservation never released would shrink the budget for
         * good.
         */
        public boolean recovered() {
            return settled != null && Soak.recovered(baseline, settled);
        }

        public boolean passed() {
            return unexpectedCount == 0 && slowSurvived == 0 && rssFlat() && recovered() && answersChanged.isEmpty()
                    && answersChecked > 0 && (burst == null || burst.errors() == 0);
        }

        public String text() {
            StringBuilder b = new StringBuilder();
            b.append(String.format(Locale.ROOT, "soak: %.0f s, %d clients, %d slow clients; burst %d over %d"
                            + " connections%n", options.seconds(), options.concurrency(), options.slowClients(),
                    options.burst(), options.burstConnections()));
            b.append(String.format(Locale.ROOT, "%7s %8s %8s %8s %7s %6s %9s %7s %6s %6s %6s %6s %8s %8s%n", "t s",
                    "RSS MB", "heap MB", "commit MB", "threads", "conns", "reserv MB", "req/s", "ok", "503", "4xx",
                    "unexp", "p50 ms", "p99 ms"));
            int every = Math.max(1, samples.size() / 30);
            for (int i = 0; i < samples.size(); i++) {
                if (i % every == 0 || i == samples.size() - 1) {
                    Sample s = samples.get(i);
                    b.append(String.format(Locale.ROOT, "%7.0f %8.0f %8.0f %8.0f %7.0f %6.0f %9.1f %7d %6d %6d %6d %6d"
                                    + " %8.1f %8.1f%n", s.t(), s.rssMb(), s.heapMb(), s.heapCommittedMb(), s.threads(),
                            s.connections(),
                            s.reservedMb(), s.requests(), s.ok(), s.rejected(), s.refused(), s.unexpected(), s.p50(),
                            s.p99()));
                }
            }
            b.append("answers by kind (status: count):\n");
            byKind.forEach((k, v) -> b.append("  ").append(k.name().toLowerCase(Locale.ROOT)).append(' ').append(v)
                    .append('\n'));
            double[] rss = rssWarmAndEnd();
            b.append(String.format(Locale.ROOT, "steady good requests: p50 %.1f ms, p99 %.1f ms%n", steadyP50,
                    steadyP99));
            double[] outside = outsideHeapWarmAndEnd();
            b.append(String.format(Locale.ROOT, "RSS: %.0f MB at baseline, %.0f MB after warm-up, %.0f MB at the end,"
                    + " %.0f MB at most; outside the committed heap %.0f MB after warm-up, %.0f MB at the end%n",
                    baseline.rssMb(), rss[0], rss[1], rssMax(), outside[0], outside[1]));
            b.append(String.format(Locale.ROOT, "slow clients: %d closed by the server (longest %.1f s), %d still open"
                    + " past the deadline%n", slowClosed, slowLongestSeconds, slowSurvived));
            if (burst != null) {
                b.append(LoadTest.table(List.of(burst)));
            }
            b.append(settled == null ? "recovery: no sample\n" : String.format(Locale.ROOT, "recovery: threads %.0f"
                            + " (baseline %.0f), connections %.0f (baseline %.0f), reserved %.0f MB (baseline %.0f),"
                            + " RSS %.0f MB, after %.0f s%n",
                    settled.threads(), baseline.threads(), settled.connections(), baseline.connections(),
                    settled.reservedMb(), baseline.reservedMb(), settled.rssMb(), settleSeconds));
            b.append(String.format(Locale.ROOT, "answers afterwards: %d images checked, %d changed%n", answersChecked,
                    answersChanged.size()));
            answersChanged.forEach(a -> b.append("  ").append(a).append('\n'));
            verdict(b, "no answers other than the intended 4xx and 503", unexpectedCount == 0);
            unexpected.forEach(u -> b.append("  ").append(u).append('\n'));
            verdict(b, "slow clients closed at the read deadline", slowSurvived == 0);
            verdict(b, "RSS flat after warm-up (end <= 110% + 32 MB of warm; or so outside the heap, which the JVM"
                    + " bounds)", rssFlat());
            verdict(b, "burst answered 200 or 503 only", burst == null || burst.errors() == 0);
            verdict(b, "threads, connections and memory reservations back to baseline", recovered());
            verdict(b, "same answers afterwards", answersChecked > 0 && answersChanged.isEmpty());
            b.append(passed() ? "PASS\n" : "FAIL\n");
            return b.toString();
        }

        private static void verdict(StringBuilder b, String what, boolean ok) {
            b.append(ok ? "ok    " : "FAIL  ").append(what).append('\n');
        }

        private static double median(List<Sample> s, java.util.function.ToDoubleFunction<Sample> value) {
            double[] v = s.stream().mapToDouble(value).filter(x -> !Double.isNaN(x)).sorted().toArray();
            return v.length == 0 ? Double.NaN : v[v.length / 2];
        }
    }

    private final String baseUrl;
    private final URI detect;
    private final URI metrics;
    private final List<Path> goodFiles;
    private final Map<Kind, List<byte[]>> requests = new EnumMap<>(Kind.class);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public Soak(String baseUrl, List<Path> imageFiles) throws IOException {
        this.baseUrl = baseUrl;
        this.detect = LoadTest.local(baseUrl, "/v1/detect");
        this.metrics = LoadTest.local(baseUrl, "/metrics");
        this.goodFiles = List.copyOf(imageFiles);
        if (goodFiles.isEmpty()) {
            throw new IllegalArgumentException("no images to send");
        }
        List<byte[]> images = new ArrayList<>();
        for (Path p : goodFiles) {
            images.add(Files.readAllBytes(p));
        }
        byte[] first = images.get(0);
        byte[] jpeg = images.stream().filter(Soak::isJpeg).findFirst().orElse(null);
        for (Kind k : Kind.values()) {
            requests.put(k, new ArrayList<>());
        }
        images.forEach(i -> requests.get(Kind.GOOD).add(post("application/octet-stream", i)));
        requests.get(Kind.TRUNCATED).add(post("application/octet-stream", Arrays.copyOf(first, first.length / 2)));
        byte[] garbage = new byte[4096];
        new java.util.Random(16).nextBytes(garbage);
        requests.get(Kind.GARBAGE).add(post("image/jpeg", garbage));
        if (jpeg != null) { // a real photo's frame header rewritten: the scan data ends long before the pixels do
            requests.get(Kind.CLAIMS_9000).add(post("image/jpeg", claiming(jpeg, 9000, 9000)));
            requests.get(Kind.CLAIMS_4000).add(post("image/jpeg", claiming(jpeg, 4000, 3000)));
        }
        requests.get(Kind.WRONG_METHOD).add(head("GET", "", 0).getBytes(StandardCharsets.US_ASCII));
        requests.get(Kind.BAD_JSON).add(post("application/json", "{\"image\": oops".getBytes(StandardCharsets.US_ASCII)));
        requests.get(Kind.HUGE_LENGTH).add((head("POST", "image/jpeg", 10L << 30) + "abc")
                .getBytes(StandardCharsets.US_ASCII));
    }

    private String head(String method, String contentType, long length) {
        return method + " " + detect.getRawPath() + " HTTP/1.1\r\nHost: " + detect.getHost() + ":"
                + LoadTest.port(detect) + "\r\n" + (contentType.isEmpty() ? "" : "Content-Type: " + contentType
                + "\r\n") + "Content-Length: " + length + "\r\n\r\n";
    }

    private byte[] post(String contentType, byte[] body) {
        byte[] h = head("POST", contentType, body.length).getBytes(StandardCharsets.US_ASCII);
        byte[] r = Arrays.copyOf(h, h.length + body.length);
        System.arraycopy(body, 0, r, h.length, body.length);
        return r;
    }

    private static boolean isJpeg(byte[] b) {
        return b.length > 3 && (b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xD8 && (b[2] & 0xFF) == 0xFF;
    }

    /**
     * The JPEG with its frame header (SOF0-SOF2) claiming width x height, padded with comment segments to the
     * smallest size a complete file of that size could have (one bit per 8x8 block), so that it is not refused as
     * truncated from its header but admitted by its claimed size; unchanged when it has no frame header.
     */
    static byte[] claiming(byte[] jpeg, int width, int height) {
        long least = ImageHeader.smallestFile(ImageFormat.JPEG, width, height);
        java.io.ByteArrayOutputStream padded = new java.io.ByteArrayOutputStream();
        padded.write(jpeg, 0, 2); // SOI
        for (long size = jpeg.length; size < least; size += 65_537) {
            padded.writeBytes(new byte[]{(byte) 0xFF, (byte) 0xFE, (byte) 0xFF, (byte) 0xFF}); // COM, 65,533 bytes
            padded.writeBytes(new byte[65_533]);
        }
        padded.write(jpeg, 2, jpeg.length - 2);
        byte[] b = padded.toByteArray();
        for (int p = 2; p + 9 < b.length && (b[p] & 0xFF) == 0xFF; ) {
            int marker = b[p + 1] & 0xFF;
            if (marker >= 0xC0 && marker <= 0xC2) {
                b[p + 5] = (byte) (height >> 8);
                b[p + 6] = (byte) height;
                b[p + 7] = (byte) (width >> 8);
                b[p + 8] = (byte) width;
                break;
            }
            p += 2 + (((b[p + 2] & 0xFF) << 8) | (b[p + 3] & 0xFF));
        }
        return b;
    }

    /** The outcomes of one second, swapped out by the sampler. */
    private static final class Window {
        final AtomicInteger requests = new AtomicInteger();
        final AtomicInteger ok = new AtomicInteger();
        final AtomicInteger rejected = new AtomicInteger();
        final AtomicInteger refused = new AtomicInteger();
        final AtomicInteger unexpected = new AtomicInteger();
        final ConcurrentLinkedQueue<Long> okNanos = new ConcurrentLinkedQueue<>();
    }

    /** Runs the soak, printing a line every 10 s and each phase to {@code progress}. */
    public Report run(Options o, java.io.PrintStream progress) throws Exception {
        progress.println("soak: reference answers");
        Map<String, String> reference = answers();
        Sample baseline = sample(0, new Window());
        AtomicReference<Window> window = new AtomicReference<>(new Window());
        Map<Kind, Map<Integer, AtomicInteger>> byKind = new ConcurrentHashMap<>();
        ConcurrentLinkedQueue<String> unexpected = new ConcurrentLinkedQueue<>();
        AtomicInteger unexpectedCount = new AtomicInteger();
        ConcurrentLinkedQueue<Long> allOkNanos = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Double> slowClosed = new ConcurrentLinkedQueue<>();
        AtomicInteger slowSurvived = new AtomicInteger();
        List<Sample> samples = java.util.Collections.synchronizedList(new ArrayList<>());

        long start = System.nanoTime();
        long end = start + (long) (o.seconds() * 1e9);
        ExecutorService clients = Executors.newFixedThreadPool(o.concurrency() + o.slowClients());
        List<Future<?>> running = new ArrayList<>();
        AtomicInteger next = new AtomicInteger();
        for (int c = 0; c < o.concurrency(); c++) {
            running.add(clients.submit(() -> {
                LoadTest.Connection connection = null;
                while (System.nanoTime() < end) {
                    Kind kind = MIX.get(Math.floorMod(next.getAndIncrement(), MIX.size()));
                    List<byte[]> choices = requests.get(kind);
                    if (choices.isEmpty()) {
                        kind = Kind.GOOD;
                        choices = requests.get(kind);
                    }
                    byte[] request = choices.get(Math.floorMod(next.get(), choices.size()));
                    long t = System.nanoTime();
                    int status;
                    try {
                        if (connection == null || connection.closed) {
                            connection = new LoadTest.Connection(detect);
                        }
                        status = connection.exchange(request);
                    } catch (IOException | RuntimeException e) {
                        status = -1;
                        if (connection != null) {
                            connection.close();
                        }
                    }
                    long nanos = System.nanoTime() - t;
                    Window w = window.get();
                    w.requests.incrementAndGet();
                    byKind.computeIfAbsent(kind, k -> new ConcurrentHashMap<>())
                            .computeIfAbsent(status, s -> new AtomicInteger()).incrementAndGet();
                    if (!kind.expected.contains(status)) {
                        w.unexpected.incrementAndGet();
                        if (unexpectedCount.incrementAndGet() <= 10) {
                            unexpected.add(String.format(Locale.ROOT, "%.1f s: %s answered %d",
                                    (t - start) / 1e9, kind, status));
                        }
                    } else if (status == 200) {
                        w.ok.incrementAndGet();
                        w.okNanos.add(nanos);
                        allOkNanos.add(nanos);
                    } else if (status == 503) {
                        w.rejected.incrementAndGet();
                    } else {
                        w.refused.incrementAndGet();
                    }
                }
                if (connection != null) {
                    connection.close();
                }
                return null;
            }));
        }
        for (int c = 0; c < o.slowClients(); c++) {
            boolean inBody = c % 2 == 1;
            running.add(clients.submit(() -> {
                while (System.nanoTime() < end) {
                    double lasted = trickle(inBody, end, o.readTimeoutMillis());
                    if (lasted < 0) {
                        break; // the run ended first
                    }
                    if (lasted > o.readTimeoutMillis() / 1000.0 + 10) {
                        slowSurvived.incrementAndGet();
                    } else {
                        slowClosed.add(lasted);
                    }
                }
                return null;
            }));
        }
        progress.printf(Locale.ROOT, "soak: %.0f s of steady traffic%n", o.seconds());
        for (int second = 1; System.nanoTime() < end; second++) {
            sleepUntil(start + second * 1_000_000_000L);
            Sample s = sample((System.nanoTime() - start) / 1e9, window.getAndSet(new Window()));
            samples.add(s);
            if (second % 10 == 0) {
                progress.printf(Locale.ROOT, "  %.0f s: RSS %.0f MB, threads %.0f, connections %.0f, reserved %.0f MB,"
                                + " %d requests, %d unexpected%n", s.t(), s.rssMb(), s.threads(), s.connections(),
                        s.reservedMb(), s.requests(), unexpectedCount.get());
            }
        }
        progress.println("soak: waiting for the clients' last requests");
        for (Future<?> f : running) {
            f.get();
        }
        clients.shutdownNow();

        LoadTest.Level burst = null;
        if (o.burst() > 0) {
            ExecutorService sampler = Executors.newSingleThreadExecutor();
            try {
                Future<?> sampling = sampler.submit(() -> { // the burst's seconds are sampled too
                    while (!Thread.currentThread().isInterrupted()) {
                        long t = System.nanoTime();
                        samples.add(sample((t - start) / 1e9, window.getAndSet(new Window())));
                        sleepUntil(t + 1_000_000_000L);
                    }
                    return null;
                });
                progress.printf(Locale.ROOT, "soak: burst of %d requests over %d connections%n", o.burst(),
                        o.burstConnections());
                burst = new LoadTest(baseUrl, goodFiles).burst(o.burst(), o.burstConnections(), BURST_SECONDS);
                sampling.cancel(true);
            } finally {
                sampler.shutdownNow();
                sampler.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
            }
        }

        progress.println("soak: waiting for threads and connections to settle");
        long settleStart = System.nanoTime();
        Sample settled = null;
        while (System.nanoTime() - settleStart < o.settleSeconds() * 1e9) {
            settled = sample((System.nanoTime() - start) / 1e9, new Window());
            if (recovered(baseline, settled)) {
                break;
            }
            Thread.sleep(1_000);
        }
        double settleSeconds = (System.nanoTime() - settleStart) / 1e9;

        progress.println("soak: answers afterwards");
        Map<String, String> after = answers();
        List<String> changed = new ArrayList<>();
        reference.forEach((image, answer) -> {
            if (!answer.equals(after.get(image))) {
                changed.add(image + ": " + answer + " before, " + after.get(image) + " after");
            }
        });

        long[] ok = allOkNanos.stream().mapToLong(Long::longValue).sorted().toArray();
        Map<Kind, Map<Integer, Integer>> counts = new TreeMap<>();
        byKind.forEach((k, v) -> {
            Map<Integer, Integer> m = new TreeMap<>();
            v.forEach((s, n) -> m.put(s, n.get()));
            counts.put(k, m);
        });
        return new Report(o, List.copyOf(samples), counts, List.copyOf(unexpected), unexpectedCount.get(),
                percentile(ok, 50), percentile(ok, 99), slowClosed.size(),
                slowClosed.stream().mapToDouble(Double::doubleValue).max().orElse(0), slowSurvived.get(), burst,
                baseline, settled, settleSeconds, reference.size(), changed);
    }

    /**
     * One trickling connection: request line and headers (or, in the body, headers then the body) one byte a
     * second until the server closes it. The seconds it lasted, or -1 when the run ended first.
     */
    private double trickle(boolean inBody, long end, long readTimeoutMillis) {
        String head = head("POST", "image/jpeg", 100_000);
        long t0 = System.nanoTime();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(detect.getHost(), LoadTest.port(detect)), 5_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            if (inBody) {
                out.write(head.getBytes(StandardCharsets.US_ASCII));
            }
            s.setSoTimeout(1_000);
            long giveUp = t0 + (readTimeoutMillis + 15_000) * 1_000_000L;
            for (int i = 0; System.nanoTime() < giveUp; i++) {
                if (System.nanoTime() > end) {
                    return -1;
                }
                try {
                    out.write(inBody ? 'x' : head.charAt(i % head.length()));
                    out.flush();
                    if (in.read() < 0) {
                        break;
                    }
                } catch (SocketTimeoutException stillOpen) {
                    // a second passed without an answer: send the next byte
                }
            }
        } catch (IOException closed) {
            // closed by the server while writing
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    /** The server's state from /metrics and the window's outcomes; NaN where the scrape failed. */
    private Sample sample(double t, Window w) {
        Map<String, Double> m = new TreeMap<>();
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(5)).GET()
                    .build(), HttpResponse.BodyHandlers.ofString());
            for (String line : r.body().split("\n")) {
                int space = line.lastIndexOf(' ');
                if (!line.startsWith("#") && space > 0 && !line.contains("{")) {
                    m.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
                }
            }
        } catch (IOException | RuntimeException e) {
            // a missed sample
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long[] ok = w.okNanos.stream().mapToLong(Long::longValue).sorted().toArray();
        return new Sample(t, m.getOrDefault("dfd_resident_memory_bytes", Double.NaN) / 1048576,
                m.getOrDefault("dfd_heap_used_bytes", Double.NaN) / 1048576,
                m.getOrDefault("dfd_heap_committed_bytes", Double.NaN) / 1048576, m.getOrDefault("dfd_threads", Double.NaN),
                m.getOrDefault("dfd_open_connections", Double.NaN),
                m.getOrDefault("dfd_memory_reserved_bytes", Double.NaN) / 1048576, w.requests.get(), w.ok.get(),
                w.rejected.get(), w.refused.get(), w.unexpected.get(), percentile(ok, 50), percentile(ok, 99));
    }

    /** Each good image's label and score, one request at a time. */
    private Map<String, String> answers() throws IOException, InterruptedException {
        Map<String, String> out = new TreeMap<>();
        for (Path p : goodFiles.subList(0, Math.min(20, goodFiles.size()))) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(detect).timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/octet-stream")
                    .POST(HttpRequest.BodyPublishers.ofFile(p)).build(), HttpResponse.BodyHandlers.ofString());
            JsonNode json = Json.MAPPER.readTree(r.body());
            out.put(p.getFileName().toString(), r.statusCode() + " " + json.path("label").asText()
                    + String.format(Locale.ROOT, " %.5f", json.path("score").asDouble()));
        }
        return out;
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long left = nanoTime - System.nanoTime();
        if (left > 0) {
            Thread.sleep(left / 1_000_000, (int) (left % 1_000_000));
        }
    }

    private static double percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
    }
}
