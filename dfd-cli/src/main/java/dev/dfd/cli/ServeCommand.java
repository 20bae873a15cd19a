package dev.dfd.cli;

import dev.dfd.DecodeLimits;
import dev.dfd.Detector;
import dev.dfd.DetectorOptions;
import dev.dfd.DfdException;
import dev.dfd.server.DfdServer;
import dev.dfd.server.ServerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = {"Serve the detector over HTTP: POST /v1/detect, /v1/detect/batch, GET /v1/models, /healthz,"
                + " /readyz, /metrics (Prometheus), /openapi.json, /docs, and a web page at /.",
                "Binds 127.0.0.1 unless --host says otherwise. SIGTERM or Ctrl-C: stop accepting, finish in-flight"
                        + " requests, exit."})
final class ServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model;

    @Mixin
    DecisionOptions decision;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind. Default: ${DEFAULT-VALUE}.")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--api-key-file", paramLabel = "FILE",
            description = "Require this key (file content, trimmed) as Authorization: Bearer or X-API-Key on /v1/*.")
    Path apiKeyFile;

    @Option(names = "--max-batch", defaultValue = "8", description = "Images per inference call. Default: ${DEFAULT-VALUE}.")
    int maxBatch;

    @Option(names = "--max-wait-ms", defaultValue = "5", description = "How long a batch waits to fill. Default: ${DEFAULT-VALUE}.")
    long maxWait;

    @Option(names = "--queue", defaultValue = "64", description = "Images waiting for inference before 503."
            + " Default: ${DEFAULT-VALUE}.")
    int queue;

    @Option(names = "--max-body-mb", defaultValue = "20", description = "Largest request body (413 above). Default: ${DEFAULT-VALUE}.")
    long maxBodyMb;

    @Option(names = "--max-pixels", defaultValue = "90000000", description = "Largest image (422 above). Default: ${DEFAULT-VALUE}.")
    long maxPixels;

    @Option(names = "--allow-url-fetch", description = "Accept {\"url\": ...} (public addresses only, 3 redirects at most).")
    boolean allowUrlFetch;

    @Option(names = "--max-memory", defaultValue = "auto", paramLabel = "SIZE",
            description = "Memory for request bodies, decoding and queued model inputs, e.g. 512m or 2g; a request"
                    + " that would not fit beside the others gets 503, an image that never fits 422. auto: half the"
                    + " maximum heap. Default: ${DEFAULT-VALUE}.")
    String maxMemory;

    @Option(names = "--read-timeout", defaultValue = "30", paramLabel = "SECONDS",
            description = "Time a request has to arrive whole, headers and body, from its first byte; slower"
                    + " connections are closed. Default: ${DEFAULT-VALUE}.")
    double readTimeout;

    @Option(names = "--max-connections", defaultValue = "512",
            description = "Open connections at most; more wait to be accepted. Default: ${DEFAULT-VALUE}.")
    int maxConnections;

    @Option(names = "--top-k", defaultValue = "5", description = "Default predictions per image. Default: ${DEFAULT-VALUE}.")
    int topK;

    @Override
    public Integer call() throws InterruptedException {
        String key = null;
        if (apiKeyFile != null) {
            try {
                key = Files.readString(apiKeyFile, StandardCharsets.UTF_8).trim();
            } catch (IOException e) {
                throw new DfdException(apiKeyFile + ": cannot read the API key (" + e.getMessage() + ")");
            }
        }
        long maxBody = maxBodyMb << 20;
        ServerConfig config;
        try {
            config = new ServerConfig(host, port, key, maxBatch, maxWait, queue, maxBody, 32, allowUrlFetch, 30_000,
                    30_000, parseSize(maxMemory), Math.round(readTimeout * 1000), maxConnections);
        } catch (IllegalArgumentException e) {
            throw new DfdException(e.getMessage());
        }
        // a server's job size is unbounded: the run policy prepacks and runs its workers as batcher threads
        DetectorOptions options = decision.withFaceLimits(model.options(0, 0, 0)).withDecision(decision.decision(topK))
                .withLimits(new DecodeLimits(maxBody, maxPixels));
        Detector detector = Detector.load(model.modelDir(), options);
        DfdServer server;
        try {
            server = new DfdServer(detector, config).start();
        } catch (RuntimeException e) {
            detector.close();
            throw new DfdException("cannot start the server on " + host + ":" + port + " (" + rootMessage(e) + ")");
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("dfd: stopping: finishing in-flight requests");
            server.close();
            detector.close();
            stopped.countDown();
        }, "dfd-shutdown"));
        System.err.printf("dfd: serving %s on http://%s:%d/ (API: /docs); memory budget %d MB of a %d MB heap%n",
                server.modelId(), host, server.port(), server.memoryBudget() >> 20, Runtime.getRuntime().maxMemory() >> 20);
        stopped.await();
        return Main.OK;
    }

    /** "auto" (0: half the heap), or bytes with an optional k, m or g suffix. */
    static long parseSize(String size) {
        String s = size.trim().toLowerCase(java.util.Locale.ROOT);
        if (s.equals("auto")) {
            return 0;
        }
        int shift = switch (s.isEmpty() ? ' ' : s.charAt(s.length() - 1)) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            default -> 0;
        };
        try {
            long n = Long.parseLong(shift == 0 ? s : s.substring(0, s.length() - 1));
            if (n <= 0 || n > (Long.MAX_VALUE >> shift)) {
                throw new NumberFormatException();
            }
            return n << shift;
        } catch (NumberFormatException e) {
            throw new DfdException("--max-memory takes auto or a size like 512m or 2g, found " + size);
        }
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
