package dev.dfd.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.DfdException;
import dev.dfd.eval.BinaryMetrics;
import dev.dfd.internal.Json;
import dev.dfd.internal.face.FaceCrop;
import dev.dfd.internal.preprocess.ImageProcessor;
import dev.dfd.internal.preprocess.PreprocessorConfig;
import dev.dfd.safetensors.ShardedSafetensors;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The training loop: class-balanced batches with augmentation, AdamW with linear warm-up then cosine decay, label
 * smoothing, gradient clipping; validation ROC AUC after every epoch, the best model exported as a Hugging Face
 * directory with ONNX weights, early stopping; a checkpoint after every epoch, every {@code checkpointSteps} steps
 * and on interruption, from which {@link #resume} continues the same run.
 */
public final class Trainer {
    static final String CHECKPOINT = "checkpoint";
    static final String BEST = "best";

    private final TrainOptions o;
    private final PrintStream log;
    private final AtomicBoolean stop = new AtomicBoolean();
    /** The data set and per-epoch history of the last {@link #run}, for its model card. */
    private TrainData lastData;
    private List<ObjectNode> lastHistory = List.of();

    /** What a finished (or stopped) run produced. */
    public record Outcome(int epochsDone, double bestValAuc, int bestEpoch, Path bestDir, boolean stopped,
                          boolean earlyStopped) {
    }

    public Trainer(TrainOptions options, PrintStream log) {
        this.o = options;
        this.log = log;
    }

    /** Asks the loop to checkpoint and return after the current step (Ctrl-C). */
    public void requestStop() {
        stop.set(true);
    }

    /** Reads the options a run was started with, to continue it. */
    public static TrainOptions savedOptions(Path run) {
        Path args = run.resolve("train_args.json");
        if (!Files.isRegularFile(args)) {
            throw new DfdException(run + ": not a dfd training run (no train_args.json)");
        }
        try {
            return Json.MAPPER.readValue(args.toFile(), TrainOptions.class);
        } catch (IOException e) {
            throw new DfdException(args + ": unreadable (" + e.getMessage() + ")");
        }
    }

    /** Trains, then (unless stopped) evaluates the best model and writes its model card. */
    public Outcome runAndDocument(String command) {
        Outcome outcome = run();
        if (!outcome.stopped() && java.nio.file.Files.isDirectory(outcome.bestDir())) {
            log.println("evaluating the best model (epoch " + outcome.bestEpoch() + ") and writing its model card");
            ModelCard.write(outcome.bestDir(), o, outcome, lastData, lastHistory, command);
        }
        return outcome;
    }

    public Outcome run() {
        System.setProperty("ai.djl.offline", "true");
        NativeSetup.pytorch(); // caps oneDNN at AVX2 (see NativeSetup) before anything loads the native library
        try {
            Files.createDirectories(o.out());
            Path args = o.out().resolve("train_args.json");
            if (!Files.exists(args)) {
                Files.writeString(args, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(o));
            }
        } catch (IOException e) {
            throw new DfdException(o.out() + ": cannot write (" + e.getMessage() + ")");
        }
        List<String> initLabels = o.init() == null ? null
                : dev.dfd.internal.model.ModelConfig.read(o.init().resolve("config.json")).labels();
        TrainData data;
        if (o.faces()) {
            try (FaceCrops faces = new FaceCrops(declaredCrop(o), o.out().resolve(FaceCrops.DIR))) {
                data = TrainData.open(o.data(), initLabels, faces, o.workers(), log);
            } // the face detector's session is freed before training starts
            log.println("faces: " + faceless(data) + "; the others train on their most confident face (crops in "
                    + o.out().resolve(FaceCrops.DIR) + ")");
        } else {
            data = TrainData.open(o.data(), initLabels);
        }
        if (o.synthesize() != null) {
            data.synthesize(dev.dfd.train.synth.Synthesis.Kind.parseList(o.synthesize()), o.synthFraction(),
                    o.realOnly());
            log.printf(Locale.ROOT, "synthetic fakes: %s, %s%n", o.synthesize(), o.realOnly()
                    ? "every fake (no real fake is used, in training or validation)"
                    : String.format(Locale.ROOT, "%.0f%% of the fake draws", 100 * o.synthFraction()));
        }
        lastData = data;
        log.printf(Locale.ROOT, "data: train %d images %s, val %d%s; labels %s%n", data.train.images().size(),
                counts(data), data.val.images().size(), data.test == null ? "" : ", test " + data.test.images().size(),
                data.labels);
        PreprocessorConfig pre = preprocessor();
        ImageProcessor processor = new ImageProcessor(pre);
        try (TrainableModel model = Models.create(o, data.labels)) {
            Checkpoint state = Checkpoint.load(o.out().resolve(CHECKPOINT), model);
            if (state == null) {
                state = new Checkpoint();
                initialise(model, data.labels);
                if (model.needsBatchNormStatistics()) {
                    measureBatchNorm(model, data, processor);
                }
            } else {
                model.useBatchStatistics(); // the checkpoint holds the statistics measured when the run began
                log.printf("resuming at epoch %d, step %d (best val AUC %.4f at epoch %d)%n", state.epoch + 1,
                        state.stepInEpoch, state.bestAuc, state.bestEpoch);
            }
            AdamW adam = new AdamW(model.weights().parameters());
            state.restoreOptimizer(adam);
            lastHistory = state.history;
            Outcome outcome = loop(model, data, processor, pre, adam, state);
            if (o.faces()) {
                log.println("faces: " + faceless(data)); // again at the end, where a long run's log is read
            }
            return outcome;
        } finally {
            data.close();
        }
    }

    /**
     * The face crop the model will declare and, with --faces, the one the photos are cut with: the DFDC geometry
     * (what models/default and training on DFDC crops declare), cut at least at --image-size so that the trainer,
     * like detection, only ever reduces it to the model's input; null for whole images.
     */
    static FaceCrop declaredCrop(TrainOptions o) {
        if (o.wholeImages()) {
            return null;
        }
        FaceCrop d = FaceCrop.DFDC;
        if (!o.faces()) {
            return d; // the data are DFDC's 224 x 224 crops, whatever size the model is trained at
        }
        int w = Math.max(d.width(), o.imageSize());
        int h = Math.max(d.height(), o.imageSize());
        return new FaceCrop(d.detector(), d.square(), d.scale(), d.centerY(), d.rotate(), w, h, d.fill());
    }

    /** "N training and M validation images without a face, skipped". */
    static String faceless(TrainData d) {
        return String.format(Locale.ROOT, "%d training and %d validation images without a face, skipped",
                d.facelessTrain, d.facelessVal);
    }

    private static String counts(TrainData d) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < d.labels.size(); i++) {
            sb.append(i > 0 ? ", " : "").append(d.labels.get(i)).append(' ').append(d.byClass.get(i).size());
        }
        return sb.append(')').toString();
    }

    private PreprocessorConfig preprocessor() {
        if (o.init() != null && Files.isRegularFile(o.init().resolve(PreprocessorConfig.FILE_NAME))) {
            PreprocessorConfig p = PreprocessorConfig.read(o.init().resolve(PreprocessorConfig.FILE_NAME));
            int[] hw = p.fixedOutputSize();
            if (hw == null || hw[0] != o.imageSize() || hw[1] != o.imageSize()) {
                throw new DfdException(o.init() + ": its preprocessor makes " + (hw == null ? "variable" : hw[0] + "x"
                        + hw[1]) + " images, but --image-size is " + o.imageSize());
            }
            return p;
        }
        return PreprocessorConfig.vitDefaults(o.imageSize());
    }

    /** Training images BatchNorm's statistics are measured on, before a run from an import with folded BatchNorm. */
    static final int BATCH_NORM_IMAGES = 512;

    private void measureBatchNorm(TrainableModel model, TrainData data, ImageProcessor processor) {
        int n = Math.min(BATCH_NORM_IMAGES, data.train.images().size());
        List<Integer> order = data.epochOrder(o.seed(), -1, n);
        List<NDArray> batches = new ArrayList<>();
        NDManager manager = model.weights().manager();
        try (TrainData.Loader loader = new TrainData.Loader(data, data.train, processor, null, o.imageSize(), o.workers());
             NDManager scope = manager.newSubManager()) {
            int images = 0;
            for (int from = 0; from < n; from += o.batchSize()) {
                TrainData.Batch b = await(loader.submit(order, from, Math.min(n, from + o.batchSize()), o.seed(), -1));
                if (b.count() > 0) {
                    batches.add(scope.create(b.pixels(), new Shape(b.count(), 3, o.imageSize(), o.imageSize())));
                    images += b.count();
                }
            }
            model.measureBatchNorm(batches);
            log.printf("BatchNorm statistics measured on %d training images (the checkpoint's were folded into its"
                    + " convolutions); BatchNorm now trains on batch statistics%n", images);
        }
    }

    private void initialise(TrainableModel model, List<String> labels) {
        if (o.init() == null) {
            return;
        }
        List<String> initLabels = dev.dfd.internal.model.ModelConfig.read(o.init().resolve("config.json")).labels();
        Set<String> skip = initLabels.equals(labels) ? Set.of() : new HashSet<>(model.head());
        try (ShardedSafetensors weights = ShardedSafetensors.open(o.init())) {
            List<String> missing = model.weights().load(weights, skip);
            log.printf("initialised from %s%s%s%n", o.init(), skip.isEmpty() ? "" : " (new classifier head for labels "
                    + labels + ")", missing.isEmpty() ? "" : "; not in the checkpoint, kept fresh: " + missing);
        }
    }

    private Outcome loop(TrainableModel model, TrainData data, ImageProcessor processor, PreprocessorConfig pre,
                         AdamW adam, Checkpoint state) {
        int stepsPerEpoch = Math.max(1, data.train.images().size() / o.batchSize());
        if (o.maxStepsPerEpoch() > 0) {
            stepsPerEpoch = Math.min(stepsPerEpoch, o.maxStepsPerEpoch());
        }
        long totalSteps = (long) stepsPerEpoch * o.epochs();
        long warmup = Math.max(1, Math.round(o.warmupEpochs() * stepsPerEpoch));
        Map<String, NDArray> params = model.weights().parameters();
        Set<String> decays = new HashSet<>();
        params.keySet().stream().filter(model::decays).forEach(decays::add);
        NDManager manager = model.weights().manager();
        Augmenter augmenter = new Augmenter(o.imageSize(), Augmenter.Strength.parse(o.augment()));
        boolean early = false;
        try (TrainData.Loader loader = new TrainData.Loader(data, data.train, processor, augmenter, o.imageSize(),
                o.workers())) {
            for (int epoch = state.epoch; epoch < o.epochs(); epoch++) {
                List<Integer> order = data.epochOrder(o.seed(), epoch, stepsPerEpoch * o.batchSize());
                ArrayDeque<Future<TrainData.Batch>> queue = new ArrayDeque<>();
                int next = state.stepInEpoch;
                long epochStart = System.nanoTime();
                int images = 0;
                int skipped = 0;
                double lossSum = 0;
                int lossCount = 0;
                for (int step = state.stepInEpoch; step < stepsPerEpoch; step++) {
                    while (queue.size() < 3 && next < stepsPerEpoch) {
                        queue.add(loader.submit(order, next * o.batchSize(), (next + 1) * o.batchSize(), o.seed(), epoch));
                        next++;
                    }
                    TrainData.Batch batch = await(queue.poll());
                    if (batch.count() == 0) {
                        continue;
                    }
                    double lr = learningRate(state.globalStep, warmup, totalSteps);
                    double loss;
                    double gradNorm = Double.NaN;
                    String diagnosis = "";
                    Map<String, float[]> buffers = bufferSnapshot(model);
                    try (NDScope scope = new NDScope()) {
                        NDArray x = manager.create(batch.pixels(), new Shape(batch.count(), 3, o.imageSize(), o.imageSize()));
                        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                            NDArray logits = model.forward(x, true);
                            NDArray l = smoothedCrossEntropy(logits, batch.labels(), manager);
                            gc.backward(l);
                            loss = l.getFloat();
                            if (!Double.isFinite(loss)) {
                                diagnosis = "input finite: " + !(x.isNaN().any().getBoolean() || x.isInfinite().any().getBoolean())
                                        + ", input range [" + x.min().getFloat() + ", " + x.max().getFloat() + "]"
                                        + ", logits finite: " + !(logits.isNaN().any().getBoolean()
                                        || logits.isInfinite().any().getBoolean()) + ", java pixels finite: "
                                        + finite(batch.pixels()) + ", first bad weight: " + firstBad(model);
                            }
                        }
                        if (Double.isFinite(loss)) {
                            gradNorm = adam.update(params, decays, lr, o.weightDecay(), o.clipNorm());
                        } else {
                            AdamW.zeroGradients(params);
                        }
                        scope.suppressNotUsedWarning();
                    }
                    if (!Double.isFinite(loss) || !Double.isFinite(gradNorm)) {
                        // a non-finite step is skipped and counted; the run stops if it keeps happening or the
                        // weights themselves are no longer finite
                        skipped++;
                        state.skippedSteps++;
                        restoreBuffers(model, buffers);
                        log.println("\nnon-finite step " + (step + 1) + ": loss " + loss + ", gradient norm " + gradNorm
                                + (diagnosis.isEmpty() ? "" : "; " + diagnosis));
                        if (skipped >= 20 || !finite(model)) {
                            state.epoch = epoch;
                            throw new DfdException("training diverged at epoch " + (epoch + 1) + " step " + (step + 1)
                                    + " (loss " + loss + ", gradient norm " + gradNorm + "); lower --lr and --resume is"
                                    + " not advised: restart with a lower learning rate");
                        }
                        continue;
                    }
                    skipped = 0;
                    state.globalStep++;
                    state.stepInEpoch = step + 1;
                    images += batch.count();
                    lossSum += loss;
                    lossCount++;
                    progress(epoch, step + 1, stepsPerEpoch, lossSum / lossCount, images, epochStart, lr);
                    if (stop.get()) {
                        state.epoch = epoch;
                        state.save(o.out().resolve(CHECKPOINT), model, adam);
                        log.printf("%nstopped: checkpoint at epoch %d step %d; continue with --resume %s%n", epoch + 1,
                                step + 1, o.out());
                        return new Outcome(epoch, state.bestAuc, state.bestEpoch, o.out().resolve(BEST), true, false);
                    }
                    if (o.checkpointSteps() > 0 && state.globalStep % o.checkpointSteps() == 0) {
                        state.epoch = epoch;
                        state.save(o.out().resolve(CHECKPOINT), model, adam);
                    }
                }
                double seconds = (System.nanoTime() - epochStart) / 1e9;
                Validation v = validate(model, data, processor);
                boolean better = v.auc > state.bestAuc || state.bestEpoch == 0;
                if (better) {
                    state.bestAuc = v.auc;
                    state.bestEpoch = epoch + 1;
                    state.sinceBest = 0;
                    ModelExport.writeModelDir(model, pre, o.out().resolve(BEST), declaredCrop(o));
                } else {
                    state.sinceBest++;
                }
                ObjectNode row = Json.MAPPER.createObjectNode();
                row.put("epoch", epoch + 1).put("train_loss", lossCount == 0 ? Double.NaN : lossSum / lossCount)
                        .put("val_loss", v.loss).put("val_auc", v.auc).put("val_accuracy", v.accuracy)
                        .put("lr", learningRate(state.globalStep, warmup, totalSteps)).put("images", images)
                        .put("images_per_second", images / seconds).put("seconds", seconds)
                        .put("unreadable_images", data.unreadable.get()).put("skipped_steps", state.skippedSteps)
                        .put("best", better);
                if (o.faces()) {
                    row.put("faceless_images", data.facelessTrain + data.facelessVal);
                }
                state.history.add(row);
                MetricsLog.append(o.out(), row);
                log.printf(Locale.ROOT, "%nepoch %d/%d: train loss %.4f, val loss %.4f, val AUC %.4f, val accuracy %.4f,"
                                + " %.1f images/s%s%n", epoch + 1, o.epochs(), row.get("train_loss").asDouble(), v.loss,
                        v.auc, v.accuracy, images / seconds, better ? " (best so far)" : "");
                state.epoch = epoch + 1;
                state.stepInEpoch = 0;
                state.save(o.out().resolve(CHECKPOINT), model, adam);
                if (o.patience() > 0 && state.sinceBest >= o.patience()) {
                    log.printf("early stop: no better validation AUC for %d epochs%n", state.sinceBest);
                    early = true;
                    break;
                }
            }
        }
        return new Outcome(state.epoch, state.bestAuc, state.bestEpoch, o.out().resolve(BEST), false, early);
    }

    /** BatchNorm running statistics before a step (small), to undo a step that turned out non-finite. */
    private static Map<String, float[]> bufferSnapshot(TrainableModel model) {
        Map<String, float[]> copy = new LinkedHashMap<>();
        model.weights().all().forEach((name, a) -> {
            if (model.weights().isBuffer(name)) {
                copy.put(name, a.toFloatArray());
            }
        });
        return copy;
    }

    private static void restoreBuffers(TrainableModel model, Map<String, float[]> copy) {
        copy.forEach((name, values) -> model.weights().get(name).set(values));
    }

    private static boolean finite(float[] v) {
        for (float f : v) {
            if (!Float.isFinite(f)) {
                return false;
            }
        }
        return true;
    }

    private static String firstBad(TrainableModel model) {
        for (Map.Entry<String, NDArray> e : model.weights().all().entrySet()) {
            if (e.getValue().isNaN().any().getBoolean() || e.getValue().isInfinite().any().getBoolean()) {
                return e.getKey();
            }
        }
        return "none";
    }

    private static boolean finite(TrainableModel model) {
        for (NDArray a : model.weights().parameters().values()) {
            try (NDScope scope = new NDScope()) {
                boolean ok = a.isInfinite().any().getBoolean() || a.isNaN().any().getBoolean();
                scope.suppressNotUsedWarning();
                if (ok) {
                    return false;
                }
            }
        }
        return true;
    }

    private static TrainData.Batch await(Future<TrainData.Batch> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DfdException("interrupted");
        } catch (ExecutionException e) {
            throw new DfdException("loading a batch failed: " + e.getCause(), e.getCause());
        }
    }

    /** Linear warm-up to the peak, then cosine decay to zero over the planned steps. */
    double learningRate(long step, long warmup, long total) {
        if (step < warmup) {
            return o.learningRate() * (step + 1) / warmup;
        }
        double progress = Math.min(1.0, (double) (step - warmup) / Math.max(1, total - warmup));
        return o.learningRate() * 0.5 * (1 + Math.cos(Math.PI * progress));
    }

    /** Cross-entropy against (1 - eps) one-hot + eps / K; mean over the batch. */
    NDArray smoothedCrossEntropy(NDArray logits, int[] labels, NDManager manager) {
        int k = (int) logits.getShape().get(1);
        float[] target = new float[labels.length * k];
        double eps = o.labelSmoothing();
        for (int i = 0; i < labels.length; i++) {
            for (int j = 0; j < k; j++) {
                target[i * k + j] = (float) ((j == labels[i] ? 1 - eps : 0) + eps / k);
            }
        }
        NDArray t = manager.create(target, new Shape(labels.length, k));
        return logits.logSoftmax(1).mul(t).sum(new int[]{1}).mean().neg();
    }

    private void progress(int epoch, int step, int steps, double loss, int images, long start, double lr) {
        double seconds = (System.nanoTime() - start) / 1e9;
        double rate = images / Math.max(seconds, 1e-9);
        long eta = Math.round((steps - step) * (seconds / Math.max(step, 1)));
        log.printf(Locale.ROOT, "\repoch %d/%d step %d/%d loss %.4f lr %.2e %.1f img/s ETA %d:%02d   ", epoch + 1,
                o.epochs(), step, steps, loss, lr, rate, eta / 60, eta % 60);
        log.flush();
    }

    private record Validation(double auc, double accuracy, double loss) {
    }

    /** ROC AUC (positive = the last label), accuracy and loss on the validation split, without augmentation. */
    private Validation validate(TrainableModel model, TrainData data, ImageProcessor processor) {
        NDManager manager = model.weights().manager();
        List<Integer> all = data.validationOrder();
        int positive = dev.dfd.internal.postprocess.Postprocessor.defaultPositive(data.labels);
        List<Boolean> y = new ArrayList<>();
        List<Double> score = new ArrayList<>();
        double lossSum = 0;
        int correct = 0;
        try (TrainData.Loader loader = new TrainData.Loader(data, data.val, processor, null, o.imageSize(), o.workers())) {
            int bs = 64;
            ArrayDeque<Future<TrainData.Batch>> queue = new ArrayDeque<>();
            int next = 0;
            while (next * bs < all.size() || !queue.isEmpty()) {
                while (queue.size() < 3 && next * bs < all.size()) {
                    queue.add(loader.submit(all, next * bs, Math.min(all.size(), (next + 1) * bs), o.seed(), -1));
                    next++;
                }
                TrainData.Batch b = await(queue.poll());
                if (b.count() == 0) {
                    continue;
                }
                try (NDScope scope = new NDScope()) {
                    NDArray x = manager.create(b.pixels(), new Shape(b.count(), 3, o.imageSize(), o.imageSize()));
                    NDArray logits = model.forward(x, false);
                    float[] p = logits.softmax(1).toFloatArray();
                    float[] lp = logits.logSoftmax(1).toFloatArray();
                    int k = data.labels.size();
                    for (int i = 0; i < b.count(); i++) {
                        int best = 0;
                        for (int j = 1; j < k; j++) {
                            best = p[i * k + j] > p[i * k + best] ? j : best;
                        }
                        correct += best == b.labels()[i] ? 1 : 0;
                        lossSum -= lp[i * k + b.labels()[i]];
                        y.add(b.labels()[i] == positive);
                        score.add((double) p[i * k + positive]);
                    }
                    scope.suppressNotUsedWarning();
                }
            }
        }
        boolean[] yy = new boolean[y.size()];
        double[] ss = new double[y.size()];
        for (int i = 0; i < yy.length; i++) {
            yy[i] = y.get(i);
            ss[i] = score.get(i);
        }
        return new Validation(BinaryMetrics.rocAuc(yy, ss), (double) correct / Math.max(1, yy.length),
                lossSum / Math.max(1, yy.length));
    }


}
