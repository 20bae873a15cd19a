package dev.dfd.internal.postprocess;

import dev.dfd.LabelScore;
import dev.dfd.Prediction;
import dev.dfd.ScoreFunction;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Logits to a {@link Prediction}, as the transformers image-classification pipeline postprocesses (scores, sort,
 * top_k capped at the number of labels), plus dfd's decision on a positive label and optional threshold.
 */
public final class Postprocessor {
    /** Labels that mean "not a real photo". */
    private static final Pattern POSITIVE_NAME = Pattern.compile(
            "(?i).*(fake|deepfake|synthetic|generated|artificial|spoof|manipulated).*|(?i)ai([ _-].*)?");

    private final List<String> labels;
    private final ScoreFunction function;
    private final int topK;
    private final int positiveIndex;
    private final Double threshold;

    /**
     * @param labels    id-ordered labels
     * @param function  how logits become scores
     * @param topK      how many predictions to list; capped at the number of labels
     * @param positive  the positive label's name, or null for {@link #defaultPositive}
     * @param threshold decide "positive" when its score is at least this; null for argmax
     */
    public Postprocessor(List<String> labels, ScoreFunction function, int topK, String positive, Double threshold) {
        if (topK < 1) {
            throw new dev.dfd.DfdException("top-k must be at least 1, got " + topK);
        }
        this.labels = List.copyOf(labels);
        this.function = function;
        this.topK = Math.min(topK, labels.size());
        this.positiveIndex = positive == null ? defaultPositive(labels) : indexOf(labels, positive);
        this.threshold = threshold;
    }

    /** The label that reads Fake/Deepfake/AI/Synthetic..., else label 1 (label 0 for a single-label model). */
    public static int defaultPositive(List<String> labels) {
        for (int i = 0; i < labels.size(); i++) {
            if (POSITIVE_NAME.matcher(labels.get(i).trim()).matches()) {
                return i;
            }
        }
        return labels.size() > 1 ? 1 : 0;
    }

    /** Index of a label, matched exactly, then ignoring case. */
    public static int indexOf(List<String> labels, String name) {
        int i = labels.indexOf(name);
        if (i >= 0) {
            return i;
        }
        for (int j = 0; j < labels.size(); j++) {
            if (labels.get(j).equalsIgnoreCase(name)) {
                return j;
            }
        }
        throw new dev.dfd.DfdException("unknown label '" + name + "', the model's labels are " + labels);
    }

    public ScoreFunction function() {
        return function;
    }

    public String positiveLabel() {
        return labels.get(positiveIndex);
    }

    public int positiveIndex() {
        return positiveIndex;
    }

    public Double threshold() {
        return threshold;
    }

    public int topK() {
        return topK;
    }

    public List<String> labels() {
        return labels;
    }

    public Prediction apply(float[] logits) {
        if (logits.length != labels.size()) {
            throw new dev.dfd.DfdException("model gave " + logits.length + " logits for " + labels.size()
                    + " labels " + labels);
        }
        float[] scores = function.apply(logits);
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        // stable sort, descending score: ties keep label-id order, as Python's sorted(reverse=True) does
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> scores[i]).reversed());
        List<LabelScore> top = new ArrayList<>(topK);
        for (int k = 0; k < topK; k++) {
            top.add(new LabelScore(labels.get(order[k]), scores[order[k]]));
        }
        int decided = order[0];
        if (threshold != null) {
            if (scores[positiveIndex] >= threshold) {
                decided = positiveIndex;
            } else {
                decided = order[0] != positiveIndex ? order[0] : (order.length > 1 ? order[1] : positiveIndex);
            }
            if (labels.size() == 1 && scores[positiveIndex] < threshold) {
                decided = -1; // a single-label model below threshold: "not <label>"
            }
        }
        String label = decided >= 0 ? labels.get(decided) : "not " + labels.get(positiveIndex);
        return new Prediction(label, scores[positiveIndex], labels.get(positiveIndex), top, scores, logits.clone());
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "Postprocessor[%s, top_k=%d, positive=%s, threshold=%s]",
                function.id(), topK, positiveLabel(), threshold == null ? "argmax" : threshold);
    }
}
