package dev.dfd.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.Detector;
import dev.dfd.DetectorOptions;
import dev.dfd.DfdException;
import dev.dfd.eval.BinaryMetrics;
import dev.dfd.eval.Dataset;
import dev.dfd.eval.EvalMetrics;
import dev.dfd.eval.Evaluation;
import dev.dfd.eval.LabelMapping;
import dev.dfd.internal.Json;
import dev.dfd.internal.report.TextReport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The README.md of a trained model, in the form of the model card we start from: the classification report on the
 * test split (through the same ONNX path users run), ROC AUC, the threshold for 99% precision (chosen on the
 * validation split, then measured on test), the data and its terms, the recipe, how to reproduce it, limitations.
 */
final class ModelCard {
    private ModelCard() {
    }

    /** Evaluates the best model and writes README.md (and eval/ reports) into its directory; returns the card. */
    static String write(Path bestDir, TrainOptions o, Trainer.Outcome outcome, TrainData data, List<ObjectNode> history,
                        String command) {
        StringBuilder md = new StringBuilder();
        try (Detector d = Detector.load(bestDir, DetectorOptions.DEFAULTS)) {
            String positive = d.defaultDecision().positiveLabel();
            // with --faces, the photos, not the crops: the threshold is chosen on what detection will be given
            Evaluation.Result val = evaluate(d, data.valPhotos, 0.99);
            BinaryMetrics.OperatingPoint t99 = val.metrics().targetPoint();
            Evaluation.Result test = data.test == null ? null : evaluate(d, data.test, null);
            ObjectNode config = Json.readObject(bestDir.resolve("config.json"));
            long params = parameterCount(bestDir);
            md.append("---\nlicense: other\nlibrary_name: dfd\npipeline_tag: image-classification\ntags:\n")
                    .append("- deepfake-detection\n- image-classification\n- onnx\n---\n\n");
            md.append("# dfd deepfake face detector (").append(config.path("architectures").path(0).asText())
                    .append(", ").append(o.imageSize()).append(" px)\n\n");
            md.append("Labels an image of a face `").append(String.join("` or `", d.model().labels()))
                    .append("`. ").append(origin(o.init()))
                    .append(" in Java with `dfd train` (DJL, PyTorch CPU engine) on ")
                    .append(o.faces() ? "faces that dfd's face stage found and cut in the photos of `"
                            + o.data().getFileName() + "` (`dfd train --faces`)" : "face crops of the DFDC deepfake challenge")
                    .append(o.synthesize() == null ? ". " : o.realOnly()
                            ? " (its real faces only: every fake in training and validation was synthesised from them, `"
                            + o.synthesize() + "`). "
                            : ", with synthetic fakes (`" + o.synthesize() + "`) beside its own. ")
                    .append(String.format(Locale.ROOT, "%,d", params))
                    .append(" parameters; `onnx/model.onnx` runs in `dfd detect`, ONNX Runtime and transformers.js")
                    .append(Files.exists(bestDir.resolve("onnx/model.onnx_data"))
                            ? " (its weights are in `onnx/model.onnx_data`, ONNX external data: pass"
                            + " `use_external_data_format: true` to transformers.js),"
                            : ",")
                    .append(" `model.safetensors` loads in transformers.\n\n");
            if (test != null) {
                EvalMetrics m = test.metrics();
                if (o.faces()) {
                    md.append("## Evaluation on the test split\n\n");
                    md.append(String.format(Locale.ROOT, "%,d held-out photos, through the ONNX model and dfd's detection"
                            + " path (face stage included: each photo judged by its most fake face); %,d without a face"
                            + " got no verdict and are not counted.%n%n", test.scored().size(), test.noFace().size()));
                } else {
                    md.append("## Evaluation on the DFDC test split\n\n");
                    md.append(String.format(Locale.ROOT, "%,d held-out images (by source video: no person-and-scene pair"
                            + " is in two splits), through the ONNX model and dfd's detection path.%n%n", test.scored().size()));
                }
                md.append("```\n").append(m.report().format(4)).append("```\n\n");
                md.append("| metric (positive = ").append(positive).append(") | value |\n|---|---|\n");
                md.append("| ROC AUC | ").append(f(m.rocAuc())).append(" |\n");
                md.append("| average precision | ").append(f(m.averagePrecision())).append(" |\n");
                md.append("| equal error rate | ").append(f(m.equalErrorRate())).append(" |\n");
                md.append("| ").append(positive).append(" recall at 5% false positives | ").append(f(m.tprAtFpr5())).append(" |\n");
                md.append("| log loss | ").append(f(m.logLoss())).append(" |\n");
                md.append("| expected calibration error | ").append(f(m.ece())).append(" |\n\n");
                md.append("### Threshold for 99% precision\n\nA false \"").append(positive)
                        .append("\" accuses a real person, so the operating threshold is chosen for precision. ");
                if (t99 == null) {
                    md.append("No threshold reaches 99% precision on the validation split; use the argmax decision or pick a")
                            .append(" threshold from `dfd eval --target-precision` on data like yours.\n\n");
                } else {
                    BinaryMetrics.OperatingPoint onTest = pointOnTest(test, d, t99.threshold());
                    md.append(String.format(Locale.ROOT, "Chosen on the validation split: `--threshold %s` (validation"
                                    + " precision %s, recall %s). On the test split it gives precision %s and recall %s.%n%n",
                            f(t99.threshold()), f(t99.precision()), f(t99.recall()), f(onTest.precision()),
                            f(onTest.recall())));
                }
            }
            md.append("## Training data and its terms\n\n");
            if (o.faces()) {
                dev.dfd.internal.face.FaceCrop c = d.model().faceCrop();
                md.append(String.format(Locale.ROOT, "`%s`: photos or video frames, cropped by dfd's face stage before"
                                + " training (`dfd train --faces`): BlazeFace full range (min face %d px, score 0.6) found the"
                                + " faces, the most confident face of each image was cut as `dfd_faces.json` declares (a square"
                                + " of %s face-box sides, box centre at %s of the height, %dx%d px), with the code `dfd detect`"
                                + " runs. Only that face trains: a fake picture may show real bystanders. Train %,d,"
                                + " validation %,d images with a face; %,d training and %,d validation images without a face"
                                + " were skipped%s. Check the data's terms before using this model.%n%n",
                        o.data().getFileName(), DetectorOptions.DEFAULTS.minFaceSize(), c.scale(), c.centerY(), c.width(),
                        c.height(), data.train.images().size(), data.val.images().size(), data.facelessTrain,
                        data.facelessVal, data.test == null ? "" : String.format(Locale.ROOT, "; test %,d photos (used only"
                                + " for this report)", data.test.images().size())));
            } else {
                md.append(String.format(Locale.ROOT, "`%s`: face crops (224x224 JPEG) of the Facebook/Meta Deepfake Detection"
                                + " Challenge (DFDC) training videos, one per video, balanced Real/Fake, split by source video."
                                + " Train %,d, validation %,d%s images. **DFDC data is for research use only, not commercial"
                                + " use; so is this model.**%n%n", o.data().getFileName(), data.train.images().size(),
                        data.val.images().size(), data.test == null ? "" : String.format(Locale.ROOT, ", test %,d (used only for"
                                + " this report)", data.test.images().size())));
            }
            md.append("## Recipe\n\n");
            md.append(String.format(Locale.ROOT, "- architecture: %s, input %d x %d, %s (the same preprocessing code as"
                            + " inference)%n", config.path("architectures").path(0).asText(), o.imageSize(), o.imageSize(),
                    pixels(bestDir)));
            md.append("heavy".equals(o.augment())
                    ? "- augmentation (heavy, real and fake alike): random resized crop (50-100% of the area, aspect"
                    + " 3/4-4/3), horizontal flip, colour jitter +-20% (p 0.5), Gaussian blur sigma 0.3-2.0 (p 0.3), one"
                    + " or two downscale-upscale steps at 0.3-0.9 (p 0.3), Gaussian noise sigma 1-8 (p 0.2), JPEG"
                    + " re-compression at quality 30-100 (p 0.6)\n"
                    : "- augmentation: random resized crop (50-100% of the area, aspect 3/4-4/3), horizontal flip, colour"
                    + " jitter +-10% (p 0.5), Gaussian blur (p 0.15), downscale-upscale (p 0.2), JPEG re-compression at"
                    + " quality 30-95 (p 0.35)\n");
            if (o.synthesize() != null) {
                md.append(String.format(Locale.ROOT, "- synthetic fakes from the real training faces: %s, %s (see"
                        + " dev.dfd.train.synth.Synthesis)%n", o.synthesize(), o.realOnly()
                        ? "every fake (no real fake of the data in training or validation)"
                        : String.format(Locale.ROOT, "%.0f%% of the fake draws", 100 * o.synthFraction())));
            }
            md.append(String.format(Locale.ROOT, "- AdamW (lr %s, weight decay %s, no decay on biases and norms), linear"
                            + " warm-up %.1f epochs then cosine decay, label smoothing %s, gradient clipping at norm %s,"
                            + " batch %d, class-balanced sampling, seed %d%n", o.learningRate(), o.weightDecay(),
                    o.warmupEpochs(), o.labelSmoothing(), o.clipNorm(), o.batchSize(), o.seed()));
            md.append(String.format(Locale.ROOT, "- %d epochs planned, %d run, best validation ROC AUC %s at epoch %d"
                            + " (kept); early stopping patience %d%n%n", o.epochs(), outcome.epochsDone(),
                    f(outcome.bestValAuc()), outcome.bestEpoch(), o.patience()));
            md.append("| epoch | train loss | val loss | val ROC AUC | val accuracy | images/s |\n|---|---|---|---|---|---|\n");
            for (ObjectNode h : history) {
                md.append(String.format(Locale.ROOT, "| %d | %s | %s | %s | %s | %.1f |%n", h.path("epoch").asInt(),
                        f(h.path("train_loss").asDouble()), f(h.path("val_loss").asDouble()),
                        f(h.path("val_auc").asDouble()), f(h.path("val_accuracy").asDouble()),
                        h.path("images_per_second").asDouble()));
            }
            md.append("\n## Reproduce\n\n```\n").append(command).append("\n```\n\n");
            md.append("## Limitations\n\n");
            md.append("- One frame, one face crop: video-level cues (temporal flicker, lip sync) are not used.\n");
            md.append(o.realOnly() ? "- Trained on synthetic fakes only." : o.faces()
                    ? "- Trained on the fakes of `" + o.data().getFileName() + "`." : "- Trained on DFDC's face swaps.")
                    .append(" Other generators (GAN faces, diffusion, face editing) and other")
                    .append(" capture conditions may score very differently: evaluate on data like yours with `dfd eval`")
                    .append(" before relying on it, and pick the threshold there.\n");
            md.append(o.wholeImages() ? "- Input is a whole image, squeezed to " + o.imageSize()
                    + " px without keeping the aspect ratio, as the ViT pipeline does.\n"
                    : "- Input is a face crop as `dfd_faces.json` declares: `dfd detect` finds the faces in a photo and"
                    + " cuts them; an image without a face gets no verdict.\n");
            md.append("- Scores are not calibrated probabilities (see the calibration error above).\n");
            md.append("- A detector's output is evidence, not proof: never the sole basis for accusing a person.\n");
            Files.writeString(bestDir.resolve("README.md"), md.toString());
            if (test != null) {
                Files.createDirectories(bestDir.resolve("eval"));
                Files.writeString(bestDir.resolve("eval/test_report.txt"), TextReport.render(test, 4));
            }
        } catch (IOException e) {
            throw new DfdException(bestDir + ": cannot write the model card (" + e.getMessage() + ")");
        }
        return md.toString();
    }

    private static long parameterCount(Path dir) {
        try (var f = dev.dfd.safetensors.SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            return f.tensors().values().stream().filter(t -> t.dtype().isFloat()
                    && !t.name().endsWith("running_mean") && !t.name().endsWith("running_var"))
                    .mapToLong(dev.dfd.safetensors.TensorInfo::elements).sum();
        }
    }

    private static Evaluation.Result evaluate(Detector d, Dataset ds, Double targetPrecision) {
        LabelMapping mapping = LabelMapping.of(ds.labels(), d.model().labels(), Map.of());
        return Evaluation.run(d, ds, mapping, new Evaluation.Options(targetPrecision, List.of()), null);
    }

    private static BinaryMetrics.OperatingPoint pointOnTest(Evaluation.Result test, Detector d, double threshold) {
        int positive = d.model().defaultPositiveIndex();
        boolean[] y = new boolean[test.scored().size()];
        double[] s = new double[y.length];
        for (int i = 0; i < y.length; i++) {
            y[i] = test.scored().get(i).trueId() == positive;
            s[i] = test.scored().get(i).scores()[positive];
        }
        return BinaryMetrics.at(y, s, threshold);
    }

    /** Where training started: from scratch, or fine-tuned from a checkpoint (naming the TFJS model it was imported from). */
    static String origin(Path init) {
        if (init == null) {
            return "Trained from scratch";
        }
        String from = "Fine-tuned from `" + init.getFileName() + "`";
        Path imported = init.resolve("dfd_tfjs_import.json");
        if (Files.isRegularFile(imported)) {
            ObjectNode record = Json.readObject(imported);
            from += String.format(Locale.ROOT, " (imported with `dfd import-tfjs` from the TensorFlow.js model `%s`, sha256"
                    + " %s)", Path.of(record.path("source").asText()).getFileName(), record.path("source_sha256").asText());
        }
        return from;
    }

    /** How the preprocessor scales pixels, from best/preprocessor_config.json. */
    static String pixels(Path bestDir) {
        var p = dev.dfd.internal.preprocess.PreprocessorConfig.read(
                bestDir.resolve(dev.dfd.internal.preprocess.PreprocessorConfig.FILE_NAME));
        String range = p.doRescale() ? String.format(Locale.ROOT, "pixels times %.6g", p.rescaleFactor())
                : "pixels 0-255";
        if (!p.doNormalize()) {
            return range;
        }
        return range + ", normalised with mean " + java.util.Arrays.toString(p.imageMean()) + " and std "
                + java.util.Arrays.toString(p.imageStd());
    }

    private static String f(double v) {
        return TextReport.f(v, 4);
    }
}
