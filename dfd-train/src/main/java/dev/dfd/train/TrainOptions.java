package dev.dfd.train;

import java.nio.file.Path;

/**
 * Everything that decides a training run; saved in the checkpoint so {@code --resume} continues the same run.
 *
 * @param data            ImageFolder root with train/ and val/ (and test/), or a CSV manifest with a split column
 * @param out             run directory
 * @param init            a Hugging Face checkpoint directory to fine-tune from, or null to train from scratch
 * @param configFile      a config.json for the architecture (ResNet basic or ViT), or null for the compact ResNet
 * @param imageSize       training and inference resolution (square)
 * @param epochs          planned epochs (the cosine schedule spans them)
 * @param batchSize       images per step
 * @param learningRate    peak learning rate
 * @param weightDecay     AdamW's decoupled weight decay
 * @param warmupEpochs    linear warm-up length
 * @param labelSmoothing  label smoothing epsilon
 * @param clipNorm        gradient clipping by global norm
 * @param patience        early stopping: epochs without a better validation ROC AUC
 * @param seed            makes a run repeatable
 * @param workers         image loading threads
 * @param maxStepsPerEpoch cap on steps per epoch (0: the whole training split); for smoke tests and quick runs
 * @param checkpointSteps also checkpoint every this many steps (0: only at epoch ends and on Ctrl-C)
 * @param synthesize      synthetic fakes made from real training faces: a comma-separated list of blend, upsample,
 *                        retouch (see dev.dfd.train.synth.Synthesis); null or empty for none
 * @param synthFraction   share of the fake draws that are synthetic (the rest are the data's own fakes)
 * @param wholeImages     the data are whole images, not face crops made like DFDC's: the model then declares no face
 *                        input (otherwise best/ gets dfd_faces.json with the DFDC crop geometry)
 * @param realOnly        train without the data's fakes: every fake is synthetic, and validation uses the
 *                        validation split's real faces with synthetic fakes made from them (so no real fake of the
 *                        data set is seen, even to choose the epoch)
 * @param augment         "standard" (or null) or "heavy": how often and how hard training images are degraded (see
 *                        Augmenter.Strength)
 * @param faces           the data are raw photos or video frames: each training and validation image goes through the
 *                        face stage of detection (the most confident face, cut as best/dfd_faces.json will declare);
 *                        images without a face are skipped and counted
 */
public record TrainOptions(Path data, Path out, Path init, Path configFile, int imageSize, int epochs, int batchSize,
                           double learningRate, double weightDecay, double warmupEpochs, double labelSmoothing,
                           double clipNorm, int patience, long seed, int workers, int maxStepsPerEpoch,
                           int checkpointSteps, String synthesize, double synthFraction, boolean realOnly,
                           boolean wholeImages, String augment, boolean faces) {
    /** Data that are already face crops (or whole images). */
    public TrainOptions(Path data, Path out, Path init, Path configFile, int imageSize, int epochs, int batchSize,
                        double learningRate, double weightDecay, double warmupEpochs, double labelSmoothing,
                        double clipNorm, int patience, long seed, int workers, int maxStepsPerEpoch,
                        int checkpointSteps, String synthesize, double synthFraction, boolean realOnly,
                        boolean wholeImages, String augment) {
        this(data, out, init, configFile, imageSize, epochs, batchSize, learningRate, weightDecay, warmupEpochs,
                labelSmoothing, clipNorm, patience, seed, workers, maxStepsPerEpoch, checkpointSteps, synthesize,
                synthFraction, realOnly, wholeImages, augment, false);
    }

    /** With the standard augmentation. */
    public TrainOptions(Path data, Path out, Path init, Path configFile, int imageSize, int epochs, int batchSize,
                        double learningRate, double weightDecay, double warmupEpochs, double labelSmoothing,
                        double clipNorm, int patience, long seed, int workers, int maxStepsPerEpoch,
                        int checkpointSteps, String synthesize, double synthFraction, boolean realOnly,
                        boolean wholeImages) {
        this(data, out, init, configFile, imageSize, epochs, batchSize, learningRate, weightDecay, warmupEpochs,
                labelSmoothing, clipNorm, patience, seed, workers, maxStepsPerEpoch, checkpointSteps, synthesize,
                synthFraction, realOnly, wholeImages, null, false);
    }

    /** Without synthetic fakes. */
    public TrainOptions(Path data, Path out, Path init, Path configFile, int imageSize, int epochs, int batchSize,
                        double learningRate, double weightDecay, double warmupEpochs, double labelSmoothing,
                        double clipNorm, int patience, long seed, int workers, int maxStepsPerEpoch,
                        int checkpointSteps) {
        this(data, out, init, configFile, imageSize, epochs, batchSize, learningRate, weightDecay, warmupEpochs,
                labelSmoothing, clipNorm, patience, seed, workers, maxStepsPerEpoch, checkpointSteps, null, 0, false,
                false);
    }

    public TrainOptions {
        if (faces && wholeImages) {
            // one says "judge whole images", the other "find the faces": a model cannot declare both
            throw new IllegalArgumentException("--faces and --whole-images exclude each other: --faces cuts the faces"
                    + " out of photos, --whole-images trains on the whole picture");
        }
        if (synthesize != null && synthesize.isBlank()) {
            synthesize = null;
        }
        if (synthesize != null) {
            dev.dfd.train.synth.Synthesis.Kind.parseList(synthesize); // an unknown kind fails here
        }
        augment = Augmenter.Strength.parse(augment).name().toLowerCase(java.util.Locale.ROOT); // unknown fails here
        if (!(synthFraction >= 0 && synthFraction <= 1)) {
            throw new IllegalArgumentException("the synthetic share of fakes must be in [0, 1]");
        }
        if (realOnly && synthesize == null) {
            throw new IllegalArgumentException("training on real images only needs synthetic fakes (--synthesize)");
        }
        if (epochs < 1 || batchSize < 1 || imageSize < 16 || workers < 1) {
            throw new IllegalArgumentException("epochs, batch size and workers must be positive, image size >= 16");
        }
        if (learningRate <= 0 || weightDecay < 0 || labelSmoothing < 0 || labelSmoothing >= 1 || clipNorm <= 0) {
            throw new IllegalArgumentException("invalid optimiser settings");
        }
    }
}
