package dev.dfd.internal.face;

import java.util.ArrayList;
import java.util.List;

/**
 * BlazeFace's raw outputs to candidates, as MediaPipe's {@code TensorsToDetectionsCalculator} does with the face
 * graphs' settings: 16 regressors per anchor in x-first order (box centre x, y, width, height, then the 6 keypoints'
 * x, y), each divided by the input size (x_scale = y_scale = w_scale = h_scale = input side) and, for positions,
 * scaled by the anchor size and added to the anchor centre; the score is the sigmoid of the logit clipped to
 * [-100, 100]. Box sizes are linear (no exponential). A NaN score or a non-finite coordinate drops the anchor.
 */
final class BlazeFaceDecoder {
    static final float SCORE_CLIP = 100f;

    private BlazeFaceDecoder() {
    }

    static float sigmoid(float logit) {
        float x = Math.max(-SCORE_CLIP, Math.min(SCORE_CLIP, logit));
        return (float) (1 / (1 + Math.exp(-x)));
    }

    /**
     * @param raw      (n, 16) regressors
     * @param logits   (n) score logits
     * @param anchors  (n, 4) x centre, y centre, width, height in [0, 1]
     * @param scale    the input side in pixels
     * @param minScore candidates scoring below are dropped
     * @return the candidates in the model input's normalised frame ([0, 1] spans the input)
     */
    static List<Candidate> decode(float[] raw, float[] logits, float[] anchors, float scale, float minScore) {
        int n = logits.length;
        if (raw.length != n * Candidate.SIZE || anchors.length != n * 4) {
            throw new IllegalArgumentException("expected " + n + " anchors, got " + raw.length / Candidate.SIZE
                    + " regressor rows and " + anchors.length / 4 + " anchors");
        }
        List<Candidate> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float score = sigmoid(logits[i]);
            if (!(score >= minScore)) { // NaN logits too: no score, no face
                continue;
            }
            int r = i * Candidate.SIZE;
            float ax = anchors[i * 4];
            float ay = anchors[i * 4 + 1];
            float aw = anchors[i * 4 + 2];
            float ah = anchors[i * 4 + 3];
            float cx = raw[r] / scale * aw + ax;
            float cy = raw[r + 1] / scale * ah + ay;
            float w = raw[r + 2] / scale * aw;
            float h = raw[r + 3] / scale * ah;
            float[] g = new float[Candidate.SIZE];
            g[0] = cx - w / 2;
            g[1] = cy - h / 2;
            g[2] = cx + w / 2;
            g[3] = cy + h / 2;
            for (int k = 4; k < Candidate.SIZE; k += 2) {
                g[k] = raw[r + k] / scale * aw + ax;
                g[k + 1] = raw[r + k + 1] / scale * ah + ay;
            }
            Candidate c = new Candidate(score, g);
            if (c.isFinite()) {
                out.add(c);
            }
        }
        return out;
    }
}
