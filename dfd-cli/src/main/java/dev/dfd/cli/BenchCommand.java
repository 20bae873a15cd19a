package dev.dfd.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.Detector;
import dev.dfd.DetectorOptions;
import dev.dfd.Dfd;
import dev.dfd.DfdException;
import dev.dfd.RunPolicy;
import dev.dfd.internal.Json;
import dev.dfd.internal.io.ImageFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
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

    @Override
    public Integer call() throws Exception {
        if (repeats < 1 || maxImages < 1) {
            throw new DfdException("--repeats and --max-images must be positive");
        }
        int[] sizes = batchSizes();
        List<Path> files = files();
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("images", files.size()).put("cores", Runtime.getRuntime().availableProcessors())
                .put("java", System.getProperty("java.version")).put("dfd_version", Dfd.version())
                .put("onnxruntime_version", ai.onnxruntime.OrtEnvironment.class.getPackage().getImplementationVersion())
                .put("threads", model.threads);
        // the warm measurements are about steady throughput: an unbounded job, prepacked as a server runs (the
        // cold-start children decide as detect does)
        DetectorOptions base = model.options(0, 0, 0);
        StringBuilder text = new StringBuilder();
        try (Detector d = Detector.load(model.modelDir(), base)) {
            RunPolicy policy = d.model().policy();
            out.put("prepack_weights_warm", policy.prepack());
            out.put("inference_workers", policy.workers()).put("intra_op_threads", policy.threadsPerWorker());
            out.put("model", d.model().files().onnx().toString());
            BenchHarness.Stages stages = BenchHarness.stages(d, model.modelDir(), base, files, sizes, repeats, bs -> { });
            text.append(String.format(Locale.ROOT, "dfd bench: %d images, %s, %d cores, %s%n", files.size(),
                    d.model().files().onnx(), Runtime.getRuntime().availableProcessors(), policy));
            text.append(String.format(Locale.ROOT, "  decode             %s%n", stages.decode().text("images/s")));
            if (stages.findFaces() != null) {
                text.append(String.format(Locale.ROOT, "  find faces         %s   (%.2f faces per image)%n",
                        stages.findFaces().text("images/s"), stages.facesPerImage()));
                text.append(String.format(Locale.ROOT, "  crop+resize+norm.  %s   (every face of the image)%n",
                        stages.preprocess().text("images/s")));
                out.set("find_faces_images_per_second", json(stages.findFaces()));
                out.put("faces_per_image", stages.facesPerImage());
            } else {
                text.append(String.format(Locale.ROOT, "  resize+normalise   %s%n", stages.preprocess().text("images/s")));
            }
            ArrayNode perBatch = out.putArray("batch_sizes");
            for (BenchHarness.BatchRow row : stages.batches()) {
                ObjectNode b = perBatch.addObject().put("batch_size", row.batchSize());
                b.set("end_to_end_images_per_second", json(row.endToEnd()));
                b.set("inference_images_per_second", json(row.inference()));
                b.set("postprocess_images_per_second", json(row.postprocess()));
                b.put("end_to_end_over_inference", row.endToEndOverInference());
                text.append(String.format(Locale.ROOT, "  batch %-3d end to end %s   inference on tensors %s   (%.2f)%n",
                        row.batchSize(), row.endToEnd().text("images/s"), row.inference().text("images/s"),
                        row.endToEndOverInference()));
                text.append(String.format(Locale.ROOT, "            postprocess %s%n",
                        row.postprocess().text("images/s")));
            }
            out.set("decode_images_per_second", json(stages.decode()));
            out.set("preprocess_images_per_second", json(stages.preprocess()));
        }
        if (coldStart) {
            double[] firsts = new double[Math.min(3, repeats)];
            for (int i = 0; i < firsts.length; i++) {
                firsts[i] = BenchHarness.run(childCommand(List.of(files.get(0)))).seconds();
            }
            BenchHarness.Stat first = BenchHarness.Stat.of(firsts);
            out.put("cold_start_first_verdict_seconds", first.median());
            out.set("cold_start_first_verdict", json(first));
            text.append(String.format(Locale.ROOT, "  first verdict from a cold JVM: %s%n", first.text("s")));
            BenchHarness.ColdRun all = BenchHarness.run(childCommand(files));
            out.put("detect_all_seconds", all.seconds());
            out.put("detect_all_peak_rss_mb", all.peakRssKb() / 1024.0);
            text.append(String.format(Locale.ROOT, "  dfd detect on all %d images in a fresh JVM: %.2f s, peak RSS"
                    + " %.0f MB%n", files.size(), all.seconds(), all.peakRssKb() / 1024.0));
        }
        long rss = BenchHarness.peakRssKb();
        out.put("peak_rss_mb", rss / 1024.0);
        text.append(String.format(Locale.ROOT, "  peak RSS of this bench process (several sessions): %.0f MB%n",
                rss / 1024.0));
        PrintWriter pw = spec.commandLine().getOut();
        pw.print(json ? Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(out) + "\n" : text);
        pw.flush();
        return Main.OK;
    }

    private static ObjectNode json(BenchHarness.Stat s) {
        return Json.MAPPER.createObjectNode().put("median", s.median()).put("min", s.min()).put("max", s.max());
    }

    private int[] batchSizes() {
        try {
            int[] sizes = Arrays.stream(batchSizes.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
            if (sizes.length > 0 && Arrays.stream(sizes).allMatch(s -> s >= 1 && s <= 4096)) {
                return sizes;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new DfdException("--batch-sizes expects comma-separated sizes from 1 to 4096, like 1,8,32; found '"
                + batchSizes + "'");
    }

    /** The fresh-JVM detect run with this bench's model options (auto prepack decides as for a user's detect). */
    private List<String> childCommand(List<Path> images) {
        List<String> args = new ArrayList<>();
        if (model.model != null) {
            args.addAll(List.of("--model", model.model.toString()));
        }
        if (model.variant != null) {
            args.addAll(List.of("--variant", model.variant));
        }
        if (model.threads != 0) {
            args.addAll(List.of("--threads", Integer.toString(model.threads)));
        }
        if (model.workers != 0) {
            args.addAll(List.of("--workers", Integer.toString(model.workers)));
        }
        args.addAll(List.of("--prepack", model.prepack));
        return BenchHarness.childCommand(Path.of(System.getProperty("java.home")),
                ManagementFactory.getRuntimeMXBean().getInputArguments(), System.getProperty("java.class.path"),
                Dfd.home(), images, args);
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
