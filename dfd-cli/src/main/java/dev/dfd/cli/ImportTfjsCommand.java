package dev.dfd.cli;

import dev.dfd.DfdException;
import dev.dfd.convert.Converter;
import dev.dfd.convert.tfjs.TfjsMobileNetImport;
import dev.dfd.family.mobilenetv1.MobileNetV1Config;
import dev.dfd.graph.WeightEncoding;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "import-tfjs", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        usageHelpAutoWidth = true,
        description = {"Import a MobileNet V1 in TensorFlow.js graph format (model.json and its weight files, e.g."
                + " faceres.json of @vladmandic/human) as a Hugging Face MobileNetV1ForImageClassification directory,"
                + " then convert it to ONNX. The layers up to the global average pool are kept (BatchNorm folded by"
                + " TensorFlow.js becomes a shift); other heads are dropped and a new classifier is made for the labels,"
                + " ready for dfd train --init."})
final class ImportTfjsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL_JSON", description = "The graph model's model.json.")
    Path source;

    @Parameters(index = "1", paramLabel = "OUT_DIR", description = "The Hugging Face directory to write.")
    Path out;

    @Option(names = "--image-size", paramLabel = "N", defaultValue = "224",
            description = "Square size the preprocessor resizes to (any size runs; train at this size)."
                    + " Default: ${DEFAULT-VALUE}.")
    int imageSize;

    @Option(names = "--input-range", paramLabel = "RANGE", defaultValue = "0-255",
            description = "Pixel range the model was trained on: 0-255 (faceres), 0-1, or -1-1 (Keras'"
                    + " mobilenet.preprocess_input). The imported model takes 0..1 (a 0-255 model's first"
                    + " convolution is scaled by 255, exactly) or, for -1-1, normalises to it. Default: ${DEFAULT-VALUE}.")
    String inputRange;

    @Option(names = "--labels", paramLabel = "A,B", split = ",", defaultValue = "Real,Fake",
            description = "The classifier's labels. Default: ${DEFAULT-VALUE}.")
    List<String> labels;

    @Option(names = "--head", paramLabel = "NODE",
            description = "A MatMul node on the pooled features to keep as the classifier (its width must be the"
                    + " number of labels); default: a new classifier.")
    String head;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "0",
            description = "Seed of the new classifier's weights. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Override
    public Integer call() {
        TfjsMobileNetImport.Options o;
        try {
            o = new TfjsMobileNetImport.Options(imageSize, TfjsMobileNetImport.InputRange.parse(inputRange), labels,
                    head, seed);
        } catch (IllegalArgumentException e) {
            throw new DfdException(e.getMessage());
        }
        long start = System.nanoTime();
        MobileNetV1Config c = TfjsMobileNetImport.run(source, out, o);
        Converter.Result r = Converter.convert(out, out, WeightEncoding.FP32, false);
        var err = spec.commandLine().getErr();
        err.printf(Locale.ROOT, "imported %s as MobileNet V1 (depth multiplier %s, %d features, labels %s); wrote %s"
                        + " (%,d parameters) in %.1f s%n", source, c.depthMultiplier(), c.featureWidth(), c.labels(),
                r.onnx(), r.parameters(), (System.nanoTime() - start) / 1e9);
        err.flush();
        return Main.OK;
    }
}
