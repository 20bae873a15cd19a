package dev.dfd.cli;

import dev.dfd.DfdException;
import dev.dfd.io.ImageFormat;
import dev.dfd.server.LoadTest;
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
                + " rejected). Targets loopback only."})
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
