package dev.dfd.server;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A load generator for a dfd server (loopback or the project's own test hosts only): for each concurrency level,
 * closed-loop clients POST images to /v1/detect for a fixed time; then a burst far above capacity is fired at once.
 * Reports throughput, p50/p95/p99 latency, and served vs rejected. Every loop is bounded in count and time.
 *
 * <p>The client is a minimal HTTP/1.1 keep-alive client over a blocking socket per connection, with each request's
 * bytes made once: on a small machine the load generator shares the cores with the server, and the JDK's
 * HttpClient spent several times more CPU per request than this does.
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
    private final List<byte[]> requests;
    private final ThreadLocal<Connection> connections = new ThreadLocal<>();
    private final java.util.Queue<Connection> opened = new java.util.concurrent.ConcurrentLinkedQueue<>();

    public LoadTest(String baseUrl, List<Path> imageFiles) throws IOException {
        this.endpoint = local(baseUrl, "/v1/detect");
        this.requests = new ArrayList<>();
        for (Path p : imageFiles) {
            requests.add(request(Files.readAllBytes(p)));
        }
        if (requests.isEmpty()) {
            throw new IllegalArgumentException("no images to send");
        }
    }

    /** {@code path} on the server at {@code baseUrl}, which must be plain HTTP on this machine (loopback). */
    static URI local(String baseUrl, String path) {
        URI uri = URI.create(baseUrl.replaceAll("/+$", "") + path);
        String host = uri.getHost();
        if (!"http".equals(uri.getScheme())) {
            throw new IllegalArgumentException("the load test speaks plain HTTP to a local server, not "
                    + uri.getScheme());
        }
        if (host == null || !host.equals("127.0.0.1") && !host.equals("localhost") && !host.equals("[::1]")
                && !host.equals("::1")) {
            throw new IllegalArgumentException("the load test only targets a server on this machine (loopback), not "
                    + host);
        }
        return uri;
    }

    private byte[] request(byte[] image) {
        String head = "POST " + endpoint.getRawPath() + " HTTP/1.1\r\nHost: " + endpoint.getHost() + ":"
                + port(endpoint) + "\r\nContent-Type: application/octet-stream\r\nContent-Length: " + image.length
                + "\r\n\r\n";
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        byte[] r = new byte[h.length + image.length];
        System.arraycopy(h, 0, r, 0, h.length);
        System.arraycopy(image, 0, r, h.length, image.length);
        return r;
    }

    /** Closed-loop clients for {@code seconds}, after a short warm-up. */
    public Level closedLoop(int concurrency, double seconds) throws Exception {
        run(concurrency, Math.min(2.0, seconds / 4)); // warm-up, not reported
        return run(concurrency, seconds);
    }

    private Level run(int concurrency, double seconds) throws Exception {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        try {
            AtomicInteger next = new AtomicInteger();
            List<Future<List<long[]>>> clients = new ArrayList<>();
            long start = System.nanoTime();
            for (int c = 0; c < concurrency; c++) {
                clients.add(pool.submit(() -> {
                    List<long[]> samples = new ArrayList<>(); // (status, nanos)
                    while (System.nanoTime() < end) {
                        samples.add(send(requests.get(Math.floorMod(next.getAndIncrement(), requests.size()))));
                    }
                    return samples;
                }));
            }
            List<long[]> all = new ArrayList<>();
            for (Future<List<long[]>> f : clients) {
                all.addAll(f.get());
            }
            return summarize("c=" + concurrency, concurrency, all, (System.nanoTime() - start) / 1e9);
        } finally {
            pool.shutdownNow();
            closeConnections();
        }
    }

    /** {@code count} requests at once over {@code connections} connections: how many are served, how many refused. */
    public Level burst(int count, int connections) throws Exception {
        return burst(count, connections, Double.POSITIVE_INFINITY);
    }

    /**
     * As {@link #burst(int, int)}, given up after {@code maxSeconds}: requests not answered by then are counted as
     * errors (a server under overload should refuse, not stall).
     */
    public Level burst(int count, int connections, double maxSeconds) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(connections);
        try {
            List<Future<long[]>> fs = new ArrayList<>();
            long start = System.nanoTime();
            long deadline = Double.isInfinite(maxSeconds) ? Long.MAX_VALUE : start + (long) (maxSeconds * 1e9);
            for (int i = 0; i < count; i++) {
                byte[] req = requests.get(i % requests.size());
                fs.add(pool.submit(() -> send(req)));
            }
            List<long[]> all = new ArrayList<>();
            for (Future<long[]> f : fs) {
                try {
                    all.add(deadline == Long.MAX_VALUE ? f.get()
                            : f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
                } catch (TimeoutException late) {
                    all.add(new long[]{-1, System.nanoTime() - start});
                }
            }
            return summarize("burst " + count, connections, all, (System.nanoTime() - start) / 1e9);
        } finally {
            pool.shutdownNow();
            closeConnections();
        }
    }

    private void closeConnections() {
        for (Connection c; (c = opened.poll()) != null; ) {
            c.close();
        }
    }

    static int port(URI uri) {
        return uri.getPort() < 0 ? 80 : uri.getPort();
    }

    /** One request on this thread's connection (opened on first use, reopened after the server closes it). */
    private long[] send(byte[] request) {
        long t = System.nanoTime();
        Connection c = connections.get();
        try {
            if (c == null || c.closed) {
                c = new Connection(endpoint);
                connections.set(c);
                opened.add(c);
            }
            int status = c.exchange(request);
            return new long[]{status, System.nanoTime() - t};
        } catch (IOException | RuntimeException e) { // including malformed numbers in a response
            if (c != null) {
                c.close();
            }
            return new long[]{-1, System.nanoTime() - t};
        }
    }

    /** A keep-alive HTTP/1.1 connection that sends prepared requests and reads (and discards) the responses. */
    static final class Connection {
        private final Socket socket;
        private final OutputStream out;
        private final InputStream in;
        boolean closed;

        Connection(URI endpoint) throws IOException {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(60_000);
            socket.connect(new InetSocketAddress(endpoint.getHost(), port(endpoint)), 10_000);
            out = socket.getOutputStream();
            in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
        }

        int exchange(byte[] request) throws IOException {
            out.write(request);
            out.flush();
            String statusLine = line();
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
                throw new IOException("bad status line: " + statusLine);
            }
            int status = Integer.parseInt(parts[1]);
            long length = -1;
            boolean chunked = false;
            boolean close = false;
            for (String h = line(); !h.isEmpty(); h = line()) {
                int colon = h.indexOf(':');
                String name = colon < 0 ? h : h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = colon < 0 ? "" : h.substring(colon + 1).trim().toLowerCase(Locale.ROOT);
                switch (name) {
                    case "content-length" -> length = Long.parseLong(value);
                    case "transfer-encoding" -> chunked = value.contains("chunked");
                    case "connection" -> close = value.contains("close");
                    default -> { }
                }
            }
            if (chunked) {
                for (long size = Long.parseLong(line().split(";")[0].trim(), 16); size > 0;
                     size = Long.parseLong(line().split(";")[0].trim(), 16)) {
                    skip(size);
                    line();
                }
                while (!line().isEmpty()) { // trailers
                }
            } else if (length >= 0) {
                skip(length);
            } else {
                close = true; // body until the server closes: nothing more on this connection
            }
            if (close) {
                close();
            }
            return status;
        }

        private String line() throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream(64);
            for (int c = in.read(); c != '\n'; c = in.read()) {
                if (c < 0) {
                    throw new IOException("connection closed");
                }
                if (c != '\r') {
                    b.write(c);
                }
                if (b.size() > 16_384) {
                    throw new IOException("header line too long");
                }
            }
            return b.toString(StandardCharsets.ISO_8859_1);
        }

        private void skip(long n) throws IOException {
            while (n > 0) {
                long k = in.skip(n);
                if (k <= 0) {
                    if (in.read() < 0) {
                        throw new IOException("connection closed");
                    }
                    k = 1;
                }
                n -= k;
            }
        }

        void close() {
            closed = true;
            try {
                socket.close();
            } catch (IOException e) {
                // closing anyway
            }
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
