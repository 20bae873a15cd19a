package dev.dfd.eval;

import dev.dfd.Decision;
import dev.dfd.DetectionResult.Detection;
import dev.dfd.DetectionResult.Failure;
import dev.dfd.DetectionResult;
import dev.dfd.Detector;
import dev.dfd.DfdException;
import dev.dfd.ImageSource;
import dev.dfd.ImageTransform;
import dev.dfd.eval.Dataset.LabeledImage;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Runs a detector over a labelled data set and computes {@link EvalMetrics}, streaming: images are decoded,
 * scored and handed to the listener one by one (predictions files and progress bars write as they go); only
 * labels and scores are kept, never pixels. Unreadable images are counted and excluded from the metrics.
 */
public final class Evaluation {
    /** Called on the evaluating thread for every image of the clean run, in data-set order. */
    public interface Listener {
        void onResult(int index, LabeledImage image, int trueId, DetectionResult result);
    }

    /**
     * @param targetPrecision find the lowest threshold reaching this precision (null: don't)
     * @param perturbations   re-run the data set under each, for the robustness table
     */
    public record Options(Double targetPrecision, List<Perturbation> perturbations) {
        public Options {
            perturbations = List.copyOf(perturbations);
            if (targetPrecision != null && (targetPrecision <= 0 || targetPrecision > 1)) {
                throw new dev.dfd.DfdException("target precision must be in (0, 1], got " + targetPrecision);
            }
        }
    }

    /**
     * One image that was scored: its data-set index, true and predicted label ids and every label's score; with a
     * face model, the box of the face that decided the verdict and how many faces were judged.
     *
     * @param face  the deciding face's box in the image's pixels, or null for a whole-image verdict
     * @param faces faces judged in the image (0 for a whole-image verdict)
     */
    public record Scored(int index, int trueId, int predId, float[] scores, dev.dfd.Face.Box face, int faces) {
        /** A whole-image verdict. */
        public Scored(int index, int trueId, int predId, float[] scores) {
            this(index, trueId, predId, scores, null, 0);
        }
    }

    /** One row of the robustness table. */
    public record RobustnessRow(String perturbation, int evaluated, int failed, double accuracy, double rocAuc,
                                double positiveRecall) {
    }

    /**
     * @param dataset     what was evaluated
     * @param metrics     metrics over the images that could be read
     * @param scored      per image: ids and scores (for predictions, galleries)
     * @param failures    images that could not be read or run, with reasons
     * @param noFace      images in which a face model found no face: not counted in the metrics, never as Real
     * @param robustness  the clean run first, then one row per perturbation (empty without perturbations)
     * @param seconds     wall time of the clean run
     */
    public record Result(Dataset dataset, EvalMetrics metrics, List<Scored> scored, List<Failure> failures,
                         List<String> noFace, List<RobustnessRow> robustness, double seconds) {
        public double imagesPerSecond() {
            return (scored.size() + failures.size() + noFace.size()) / Math.max(seconds, 1e-9);
        }
    }

    private Evaluation() {
    }

    /**
     * Evaluates {@code detector} on {@code dataset} with its default decision; see
     * {@link #run(Detector, Decision, Dataset, LabelMapping, Options, Listener)}.
     */
    public static Result run(Detector detector, Dataset dataset, LabelMapping mapping, Options options,
                             Listener listener) {
        return run(detector, null, dataset, mapping, options, listener);
    }

    /**
     * Evaluates {@code detector} on {@code dataset}, every image through the detector's one data path.
     *
     * <pre>{@code
     * Dataset data = Dataset.open(Path.of("faces"), "test");   // faces/test/{Real,Fake}/...
     * LabelMapping mapping = LabelMapping.of(data.labels(), detector.model().labels(), Map.of());
     * Result r = Evaluation.run(detector, null, data, mapping, new Options(null, List.of()), null);
     * System.out.println(r.metrics().rocAuc());
     * }</pre>
     *
     * @param decision the decision (threshold, positive label) predictions are made with; null for the default
     */
    public static Result run(Detector detector, Decision decision, Dataset dataset, LabelMapping mapping,
                             Options options, Listener listener) {
        return run(detector, decision, dataset, mapping, options, listener, Map.of());
    }

    /**
     * As {@link #run(Detector, Decision, Dataset, LabelMapping, Options, Listener)}, continuing an interrupted clean
     * pass: the images whose results are in {@code earlier} (keyed by image path, as the results name them) are not
     * run again and their results count as they are; {@code listener} hears only the images run now. Perturbation
     * passes always run every image.
     */
    public static Result run(Detector detector, Decision decision, Dataset dataset, LabelMapping mapping,
                             Options options, Listener listener, Map<String, DetectionResult> earlier) {
        if (detector.model().labels().size() < 2) {
            throw new DfdException(detector.model().files().config() + ": evaluation needs a model with at least 2"
                    + " labels");
        }
        Decision resolved = decision == null ? detector.defaultDecision() : decision.over(detector.defaultDecision());
        List<String> labels = detector.model().labels();
        int positive = labels.indexOf(resolved.positiveLabel());
        long start = System.nanoTime();
        Pass clean = pass(detector, resolved, dataset, mapping, null, listener, earlier);
        double seconds = (System.nanoTime() - start) / 1e9;
        EvalMetrics metrics = metrics(labels, positive, clean.scored(), options.targetPrecision());

        List<RobustnessRow> robustness = new ArrayList<>();
        if (!options.perturbations().isEmpty()) {
            robustness.add(row("none", metrics, clean.scored().size(), clean.failures().size()));
            for (Perturbation p : options.perturbations()) {
                ImageTransform transform = (image, source) -> p.apply(image, source.hashCode());
                // a face lost to the perturbation is no verdict and no failure, as in the clean row
                Pass perturbed = pass(detector, resolved, dataset, mapping, transform, null, Map.of());
                robustness.add(row(p.name(), metrics(labels, positive, perturbed.scored(), null),
                        perturbed.scored().size(), perturbed.failures().size()));
            }
        }
        return new Result(dataset, metrics, clean.scored(), clean.failures(), clean.noFace(), robustness, seconds);
    }

    /** The scored images, failures and images without a face of one pass over a data set. */
    public record Pass(List<Scored> scored, List<Failure> failures, List<String> noFace) {
    }

    /**
     * One pass over {@code dataset} through the detector's data path, with {@code transform} applied to each decoded
     * image (null for none): every image's label ids and scores, and the images that failed.
     */
    public static Pass score(Detector detector, Decision decision, Dataset dataset, LabelMapping mapping,
                             ImageTransform transform) {
        Decision resolved = decision == null ? detector.defaultDecision() : decision.over(detector.defaultDecision());
        return pass(detector, resolved, dataset, mapping, transform, null, Map.of());
    }

    /** One pass; the images in {@code earlier} keep their results and are not run (nor told to the listener). */
    private static Pass pass(Detector detector, Decision resolved, Dataset dataset, LabelMapping mapping,
                             ImageTransform transform, Listener listener, Map<String, DetectionResult> earlier) {
        List<String> labels = detector.model().labels();
        List<LabeledImage> images = dataset.images();
        int[] trueIds = new int[images.size()];
        for (int i = 0; i < images.size(); i++) {
            trueIds[i] = mapping.id(images.get(i).label());
        }
        List<Scored> scored = new ArrayList<>();
        List<Failure> failures = new ArrayList<>();
        List<String> noFace = new ArrayList<>();
        runResuming(detector, resolved, images, transform, earlier, (index, result, fresh) -> {
            if (result instanceof Detection d) {
                DetectionResult.FaceVerdict deciding = d.decidingFace();
                scored.add(new Scored(index, trueIds[index], labels.indexOf(d.label()), d.prediction().scores(),
                        deciding == null ? null : deciding.face().box(), d.faces().size()));
            } else if (result instanceof Failure f) {
                failures.add(f);
            } else {
                noFace.add(result.source());
            }
            if (listener != null && fresh) {
                listener.onResult(index, images.get(index), trueIds[index], result);
            }
        });
        return new Pass(scored, failures, noFace);
    }

    private interface ResumingSink {
        void accept(int index, DetectionResult result, boolean fresh);
    }

    /** Every image's result in data-set order: from {@code earlier} when there, else run now (fresh). */
    private static void runResuming(Detector detector, Decision decision, List<LabeledImage> images,
                                    ImageTransform transform, Map<String, DetectionResult> earlier, ResumingSink sink) {
        List<Integer> toRun = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            if (!earlier.containsKey(images.get(i).path().toString())) {
                toRun.add(i);
            }
        }
        int[] ran = {0};
        int[] emitted = {0}; // the next data-set index to hand to the sink
        Iterator<ImageSource> sources = toRun.stream().map(i -> ImageSource.of(images.get(i).path())).iterator();
        detector.detectAll(sources, decision, transform, r -> {
            int index = toRun.get(ran[0]++);
            for (; emitted[0] < index; emitted[0]++) {
                sink.accept(emitted[0], earlier.get(images.get(emitted[0]).path().toString()), false);
            }
            sink.accept(index, r, true);
            emitted[0] = index + 1;
        });
        for (; emitted[0] < images.size(); emitted[0]++) {
            sink.accept(emitted[0], earlier.get(images.get(emitted[0]).path().toString()), false);
        }
    }

    private static EvalMetrics metrics(List<String> labels, int positive, List<Scored> scored,
                                       Double targetPrecision) {
        int n = scored.size();
        int[] yTrue = new int[n];
        int[] yPred = new int[n];
        float[][] scores = new float[n][];
        for (int i = 0; i < n; i++) {
            yTrue[i] = scored.get(i).trueId();
            yPred[i] = scored.get(i).predId();
            scores[i] = scored.get(i).scores();
        }
        return EvalMetrics.compute(labels, positive, yTrue, yPred, scores, targetPrecision);
    }

    private static RobustnessRow row(String name, EvalMetrics m, int evaluated, int failed) {
        return new RobustnessRow(name, evaluated, failed, m.accuracy(), m.rocAuc(), m.positiveRecall());
    }
}
