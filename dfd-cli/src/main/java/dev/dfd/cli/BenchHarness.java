package dev.dfd.cli;

import dev.dfd.Decision;
import dev.dfd.Detector;
import dev.dfd.DetectorOptions;
import dev.dfd.DfdException;
import dev.dfd.Face;
import dev.dfd.ImageSource;
import dev.dfd.RgbImage;
import dev.dfd.internal.face.FaceCrop;
import dev.dfd.internal.face.FaceDetector;
import dev.dfd.internal.model.PixelBatch;
import dev.dfd.internal.preprocess.ImageProcessor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code dfd bench} measures, apart from how it is printed: each stage of the data path alone (decode,
 * resize+normalise, inference on ready tensors, postprocess), files to verdicts end to end at each batch size, and
 * {@code dfd detect} in a fresh JVM (time to the first verdict, peak RSS). Every figure is a rate over repeated runs
 * after one warm-up run, as a median and its spread.
 */
final class BenchHarness {
    private static final Pattern PEAK_RSS = Pattern.compile("peak RSS kB (\\d+)");

    private BenchHarness() {
    }

    /** Median and spread (min, max) of repeated measurements. */
    record Stat(double median, double min, double max) {
        static Stat of(double[] v) {
            if (v.length == 0) {
                throw new IllegalArgumentException("no measurements");
            }
            double[] s = v.clone();
            Arrays.sort(s);
            double m = s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
            return new Stat(m, s[0], s[s.length - 1]);
        }

        String text(String unit) {
            return String.format(Locale.ROOT, "%9.1f %s (%.1f-%.1f)", median, unit, min, max);
        }
    }

    /** One batch size's rates, images/s. */
    record BatchRow(int batchSize, Stat endToEnd, Stat inference, Stat postprocess) {
        double endToEndOverInference() {
            return endToEnd.median() / inference.median();
        }
    }

    /** The warm, in-process measurements. */
    /**
     * The in-process measurements. With faces on, {@code findFaces} is the face detector over each decoded image
     * and {@code preprocess} cuts and resizes every face found (images/s either way); otherwise findFaces is null and
     * preprocess resizes the whole image.
     */
    record Stages(Stat decode, Stat findFaces, double facesPerImage, Stat preprocess, List<BatchRow> batches) {
    }

    /** A fresh-JVM {@code dfd detect}: wall seconds from process start to exit, and its peak RSS (0 if unknown). */
    record ColdRun(double seconds, long peakRssKb) {
    }

    /** Items per second of {@code task}: one warm-up run (JIT, ONNX Runtime's arena, caches), then {@code repeats}. */
    static Stat rate(int repeats, int items, Runnable task) {
        task.run();
        double[] rates = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            long t = System.nanoTime();
            task.run();
            rates[i] = items / ((System.nanoTime() - t) / 1e9);
        }
        return Stat.of(rates);
    }

    /**
     * Measures the stages over {@code files} with {@code detector}, and end to end with a detector loaded from the
     * same directory with {@code base} options at each batch size.
     *
     * @param progress called with each batch size as its measurement starts
     */
    static Stages stages(Detector detector, Path modelDir, DetectorOptions base, List<Path> files, int[] batchSizes,
                         int repeats, IntConsumer progress) throws IOException {
        List<byte[]> bytes = new ArrayList<>();
        for (Path f : files) {
            bytes.add(Files.readAllBytes(f));
        }
        ImageProcessor processor = new ImageProcessor(detector.model().preprocessor());
        List<RgbImage> decoded = new ArrayList<>();
        Stat decode = rate(repeats, files.size(), () -> {
            decoded.clear();
            for (byte[] b : bytes) {
                decoded.add(detector.decode(b));
            }
        });
        List<float[]> pixels = new ArrayList<>(); // each (3, H, W) float32
        Stat findFaces = null;
        Stat preprocess;
        RgbImage first; // what the model's input is made from: the first image, or its first face's crop
        double facesPerImage = 0;
        if (detector.defaultDecision().faces() == Decision.Faces.ON) {
            FaceCrop crop = detector.model().faceCrop() != null ? detector.model().faceCrop() : FaceCrop.DFDC;
            List<List<Face>> found = new ArrayList<>();
            try (FaceDetector faces = new FaceDetector(crop.detectorOptions(base.maxFaces(), base.minFaceSize()))) {
                findFaces = rate(repeats, files.size(), () -> {
                    found.clear();
                    for (RgbImage img : decoded) {
                        found.add(faces.detect(img));
                    }
                });
            }
            int total = found.stream().mapToInt(List::size).sum();
            if (total == 0) {
                throw new DfdException("no face found in any of the " + files.size() + " images; the model judges"
                        + " faces, so there is nothing to run it on");
            }
            facesPerImage = total / (double) files.size();
            preprocess = rate(repeats, files.size(), () -> {
                pixels.clear();
                for (int i = 0; i < decoded.size(); i++) {
                    for (Face f : found.get(i)) {
                        pixels.add(processor.process(crop.cut(decoded.get(i), f)));
                    }
                }
            });
            int i = 0;
            while (found.get(i).isEmpty()) {
                i++;
            }
            first = crop.cut(decoded.get(i), found.get(i).get(0));
        } else {
            preprocess = rate(repeats, files.size(), () -> {
                pixels.clear();
                for (RgbImage img : decoded) {
                    pixels.add(processor.process(img));
                }
            });
            first = decoded.get(0);
        }
        int[] hw = detector.model().preprocessor().outputSize(first.width(), first.height());
        int plane = 3 * hw[0] * hw[1];
        int workers = detector.model().policy().workers();
        List<BatchRow> rows = new ArrayList<>();
        ExecutorService callers = Executors.newFixedThreadPool(workers);
        try {
            for (int bs : batchSizes) {
                progress.accept(bs);
                float[] batch = new float[bs * plane]; // (bs, 3, H, W), the images repeated to fill it
                for (int i = 0; i < bs; i++) {
                    System.arraycopy(pixels.get(i % pixels.size()), 0, batch, i * plane, plane);
                }
                PixelBatch pb = new PixelBatch(batch, bs, 3, hw[0], hw[1]);
                // as many concurrent callers as detectAll has inference workers, so that the ratio compares like
                // with like
                int callsEach = Math.max(1, files.size() / bs / workers);
                float[][][] logits = new float[1][][]; // (bs, num_labels) of the last call
                Stat inference = rate(repeats, callsEach * workers * bs, () -> {
                    List<Future<?>> running = new ArrayList<>();
                    for (int w = 0; w < workers; w++) {
                        running.add(callers.submit(() -> {
                            for (int c = 0; c < callsEach; c++) {
                                logits[0] = detector.runModel(pb);
                            }
                        }));
                    }
                    for (Future<?> f : running) {
                        try {
                            f.get();
                        } catch (InterruptedException | ExecutionException e) {
                            throw new DfdException("inference failed: " + e);
                        }
                    }
                });
                Stat postprocess = rate(repeats, logits[0].length * 1000, () -> {
                    for (int k = 0; k < 1000; k++) {
                        for (float[] l : logits[0]) {
                            detector.postprocess(l, null);
                        }
                    }
                });
                Stat endToEnd;
                try (Detector e2e = Detector.load(modelDir, base.withBatchSize(bs))) {
                    endToEnd = rate(repeats, files.size(), () -> e2e.detectAll(files.stream()
                            .map(ImageSource::of).iterator(), r -> { }));
                }
                rows.add(new BatchRow(bs, endToEnd, inference, postprocess));
            }
        } finally {
            callers.shutdownNow();
        }
        return new Stages(decode, findFaces, facesPerImage, preprocess, rows);
    }

    /**
     * The command line of a fresh JVM running {@code dfd detect --format csv} with this JVM's heap, GC and dfd
     * settings (a flight recording does not carry over) and {@code detectArgs} after the images.
     */
    static List<String> childCommand(Path javaHome, List<String> jvmArgs, String classPath, Path dfdHome,
                                     List<Path> images, List<String> detectArgs) {
        List<String> cmd = new ArrayList<>(List.of(javaHome.resolve("bin").resolve("java").toString(),
                "-Dai.djl.offline=true", "-Ddfd.report.peak.rss=true", "-Ddfd.home=" + dfdHome));
        jvmArgs.stream()
                .filter(a -> a.startsWith("-Xmx") || a.startsWith("-Xms") || a.startsWith("-Xss")
                        || a.startsWith("-Ddfd.") || a.startsWith("--enable-native-access") || a.startsWith("-Xlog:cds")
                        || a.startsWith("-Donnxruntime.native.path=")
                        || (a.startsWith("-XX:") && !a.contains("FlightRecord")))
                .filter(a -> !a.startsWith("-Ddfd.report.peak.rss") && !a.startsWith("-Ddfd.home="))
                .forEach(cmd::add);
        cmd.addAll(List.of("-cp", classPath, Main.class.getName(), "detect", "--format", "csv"));
        images.forEach(i -> cmd.add(i.toString()));
        cmd.addAll(detectArgs);
        return cmd;
    }

    /** Runs {@code command} (a {@link #childCommand}), its output discarded; a failure is one line. */
    static ColdRun run(List<String> command) throws IOException, InterruptedException {
        long t = System.nanoTime();
        Process p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new DfdException("the fresh-JVM detect run failed (exit " + p.exitValue() + "): "
                    + err.trim().replace('\n', ' '));
        }
        return new ColdRun((System.nanoTime() - t) / 1e9, peakRssKb(err));
    }

    /** The peak RSS a {@code -Ddfd.report.peak.rss=true} run reports on stderr, in kB; 0 when it says none. */
    static long peakRssKb(String stderr) {
        Matcher m = PEAK_RSS.matcher(stderr);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    /** VmHWM of this process from /proc/self/status (Linux), in kB; 0 elsewhere. */
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
}
