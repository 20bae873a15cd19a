package dev.dfd.cli;

import dev.dfd.DetectionResult.Detection;
import dev.dfd.DetectionResult.Failure;
import dev.dfd.DetectionResult.NoFace;
import dev.dfd.DetectionResult;
import dev.dfd.Detector;
import dev.dfd.DetectorOptions;
import dev.dfd.DfdException;
import dev.dfd.Prediction;
import dev.dfd.eval.Dataset;
import dev.dfd.eval.Evaluation;
import dev.dfd.eval.LabelMapping;
import dev.dfd.eval.Perturbation;
import dev.dfd.internal.Csv;
import dev.dfd.internal.Json;
import dev.dfd.internal.Provenance;
import dev.dfd.internal.report.HtmlReport;
import dev.dfd.internal.report.JsonReport;
import dev.dfd.internal.report.TextReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
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
            description = "Write per-image predictions as they are made (path,true_label,predicted_label,score,...),"
                    + " each line whole (a killed run leaves complete lines).")
    Path predictions;

    @Option(names = "--resume",
            description = "With --predictions: keep the images already in FILE, score only the others and append"
                    + " them; the metrics cover all of them (a line cut off by a kill is dropped and redone).")
    boolean resume;

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
        if (resume && predictions == null) {
            throw new DfdException("--resume needs --predictions FILE");
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
            AtomicInteger failed = new AtomicInteger();
            AtomicBoolean finished = new AtomicBoolean();
            String positiveLabel = detector.defaultDecision().positiveLabel();
            try (PredictionsWriter preds = predictions == null ? null
                    : new PredictionsWriter(predictions, labels, positiveLabel, resume)) {
                Map<String, DetectionResult> earlier = preds == null ? Map.of() : preds.earlier();
                if (!earlier.isEmpty()) {
                    err.println("dfd: resumed: " + earlier.size() + " images already in " + predictions
                            + ", skipped");
                    err.flush();
                }
                Progress progress = new Progress(System.err, "eval", dataset.images().size() - earlier.size(),
                        Progress.wanted(quiet));
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
                    result = Evaluation.run(detector, null, dataset, labelMapping, evalOptions,
                            (index, image, trueId, r) -> {
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
                            }, earlier);
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

    /**
     * path,true_label,predicted_label,score,score_&lt;label&gt;...,error,status (ok, no_face or error), one whole line
     * per image as it is scored, so Ctrl-C or kill -9 loses nothing; with resume the file's whole lines are kept and
     * read back as {@link #earlier()}.
     */
    private static final class PredictionsWriter implements AutoCloseable {
        private final Path file;
        private final PrintWriter out;
        private final List<String> labels;
        private final Map<String, DetectionResult> earlier = new LinkedHashMap<>();

        PredictionsWriter(Path file, List<String> labels, String positiveLabel, boolean resume) {
            this.file = file;
            this.labels = labels;
            ResultsFile.Opened opened = ResultsFile.open(file, resume, ResultsFile.Records.CSV);
            out = opened.out();
            if (opened.header() != null && !opened.header().equals(header(labels))) {
                out.close();
                throw new DfdException(file + ": its header is not this model's predictions header ("
                        + Json.oneLine(opened.header()) + "): cannot resume it; write to a new file");
            }
            for (String record : opened.records()) {
                DetectionResult r = parse(record, positiveLabel);
                earlier.put(r.source(), r);
            }
            if (opened.fresh()) {
                out.println(header(labels));
                out.flush();
            }
        }

        static String header(List<String> labels) {
            StringBuilder header = new StringBuilder("path,true_label,predicted_label,score");
            for (String l : labels) {
                header.append(',').append(Csv.quote("score_" + l));
            }
            return header.append(",error,status").toString();
        }

        /** The results already in the file when resuming, by image path. */
        Map<String, DetectionResult> earlier() {
            return earlier;
        }

        /** A line this writer wrote, back as the result it recorded (the metrics need the label and scores). */
        private DetectionResult parse(String record, String positiveLabel) {
            List<String> f = Csv.parseLine(record);
            int n = labels.size();
            if (f.size() != 4 + n + 2) {
                throw new DfdException(file + ": a line with " + f.size() + " fields, expected " + (4 + n + 2)
                        + ": cannot resume it (" + Json.oneLine(record) + ")");
            }
            String source = f.get(0);
            String status = f.get(4 + n + 1);
            try {
                return switch (status) {
                    case "ok" -> {
                        float[] scores = new float[n];
                        for (int i = 0; i < n; i++) {
                            scores[i] = Float.parseFloat(f.get(4 + i));
                        }
                        yield new Detection(source, new Prediction(f.get(2), Float.parseFloat(f.get(3)),
                                positiveLabel, List.of(), scores, new float[0]));
                    }
                    case "no_face" -> new NoFace(source);
                    case "error" -> new Failure(source, f.get(4 + n));
                    default -> throw new NumberFormatException("status " + status);
                };
            } catch (NumberFormatException e) {
                throw new DfdException(file + ": a line dfd did not write (" + e.getMessage() + "): cannot resume"
                        + " it (" + Json.oneLine(record) + ")");
            }
        }

        synchronized void write(DetectionResult r, String trueLabel) {
            StringBuilder line = new StringBuilder(Csv.quote(r.source())).append(',').append(Csv.quote(trueLabel));
            if (r instanceof Detection d) {
                line.append(',').append(Csv.quote(d.label())).append(',').append(d.score());
                for (float s : d.prediction().scores()) {
                    line.append(',').append(s);
                }
                line.append(",,ok");
            } else if (r instanceof Failure fail) {
                line.append(",,").append(",".repeat(labels.size())).append(',').append(Csv.quote(fail.error()))
                        .append(",error");
            } else {
                line.append(",,").append(",".repeat(labels.size())).append(",,no_face");
            }
            out.println(line);
            out.flush();
            if (out.checkError()) {
                throw new DfdException(file + ": cannot write predictions");
            }
        }

        synchronized void flush() {
            out.flush();
        }

        @Override
        public synchronized void close() {
            out.close();
        }
    }
}
