package dev.dfd.cli;

import dev.dfd.DfdException;
import dev.dfd.train.TrainOptions;
import dev.dfd.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "train", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = {"Train or fine-tune a detector in Java (DJL with the PyTorch CPU engine) and write a Hugging Face"
                + " model directory (config.json, preprocessor_config.json, model.safetensors, onnx/model.onnx, README.md"
                + " model card) to OUT/best.",
                "--data: an ImageFolder root with train/ and val/ (and test/) of <Label>/ images, or a CSV manifest with"
                        + " path,label,group,split. Ctrl-C checkpoints; --resume OUT continues (also after kill -9)."})
final class TrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--data", paramLabel = "DIR|CSV", description = "Training data (train/ and val/ splits).")
    Path data;

    @Option(names = "--out", paramLabel = "DIR", description = "Run directory (checkpoint/, best/, metrics.csv).")
    Path out;

    @Option(names = "--resume", paramLabel = "DIR", description = "Continue the run in DIR with its saved settings.")
    Path resume;

    @Option(names = "--init", paramLabel = "DIR", description = "Fine-tune from a Hugging Face checkpoint (ViT, ResNet, or"
            + " MobileNet V1 such as one dfd import-tfjs wrote); the classifier head is re-initialised when its labels"
            + " differ from the data's.")
    Path init;

    @Option(names = "--config", paramLabel = "FILE", description = "Architecture config.json (model_type vit, mobilenet_v1,"
            + " or resnet with layer_type basic). Default: a compact 1.2M-parameter ResNet.")
    Path config;

    @Option(names = "--image-size", defaultValue = "112", description = "Square resolution. Default: ${DEFAULT-VALUE}.")
    int imageSize;

    @Option(names = "--epochs", defaultValue = "12", description = "Default: ${DEFAULT-VALUE}.")
    int epochs;

    @Option(names = "--batch-size", defaultValue = "64", description = "Default: ${DEFAULT-VALUE}.")
    int batchSize;

    @Option(names = "--lr", defaultValue = "1e-3", description = "Peak learning rate. Default: ${DEFAULT-VALUE}.")
    double lr;

    @Option(names = "--weight-decay", defaultValue = "0.05", description = "Default: ${DEFAULT-VALUE}.")
    double weightDecay;

    @Option(names = "--warmup-epochs", defaultValue = "0.5", description = "Default: ${DEFAULT-VALUE}.")
    double warmup;

    @Option(names = "--label-smoothing", defaultValue = "0.1", description = "Default: ${DEFAULT-VALUE}.")
    double labelSmoothing;

    @Option(names = "--clip-norm", defaultValue = "1.0", description = "Default: ${DEFAULT-VALUE}.")
    double clipNorm;

    @Option(names = "--patience", defaultValue = "4", description = "Early stopping on validation ROC AUC; 0 = off."
            + " Default: ${DEFAULT-VALUE}.")
    int patience;

    @Option(names = "--seed", defaultValue = "0", description = "Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--workers", defaultValue = "2", description = "Image loading threads. Default: ${DEFAULT-VALUE}.")
    int workers;

    @Option(names = "--max-steps-per-epoch", defaultValue = "0", description = "Cap steps per epoch (0: all).")
    int maxSteps;

    @Option(names = "--checkpoint-steps", defaultValue = "100", description = "Also checkpoint every N steps."
            + " Default: ${DEFAULT-VALUE}.")
    int checkpointSteps;

    @Option(names = "--synthesize", paramLabel = "KINDS",
            description = "Also make fakes from real training faces: comma-separated blend (self-blending through a"
                    + " face mask), upsample (generator upsampling traces), retouch (local warps, smoothing, cloning).")
    String synthesize;

    @Option(names = "--synth-fraction", paramLabel = "P", defaultValue = "0.5",
            description = "Share of the fake draws that are synthetic. Default: ${DEFAULT-VALUE}.")
    double synthFraction;

    @Option(names = "--real-only", description = "Use no fake of the data at all: every fake is synthetic, and the"
            + " epoch is chosen on validation reals with synthetic fakes made from them.")
    boolean realOnly;

    @Option(names = "--whole-images", description = "The data are whole images, not face crops: the model declares no"
            + " face input (by default best/ gets dfd_faces.json with the DFDC crop geometry, so dfd detect finds the"
            + " faces in a photo and cuts the same crops).")
    boolean wholeImages;

    @Option(names = "--faces", description = "The data are raw photos or video frames: find the faces in every"
            + " training and validation image with dfd detect's face stage and train on the most confident face of"
            + " each, cut as best/dfd_faces.json declares (only that face: a fake picture may show real bystanders)."
            + " Images without a face are skipped and counted; the crops are kept in OUT/faces/ for --resume."
            + " Excludes --whole-images.")
    boolean faces;

    @Option(names = "--augment", paramLabel = "standard|heavy", defaultValue = "standard",
            description = "Degradations of training images: standard (blur p 0.15, downscale p 0.2, JPEG 30-95 p 0.35)"
                    + " or heavy (blur p 0.3, downscale chains p 0.3, noise p 0.2, JPEG 30-100 p 0.6, colour +-20%%),"
                    + " applied to real and fake images alike. Default: ${DEFAULT-VALUE}.")
    String augment;

    @Override
    public Integer call() {
        TrainOptions options;
        if (resume != null) {
            options = Trainer.savedOptions(resume);
        } else {
            if (data == null || out == null) {
                throw new DfdException("train needs --data and --out (or --resume DIR)");
            }
            try {
                options = new TrainOptions(data.toAbsolutePath().normalize(), out.toAbsolutePath().normalize(),
                        init == null ? null : init.toAbsolutePath().normalize(),
                        config == null ? null : config.toAbsolutePath().normalize(), imageSize, epochs, batchSize, lr,
                        weightDecay, warmup, labelSmoothing, clipNorm, patience, seed, workers, maxSteps, checkpointSteps,
                        synthesize, synthFraction, realOnly, wholeImages, augment, faces);
            } catch (IllegalArgumentException e) {
                throw new DfdException(e.getMessage());
            }
        }
        Trainer trainer = new Trainer(options, System.err);
        Thread onInterrupt = new Thread(trainer::requestStop);
        Runtime.getRuntime().addShutdownHook(onInterrupt);
        String command = String.format(Locale.ROOT, "./dfd train --data %s --out %s%s%s --image-size %d --epochs %d"
                        + " --batch-size %d --lr %s --weight-decay %s --warmup-epochs %s --label-smoothing %s --clip-norm %s"
                        + " --patience %d --seed %d", options.data(), options.out(),
                options.init() == null ? "" : " --init " + options.init(),
                options.configFile() == null ? "" : " --config " + options.configFile(), options.imageSize(),
                options.epochs(), options.batchSize(), options.learningRate(), options.weightDecay(),
                options.warmupEpochs(), options.labelSmoothing(), options.clipNorm(), options.patience(), options.seed())
                + (options.synthesize() == null ? "" : " --synthesize " + options.synthesize()
                + (options.realOnly() ? " --real-only" : " --synth-fraction " + options.synthFraction()))
                + (options.wholeImages() ? " --whole-images" : "")
                + (options.faces() ? " --faces" : "")
                + (options.maxStepsPerEpoch() > 0 ? " --max-steps-per-epoch " + options.maxStepsPerEpoch() : "")
                + ("standard".equals(options.augment()) ? "" : " --augment " + options.augment());
        Trainer.Outcome outcome = trainer.runAndDocument(command);
        try {
            Runtime.getRuntime().removeShutdownHook(onInterrupt);
        } catch (IllegalStateException shuttingDown) {
            // Ctrl-C: the hook already asked the loop to stop, which checkpointed
        }
        System.err.printf(Locale.ROOT, "%s: best validation ROC AUC %.4f at epoch %d; model in %s%n",
                outcome.stopped() ? "stopped" : "done", outcome.bestValAuc(), outcome.bestEpoch(), outcome.bestDir());
        return outcome.stopped() ? Main.SOME_FAILED : Main.OK;
    }
}
