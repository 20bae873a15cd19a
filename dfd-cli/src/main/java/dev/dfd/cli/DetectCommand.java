package dev.dfd.cli;

import dev.dfd.DetectionResult;
import dev.dfd.Detector;
import dev.dfd.DetectorOptions;
import dev.dfd.ImageSource;
import dev.dfd.io.DecodeLimits;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.InputStream;
import java.io.PrintWriter;
import java.util.List;
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

    InputStream stdin = System.in;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        int[] counts = new int[3]; // ok, failed, no face
        List<ImageSource> sources = ImageFiles.sources(paths, stdin, maxBytes);
        DetectorOptions options = model.options(sources.size(), batchSize, decodeThreads == null ? 0 : decodeThreads)
                .withLimits(new DecodeLimits(maxBytes, maxPixels)).withDecision(decision.decision(topK));
        options = decision.withFaceLimits(options);
        try (Detector detector = Detector.load(model.modelDir(), options)) {
            ResultWriter writer = ResultWriter.of(format, out, detector.model().labels(),
                    detector.defaultDecision().positiveLabel());
            detector.detectAll(sources.iterator(), (DetectionResult r) -> {
                writer.write(r);
                counts[r instanceof DetectionResult.Failure ? 1 : r instanceof DetectionResult.NoFace ? 2 : 0]++;
            });
            writer.finish();
        }
        if (counts[2] > 0) {
            err.println("dfd: no face found in " + counts[2] + " of " + (counts[0] + counts[1] + counts[2])
                    + " images (no verdict for them)");
            err.flush();
        }
        if (counts[0] + counts[1] + counts[2] == 0) {
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
}
