package dev.dfd;

import dev.dfd.internal.model.OnnxClassifier;
import dev.dfd.internal.model.PixelBatch;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one batch runner of the data path: groups model inputs by size, packs each group into one
 * (batch, 3, H, W) call of the classifier and hands back every input's logits, or the one-line reason its group
 * failed. {@link Detector#detectAll} and {@link BatchingDetector} both run their batches here.
 */
final class InferenceRunner {
    /** One input's outcome: its logits (num_labels), or an error. */
    record Outcome(float[] logits, String error) {
    }

    private final OnnxClassifier classifier;

    InferenceRunner(OnnxClassifier classifier) {
        this.classifier = classifier;
    }

    /** Outcomes in input order; one call per distinct input size (fixed-size models: one call). */
    Outcome[] run(List<ModelInput> inputs, BatchingDetector.Listener listener) {
        Outcome[] out = new Outcome[inputs.size()];
        Map<Long, List<Integer>> bySize = new LinkedHashMap<>();
        for (int i = 0; i < inputs.size(); i++) {
            ModelInput in = inputs.get(i);
            bySize.computeIfAbsent(((long) in.height() << 32) | in.width(), k -> new ArrayList<>()).add(i);
        }
        for (List<Integer> group : bySize.values()) {
            ModelInput first = inputs.get(group.get(0));
            int plane = first.pixels().length;
            float[] data = new float[group.size() * plane]; // (batch, 3, H, W)
            for (int j = 0; j < group.size(); j++) {
                System.arraycopy(inputs.get(group.get(j)).pixels(), 0, data, j * plane, plane);
            }
            long start = System.nanoTime();
            try {
                float[][] logits = classifier.run(new PixelBatch(data, group.size(), 3, first.height(), first.width()));
                if (listener != null) {
                    listener.onBatch(group.size(), System.nanoTime() - start);
                }
                for (int j = 0; j < group.size(); j++) {
                    out[group.get(j)] = new Outcome(logits[j], null);
                }
            } catch (DfdException e) {
                for (int i : group) {
                    out[i] = new Outcome(null, e.getMessage());
                }
            }
        }
        return out;
    }
}
