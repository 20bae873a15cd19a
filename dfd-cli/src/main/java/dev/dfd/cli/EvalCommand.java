package dev.dfd.cli;

import dev.dfd.DetectionResult;
import dev.dfd.DetectionResult.Detection;
import dev.dfd.DetectionResult.Failure;
import dev.dfd.Detector;
import dev.dfd.DetectorOptions;
import dev.dfd.DfdException;
import dev.dfd.Json;
import dev.dfd.Provenance;
import dev.dfd.eval.Csv;
import dev.dfd.eval.Dataset;
import dev.dfd.eval.Evaluation;
import dev.dfd.eval.LabelMapping;
import dev.dfd.eval.Perturbation;
import dev.dfd.report.HtmlReport;
import dev.dfd.report.JsonReport;
import dev.dfd.report.TextReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

@Command(name = "eval", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = {"Evaluate a model on labelled images: scikit-learn's classification report, ROC/PR, thresholds"
                + " for a target precision, robustness to perturbations, and an HTML report.",
                "DATA is an ImageFolder (DATA/<Label>/*.jpg, or DATA/{train,val,test}/<Label>/ with --split) or a CSV"
                        + " manifest with columns path,label[,group,split] (paths relative to the CSV)."})
final class EvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model;

    @Mixin
    DecisionOptions decision;

    @Parameters(paramLabel = "DATA", description = "ImageFolder directory or CSV manifest.")
    Path data;

    @Option(names = "--split", paramLabel = "NAME", description = "train, val or test (a split folder or CSV column).")
    String split;

    @Option(names = "--label-map", paramLabel = "MAP",
            description = "Data labels to model labels, e.g. real=Real,ai=Fake (default: same name, any case).")
    String labelMap;



    @Option(names = "--target-precision", paramLabel = "P",
            description = "Find the lowest threshold whose precision on this data is at least P, and its recall.")
    Double targetPrecision;

    @Option(names = "--perturb", paramLabel = "LIST",
            description = "Re-run under each perturbation: jpeg:Q, blur:SIGMA, downscale:FACTOR, noise:SIGMA"
                    + " (comma-separated), e.g. jpeg:50,jpeg:30,blur:1.5,downscale:0.5.")
    String perturb;


    @Option(names = "--digits", paramLabel = "N", defaultValue = "4",
            description = "Digits in the classification report. Default: ${DEFAULT-VALUE}.")
    int digits;

    @Option(names = "--report", paramLabel = "FILE.html", description = "Write a self-contained HTML report.")
    Path report;

    @Option(names = "--predictions", paramLabel = "FILE.csv",
            description = "Write per-image predictions as they are made (path,true_label,predicted_label,score,...).")
    Path predictions;

    @Option(names = "--json", paramLabel = "FILE.json", description = "Write every number as JSON.")
    Path json;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "0",
            description = "0 = auto: 8, or 1 for models over 64 MiB. Default: auto.")
    int batchSize;

    @Option(names = "--decode-threads", paramLabel = "N", description = "Default: one per core.")
    Integer decodeThreads;

    @Option(names = "--strict", description = "Stop with exit code 1 at the first image that cannot be read.")
    boolean strict;

    @Option(names = {"-q", "--quiet"}, description = "No progress bar.")
    boolean quiet;

    @Override
    public Integer call() throws IOException {
        List<Perturbation> perturbations;
        Map<String, String> mapping;
        try {
            perturbations = Perturbation.parseList(perturb);
            mapping = LabelMapping.parse(labelMap);
        } catch (IllegalArgumentException e) {
            throw new DfdException(e.getMessage());
        }
        Evaluation.Options evalOptions = new Evaluation.Options(targetPrecision, perturbations);
        Dataset dataset = Dataset.open(data, split);
        // every pass (clean and each perturbation) runs the whole data set
        long images = (long) dataset.images().size() * (1 + perturbations.size());
        DetectorOptions options = model.options(images, batchSize, decodeThreads == null ? 0 : decodeThreads)
                .withDecision(decision.decision(null));
        options = decision.withFaceLimits(options);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (Detector detector = Detector.load(model.modelDir(), options)) {
            List<String> labels = detector.model().labels();
            LabelMapping labelMapping = LabelMapping.of(dataset.labels(), labels, mapping);
            Progress progress = new Progress(System.err, "eval", dataset.images().size(), Progress.wanted(quiet));
            AtomicInteger failed = new AtomicInteger();
            AtomicBoolean finished = new AtomicBoolean();
            try (PredictionsWriter preds = predictions == null ? null : new PredictionsWriter(predictions, labels)) {
                Thread onInterrupt = new Thread(() -> {
                    if (!finished.get()) {
                        if (preds != null) {
                            preds.flush();
                        }
                        System.err.println("\ndfd: interrupted; predictions written so far are in "
                                + (predictions == null ? "(none: no --predictions)" : predictions));
                    }
                });
                Runtime.getRuntime().addShutdownHook(onInterrupt);
                Evaluation.Result result;
                try {
                    result = Evaluation.run(detector, dataset, labelMapping, evalOptions, (index, image, trueId, r) -> {
                        progress.step();
                        if (preds != null) {
                            preds.write(r, labels.get(trueId));
                        }
                        if (r instanceof Failure f) {
                            failed.incrementAndGet();
                            if (strict) {
                                throw new StrictFailure(f.source() + ": " + f.error());
                            }
                        }
                    });
                } catch (StrictFailure e) {
                    progress.finish();
                    err.println("dfd: --strict: " + e.getMessage());
                    err.flush();
                    return Main.SOME_FAILED;
                } finally {
                    finished.set(true);
                    try {
                        Runtime.getRuntime().removeShutdownHook(onInterrupt);
                    } catch (IllegalStateException shuttingDown) {
                        // the hook is running already
                    }
                }
                progress.finish();
                out.print(TextReport.render(result, digits));
                out.flush();
                Map<String, Object> provenance = Provenance.of(detector);
                if (json != null) {
                    write(json, Json.MAPPER.writerWithDefaultPrettyPrinter()
                            .writeValueAsString(JsonReport.render(result, provenance)));
                }
                if (report != null) {
                    write(report, HtmlReport.render(result, provenance, digits));
                }
                summary(err, result);
            }
        }
        return Main.OK;
    }

    private static void summary(PrintWriter err, Evaluation.Result result) {
        err.printf("dfd: evaluated %d images in %.1f s (%.1f images/s)%n", result.scored().size(),
                result.seconds(), result.imagesPerSecond());
        List<Failure> failures = result.failures();
        if (!failures.isEmpty()) {
            err.println("dfd: warning: " + failures.size() + " image(s) could not be read and are excluded from"
                    + " the metrics:");
            failures.stream().limit(20).forEach(f -> err.println("  " + f.source() + ": " + f.error()));
            if (failures.size() > 20) {
                err.println("  ... and " + (failures.size() - 20) + " more (see --json)");
            }
        }
        err.flush();
    }

    private static void write(Path file, String content) {
        try {
            Files.writeString(file, content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new DfdException(file + ": cannot write (" + e.getMessage() + ")");
        }
    }

    private static final class StrictFailure extends RuntimeException {
        StrictFailure(String message) {
            super(message, null, false, false);
        }
    }

    /** path,true_label,predicted_label,score,score_<label>...,error; flushed per line so Ctrl-C loses nothing. */
    private static final class PredictionsWriter implements AutoCloseable {
        private final BufferedWriter out;
        private final int numLabels;

        PredictionsWriter(Path file, List<String> labels) {
            try {
                out = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
                StringBuilder header = new StringBuilder("path,true_label,predicted_label,score");
                for (String l : labels) {
                    header.append(',').append(Csv.quote("score_" + l));
                }
                out.write(header.append(",error\n").toString());
            } catch (IOException e) {
                throw new DfdException(file + ": cannot write (" + e.getMessage() + ")");
            }
            numLabels = labels.size();
        }

        synchronized void write(DetectionResult r, String trueLabel) {
            StringBuilder line = new StringBuilder(Csv.quote(r.source())).append(',').append(Csv.quote(trueLabel));
            if (r instanceof Detection d) {
                line.append(',').append(Csv.quote(d.label())).append(',').append(d.score());
                for (float s : d.prediction().scores()) {
                    line.append(',').append(s);
                }
                line.append(',');
            } else {
                line.append(",,").append(",".repeat(numLabels)).append(',').append(Csv.quote(((Failure) r).error()));
            }
            try {
                out.write(line.append('\n').toString());
                out.flush();
            } catch (IOException e) {
                throw new DfdException("cannot write predictions (" + e.getMessage() + ")");
            }
        }

        synchronized void flush() {
            try {
                out.flush();
            } catch (IOException ignored) {
                // best effort while the JVM stops
            }
        }

        @Override
        public synchronized void close() throws IOException {
            out.close();
        }
    }
}
