package dev.dfd.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.Detector;
import dev.dfd.DetectorOptions;
import dev.dfd.DfdException;
import dev.dfd.ImageSource;
import dev.dfd.RgbImage;
import dev.dfd.RunPolicy;
import dev.dfd.internal.Json;
import dev.dfd.internal.io.ImageFormat;
import dev.dfd.internal.model.PixelBatch;
import dev.dfd.internal.preprocess.ImageProcessor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = {"Measure this machine: images/s end to end (files to verdicts) at each batch size, each stage"
                + " alone (decode, resize+normalise, inference on pre-made tensors, postprocess), time to the first"
                + " verdict from a cold JVM, and peak RSS. Warm-up first, then repeated runs: median and spread."})
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model;

    @Parameters(paramLabel = "IMAGES", arity = "1..*", description = "Image files or directories.")
    List<Path> inputs;

    @Option(names = "--batch-sizes", defaultValue = "1,8,32", description = "Default: ${DEFAULT-VALUE}.")
    String batchSizes;

    @Option(names = "--repeats", defaultValue = "5", description = "Measured runs per setting. Default: ${DEFAULT-VALUE}.")
    int repeats;

    @Option(names = "--max-images", defaultValue = "256", description = "Images used. Default: ${DEFAULT-VALUE}.")
    int maxImages;

    @Option(names = "--cold-start", negatable = true, defaultValue = "true",
            description = "Also time the first verdict in a fresh JVM. Default: on.")
    boolean coldStart;

    @Option(names = "--json", description = "Print the results as JSON.")
    boolean json;

    /** Median and spread (min, max) of repeated measurements. */
    record Stat(double median, double min, double max) {
        static Stat of(double[] v) {
            double[] s = v.clone();
            Arrays.sort(s);
            double m = s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
            return new Stat(m, s[0], s[s.length - 1]);
        }

        ObjectNode json() {
            return Json.MAPPER.createObjectNode().put("median", median).put("min", min).put("max", max);
        }

        String text(String unit) {
            return String.format(Locale.ROOT, "%9.1f %s (%.1f-%.1f)", median, unit, min, max);
        }
    }

    @Override
    public Integer call() throws Exception {
        if (repeats < 1 || maxImages < 1) {
            throw new DfdException("--repeats and --max-images must be positive");
        }
        List<Path> files = files();
        List<byte[]> bytes = new ArrayList<>();
        for (Path f : files) {
            bytes.add(Files.readAllBytes(f));
        }
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("images", files.size()).put("cores", Runtime.getRuntime().availableProcessors())
                .put("java", System.getProperty("java.version")).put("dfd_version", dev.dfd.Dfd.version())
                .put("onnxruntime_version", ai.onnxruntime.OrtEnvironment.class.getPackage().getImplementationVersion())
                .put("threads", model.threads);
        // the warm measurements are about steady throughput: an unbounded job, prepacked as a server runs (the
        // cold-start children decide as detect does)
        DetectorOptions base = model.options(0, 0, 0);
        Detector d = Detector.load(model.modelDir(), base);
        RunPolicy policy = d.model().policy();
        int workers = policy.workers();
        out.put("prepack_weights_warm", policy.prepack());
        out.put("inference_workers", workers).put("intra_op_threads", policy.threadsPerWorker());
        ExecutorService callers = Executors.newFixedThreadPool(workers);
        try (d) {
            out.put("model", d.model().files().onnx().toString());
            ImageProcessor processor = new ImageProcessor(d.model().preprocessor());
            // stages, one image at a time (decode and preprocess are per image; inference below per batch)
            List<RgbImage> decoded = new ArrayList<>();
            Stat decode = perImage(repeats, files.size(), () -> {
                decoded.clear();
                for (byte[] b : bytes) {
                    decoded.add(d.decode(b));
                }
            });
            List<float[]> pixels = new ArrayList<>();
            Stat preprocess = perImage(repeats, files.size(), () -> {
                pixels.clear();
                for (RgbImage img : decoded) {
                    pixels.add(processor.process(img));
                }
            });
            int[] hw = d.model().preprocessor().outputSize(decoded.get(0).width(), decoded.get(0).height());
            int plane = 3 * hw[0] * hw[1];
            ArrayNode perBatch = out.putArray("batch_sizes");
            StringBuilder text = new StringBuilder();
            text.append(String.format(Locale.ROOT, "dfd bench: %d images, %s, %d cores, %s%n", files.size(),
                    d.model().files().onnx(), Runtime.getRuntime().availableProcessors(), policy));
            text.append(String.format(Locale.ROOT, "  decode             %s%n", decode.text("images/s")));
            text.append(String.format(Locale.ROOT, "  resize+normalise   %s%n", preprocess.text("images/s")));
            for (String bsText : batchSizes.split(",")) {
                int bs = Integer.parseInt(bsText.trim());
                float[] batch = new float[bs * plane];
                for (int i = 0; i < bs; i++) {
                    System.arraycopy(pixels.get(i % pixels.size()), 0, batch, i * plane, plane);
                }
                PixelBatch pb = new PixelBatch(batch, bs, 3, hw[0], hw[1]);
                // as many concurrent callers as detectAll has inference workers, so that the ratio compares like
                // with like
                int callsEach = Math.max(1, files.size() / bs / workers);
                float[][][] logits = new float[1][][];
                Stat inference = perImage(repeats, callsEach * workers * bs, () -> {
                    List<java.util.concurrent.Future<?>> running = new ArrayList<>();
                    for (int w = 0; w < workers; w++) {
                        running.add(callers.submit(() -> {
                            for (int c = 0; c < callsEach; c++) {
                                logits[0] = d.runModel(pb);
                            }
                        }));
                    }
                    for (java.util.concurrent.Future<?> f : running) {
                        try {
                            f.get();
                        } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
                            throw new DfdException("inference failed: " + e);
                        }
                    }
                });
                Stat postprocess = perImage(repeats, logits[0].length * 1000, () -> {
                    for (int k = 0; k < 1000; k++) {
                        for (float[] l : logits[0]) {
                            d.postprocess(l, null);
                        }
                    }
                });
                Stat endToEnd;
                try (Detector e2e = Detector.load(model.modelDir(), base.withBatchSize(bs))) {
                    endToEnd = perImage(repeats, files.size(), () -> e2e.detectAll(files.stream()
                            .map(ImageSource::of).iterator(), r -> { }));
                }
                perBatch.addObject().put("batch_size", bs).set("end_to_end_images_per_second", endToEnd.json());
                ObjectNode last = (ObjectNode) perBatch.get(perBatch.size() - 1);
                last.set("inference_images_per_second", inference.json());
                last.set("postprocess_images_per_second", postprocess.json());
                last.put("end_to_end_over_inference", endToEnd.median() / inference.median());
                text.append(String.format(Locale.ROOT, "  batch %-3d end to end %s   inference on tensors %s   (%.2f)%n",
                        bs, endToEnd.text("images/s"), inference.text("images/s"),
                        endToEnd.median() / inference.median()));
                text.append(String.format(Locale.ROOT, "            postprocess %s%n", postprocess.text("images/s")));
            }
            out.set("decode_images_per_second", decode.json());
            out.set("preprocess_images_per_second", preprocess.json());
            if (coldStart) {
                double[] firsts = new double[Math.min(3, repeats)];
                for (int i = 0; i < firsts.length; i++) {
                    firsts[i] = child(List.of(files.get(0)))[0];
                }
                Stat first = Stat.of(firsts);
                out.put("cold_start_first_verdict_seconds", first.median());
                out.set("cold_start_first_verdict", first.json());
                text.append(String.format(Locale.ROOT, "  first verdict from a cold JVM: %s%n", first.text("s")));
                double[] all = child(files);
                out.put("detect_all_seconds", all[0]);
                out.put("detect_all_peak_rss_mb", all[1] / 1024.0);
                text.append(String.format(Locale.ROOT, "  dfd detect on all %d images in a fresh JVM: %.2f s, peak RSS"
                        + " %.0f MB%n", files.size(), all[0], all[1] / 1024.0));
            }
            long rss = peakRssKb();
            out.put("peak_rss_mb", rss / 1024.0);
            text.append(String.format(Locale.ROOT, "  peak RSS of this bench process (several sessions): %.0f MB%n",
                    rss / 1024.0));
            PrintWriter pw = spec.commandLine().getOut();
            pw.print(json ? Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(out) + "\n" : text);
            pw.flush();
        } finally {
            callers.shutdownNow();
        }
        return Main.OK;
    }

    /** Items per second of {@code task}, after one warm-up run. */
    private static Stat perImage(int repeats, int items, Runnable task) {
        task.run(); // warm-up: JIT, ORT arena, caches
        double[] rates = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            long t = System.nanoTime();
            task.run();
            rates[i] = items / ((System.nanoTime() - t) / 1e9);
        }
        return Stat.of(rates);
    }

    /**
     * `dfd detect` on {@code images} in a fresh JVM with this JVM's class path and heap setting.
     *
     * @return wall seconds from process start to exit, and the child's peak RSS in kB
     */
    private double[] child(List<Path> images) throws IOException, InterruptedException {
        Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = new ArrayList<>(List.of(javaBin.toString(), "-Dai.djl.offline=true",
                "-Ddfd.report.peak.rss=true", "-Ddfd.home=" + dev.dfd.Dfd.home()));
        // heap, GC and dfd's own settings (ONNX Runtime knobs) carry over; a flight recording does not
        java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("-Xmx") || a.startsWith("-Xms") || a.startsWith("-Xss")
                        || a.startsWith("-Ddfd.") || a.startsWith("--enable-native-access") || a.startsWith("-Xlog:cds")
                        || a.startsWith("-Donnxruntime.native.path=")
                        || (a.startsWith("-XX:") && !a.contains("FlightRecord")))
                .filter(a -> !a.startsWith("-Ddfd.report.peak.rss"))
                .forEach(cmd::add);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "detect", "--format",
                "csv"));
        images.forEach(i -> cmd.add(i.toString()));
        if (model.model != null) {
            cmd.addAll(List.of("--model", model.model.toString()));
        }
        if (model.variant != null) {
            cmd.addAll(List.of("--variant", model.variant));
        }
        if (model.threads != 0) {
            cmd.addAll(List.of("--threads", Integer.toString(model.threads)));
        }
        if (model.workers != 0) {
            cmd.addAll(List.of("--workers", Integer.toString(model.workers)));
        }
        cmd.addAll(List.of("--prepack", model.prepack)); // auto decides there as it does for a user's detect
        long t = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String err = new String(p.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new DfdException("the fresh-JVM detect run failed (exit " + p.exitValue() + "): " + err.trim());
        }
        double seconds = (System.nanoTime() - t) / 1e9;
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("peak RSS kB (\\d+)").matcher(err);
        return new double[]{seconds, m.find() ? Double.parseDouble(m.group(1)) : 0};
    }

    /** VmHWM from /proc/self/status (Linux), in kB; 0 elsewhere. */
    static long peakRssKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }

    private List<Path> files() {
        List<Path> files = new ArrayList<>();
        for (Path p : inputs) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> w = Files.walk(p)) {
                    w.filter(Files::isRegularFile).filter(ImageFormat::isImageFileName).sorted().forEach(files::add);
                } catch (IOException | UncheckedIOException e) {
                    throw new DfdException(p + ": cannot list (" + e.getMessage() + ")");
                }
            } else {
                files.add(p);
            }
        }
        if (files.isEmpty()) {
            throw new DfdException("no images to benchmark");
        }
        return files.subList(0, Math.min(files.size(), maxImages));
    }
}
