package dev.dfd.cli;

import dev.dfd.DecodeLimits;
import dev.dfd.DetectionResult;
import dev.dfd.Detector;
import dev.dfd.DetectorOptions;
import dev.dfd.DfdException;
import dev.dfd.ImageSource;
import dev.dfd.internal.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

@Command(name = "detect", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = {"Label images Real or Fake (or whatever the model's labels are).",
                "Exit code: 0 when every image succeeded, 1 when any failed, 2 for usage or model errors."})
final class DetectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model;

    @Mixin
    DecisionOptions decision;

    @Parameters(paramLabel = "PATH", arity = "1..*",
            description = "Image files, directories (walked recursively for image files), or - for standard input.")
    List<String> paths;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "5",
            description = "Predictions listed per image (capped at the number of labels). Default: ${DEFAULT-VALUE}.")
    int topK;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "table",
            description = "table, json (one object per line) or csv. Default: ${DEFAULT-VALUE}.")
    ResultWriter.Format format;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "0",
            description = "Images per inference call; 0 = auto: 8, or 1 for models over 64 MiB (batching does not"
                    + " speed them up on a CPU and multiplies their memory). Default: auto.")
    int batchSize;

    @Option(names = "--decode-threads", paramLabel = "N",
            description = "Threads decoding and preprocessing ahead of inference. Default: one per core.")
    Integer decodeThreads;

    @Option(names = "--max-pixels", paramLabel = "N", defaultValue = "90000000",
            description = "Refuse images whose header claims more pixels. Default: ${DEFAULT-VALUE}.")
    long maxPixels;

    @Option(names = "--max-bytes", paramLabel = "N", defaultValue = "268435456",
            description = "Refuse image files larger than this. Default: ${DEFAULT-VALUE} (256 MiB).")
    long maxBytes;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE",
            description = "Write the results to FILE instead of standard output, each line whole as soon as it is"
                    + " ready (a killed run leaves complete lines).")
    Path output;

    @Option(names = "--resume",
            description = "With --output in json or csv: keep the results already in FILE, skip their images and"
                    + " append the others (a line cut off by a kill is dropped and its image redone).")
    boolean resume;

    InputStream stdin = System.in;

    @Override
    public Integer call() {
        if (resume && (output == null || format == ResultWriter.Format.TABLE)) {
            throw new DfdException("--resume needs --output FILE and --format json or csv");
        }
        PrintWriter err = spec.commandLine().getErr();
        int[] counts = new int[3]; // ok, failed, no face
        List<ImageSource> sources = ImageFiles.sources(paths, stdin, maxBytes);
        DetectorOptions options = model.options(sources.size(), batchSize, decodeThreads == null ? 0 : decodeThreads)
                .withLimits(new DecodeLimits(maxBytes, maxPixels)).withDecision(decision.decision(topK));
        options = decision.withFaceLimits(options);
        int skipped = 0;
        try (Detector detector = Detector.load(model.modelDir(), options)) {
            List<String> labels = detector.model().labels();
            PrintWriter out = spec.commandLine().getOut();
            boolean header = true;
            if (output != null) {
                ResultsFile.Opened file = ResultsFile.open(output, resume, format == ResultWriter.Format.CSV
                        ? ResultsFile.Records.CSV : ResultsFile.Records.JSON_LINES);
                out = file.out();
                header = file.fresh();
                Set<String> done = resume ? written(file, labels) : Set.of();
                int before = sources.size();
                sources = sources.stream().filter(s -> !done.contains(s.name())).toList();
                skipped = before - sources.size();
            }
            ResultWriter writer = ResultWriter.of(format, out, labels, detector.defaultDecision().positiveLabel(),
                    header);
            PrintWriter written = out;
            try {
                detector.detectAll(sources.iterator(), (DetectionResult r) -> {
                    writer.write(r);
                    if (output != null && written.checkError()) {
                        throw new DfdException(output + ": cannot write the results");
                    }
                    counts[r instanceof DetectionResult.Failure ? 1 : r instanceof DetectionResult.NoFace ? 2 : 0]++;
                });
                writer.finish();
            } finally {
                if (output != null) {
                    out.close();
                }
            }
        }
        if (skipped > 0) {
            err.println("dfd: resumed: " + skipped + " images already in " + output + ", skipped");
            err.flush();
        }
        if (counts[2] > 0) {
            err.println("dfd: no face found in " + counts[2] + " of " + (counts[0] + counts[1] + counts[2])
                    + " images (no verdict for them)");
            err.flush();
        }
        if (counts[0] + counts[1] + counts[2] == 0 && skipped == 0) {
            err.println("dfd: no image files found in " + String.join(" ", paths));
            err.flush();
            return Main.SOME_FAILED;
        }
        if (counts[1] > 0) {
            err.println("dfd: " + counts[1] + " of " + (counts[0] + counts[1] + counts[2]) + " images failed");
            err.flush();
            return Main.SOME_FAILED;
        }
        return Main.OK;
    }

    /** The images whose results are already in the file being resumed (a CSV written for other labels is refused). */
    private Set<String> written(ResultsFile.Opened file, List<String> labels) {
        if (format == ResultWriter.Format.CSV && file.header() != null
                && !file.header().equals(ResultWriter.Csv.header(labels))) {
            throw new DfdException(output + ": its header is not this model's (" + Json.oneLine(file.header())
                    + "): cannot resume it; write to a new file");
        }
        Set<String> done = new HashSet<>();
        int line = format == ResultWriter.Format.CSV ? 2 : 1;
        for (String record : file.records()) {
            try {
                done.add(ResultWriter.sourceOf(format, record));
            } catch (DfdException e) {
                throw new DfdException(output + " record " + line + ": " + e.getMessage() + "; cannot resume it");
            }
            line++;
        }
        return done;
    }
}
