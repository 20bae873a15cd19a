package dev.dfd.cli;

import dev.dfd.DfdException;
import dev.dfd.internal.io.ImageFormat;
import dev.dfd.server.LoadTest;
import dev.dfd.server.Soak;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

@Command(name = "loadtest", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        usageHelpAutoWidth = true,
        description = {"Measure a running dfd server on this machine: closed-loop clients at each concurrency level for"
                + " a fixed time (throughput, p50/p95/p99 latency), then a burst far above capacity (served vs"
                + " rejected). Targets loopback only.",
                "With --soak: steady mixed traffic (good, truncated and garbage images, headers claiming huge images,"
                        + " wrong methods, bad JSON, bodies declared far over the limit, clients trickling a byte a"
                        + " second) with the server's RSS, heap, threads, connections and latency sampled every"
                        + " second, then the burst, then recovery and the same answers checked; exit 1 unless all"
                        + " pass."})
final class LoadTestCommand implements Callable<Integer> {
    @Option(names = "--url", defaultValue = "http://127.0.0.1:8080", description = "Default: ${DEFAULT-VALUE}.")
    String url;

    @Option(names = "--concurrency", defaultValue = "1,8,64", description = "Default: ${DEFAULT-VALUE}.")
    String concurrency;

    @Option(names = "--seconds", defaultValue = "15", description = "Per level. Default: ${DEFAULT-VALUE}.")
    double seconds;

    @Option(names = "--burst", defaultValue = "2000", description = "Requests fired at once (0: none). Default: ${DEFAULT-VALUE}.")
    int burst;

    @Option(names = "--burst-connections", defaultValue = "256", description = "Default: ${DEFAULT-VALUE}.")
    int burstConnections;

    @Option(names = "--soak", paramLabel = "DURATION",
            description = "Run the soak for this long instead of the levels, e.g. 120s or 10m.")
    String soak;

    @Option(names = "--soak-clients", defaultValue = "8", description = "Closed-loop clients in the soak. Default: ${DEFAULT-VALUE}.")
    int soakClients;

    @Option(names = "--slow-clients", defaultValue = "4",
            description = "Connections trickling a byte a second during the soak. Default: ${DEFAULT-VALUE}.")
    int slowClients;

    @Option(names = "--read-timeout", defaultValue = "30", paramLabel = "SECONDS",
            description = "The server's --read-timeout, which slow clients must be closed within. Default: ${DEFAULT-VALUE}.")
    double readTimeout;

    @Option(names = "--settle", defaultValue = "90", paramLabel = "SECONDS",
            description = "Longest wait after the burst for threads and connections to return to their baseline."
                    + " Default: ${DEFAULT-VALUE}.")
    double settle;

    @Option(names = "--csv", paramLabel = "FILE", description = "Write the soak's per-second samples here.")
    Path csv;

    @Parameters(paramLabel = "IMAGES", arity = "1..*", description = "Image files or directories to send.")
    List<Path> inputs;

    @Override
    public Integer call() throws Exception {
        List<Path> files = new ArrayList<>();
        for (Path p : inputs) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> w = Files.walk(p)) {
                    w.filter(Files::isRegularFile).filter(ImageFormat::isImageFileName).sorted().limit(1000).forEach(files::add);
                } catch (IOException | UncheckedIOException e) {
                    throw new DfdException(p + ": cannot list (" + e.getMessage() + ")");
                }
            } else {
                files.add(p);
            }
        }
        if (soak != null) {
            return soak(files);
        }
        LoadTest test;
        try {
            test = new LoadTest(url, files);
        } catch (IllegalArgumentException e) {
            throw new DfdException(e.getMessage());
        }
        List<LoadTest.Level> levels = new ArrayList<>();
        for (int c : parseLevels()) {
            levels.add(test.closedLoop(c, seconds));
            System.err.print(LoadTest.table(List.of(levels.get(levels.size() - 1))));
        }
        if (burst > 0) {
            levels.add(test.burst(burst, burstConnections));
        }
        System.out.print(LoadTest.table(levels));
        return Main.OK;
    }

    private int soak(List<Path> files) throws Exception {
        Soak.Report report;
        try {
            report = new Soak(url, files).run(new Soak.Options(seconds(soak), soakClients, slowClients,
                    Math.round(readTimeout * 1000), burst, burstConnections, settle), System.err);
        } catch (IllegalArgumentException e) {
            throw new DfdException(e.getMessage());
        }
        System.out.print(report.text());
        if (csv != null) {
            StringBuilder b = new StringBuilder("t_s,rss_mb,heap_mb,heap_committed_mb,threads,connections,reserved_mb,"
                    + "requests,ok,rejected,refused,unexpected,p50_ms,p99_ms\n");
            for (Soak.Sample x : report.samples()) {
                b.append(String.format(java.util.Locale.ROOT,
                        "%.1f,%.1f,%.1f,%.1f,%.0f,%.0f,%.1f,%d,%d,%d,%d,%d,%.1f,%.1f%n", x.t(), x.rssMb(), x.heapMb(),
                        x.heapCommittedMb(), x.threads(), x.connections(), x.reservedMb(), x.requests(),
                        x.ok(), x.rejected(), x.refused(), x.unexpected(), x.p50(), x.p99()));
            }
            Files.writeString(csv, b.toString());
        }
        return report.passed() ? Main.OK : Main.SOME_FAILED;
    }

    /** "120", "120s", "10m" or "1h" in seconds. */
    static double seconds(String duration) {
        String d = duration.trim().toLowerCase(java.util.Locale.ROOT);
        double unit = d.endsWith("h") ? 3600 : d.endsWith("m") ? 60 : 1;
        try {
            double n = Double.parseDouble(d.replaceAll("[smh]$", ""));
            if (n <= 0) {
                throw new NumberFormatException();
            }
            return n * unit;
        } catch (NumberFormatException e) {
            throw new DfdException("--soak takes a duration like 120s or 10m, found " + duration);
        }
    }

    private List<Integer> parseLevels() {
        List<Integer> out = new ArrayList<>();
        for (String s : concurrency.split(",")) {
            try {
                int c = Integer.parseInt(s.trim());
                if (c < 1 || c > 1024) {
                    throw new NumberFormatException();
                }
                out.add(c);
            } catch (NumberFormatException e) {
                throw new DfdException("--concurrency takes numbers 1..1024, found " + s);
            }
        }
        return out;
    }
}
