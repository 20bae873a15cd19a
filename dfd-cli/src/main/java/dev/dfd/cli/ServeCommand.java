package dev.dfd.cli;

import dev.dfd.Detector;
import dev.dfd.DetectorOptions;
import dev.dfd.DfdException;
import dev.dfd.io.DecodeLimits;
import dev.dfd.server.DfdServer;
import dev.dfd.server.ServerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

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
                    30_000);
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
        System.err.printf("dfd: serving %s on http://%s:%d/ (API: /docs)%n", server.modelId(), host, server.port());
        stopped.await();
        return Main.OK;
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
