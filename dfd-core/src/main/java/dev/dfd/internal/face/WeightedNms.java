package dev.dfd.internal.face;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * MediaPipe's weighted non-maximum suppression ({@code NonMaxSuppressionCalculator}, algorithm WEIGHTED,
 * intersection over union): take the best remaining candidate; every remaining candidate whose IoU with it is above
 * the threshold (itself included) joins its cluster and is removed; the output has the best candidate's score and
 * the score-weighted mean of the cluster's coordinates (box corners and keypoints). Repeat until none remain or
 * {@code maxOut} are out. Ties in score keep the input order.
 */
final class WeightedNms {
    private WeightedNms() {
    }

    static List<Candidate> apply(List<Candidate> candidates, float iouThreshold, int maxOut) {
        List<Candidate> remaining = new ArrayList<>(candidates);
        remaining.sort(Comparator.comparingDouble((Candidate c) -> c.score()).reversed()); // stable
        List<Candidate> out = new ArrayList<>();
        while (!remaining.isEmpty() && out.size() < maxOut) {
            Candidate top = remaining.get(0);
            double[] sum = new double[Candidate.SIZE];
            double total = 0;
            List<Candidate> rest = new ArrayList<>(remaining.size());
            for (Candidate c : remaining) {
                if (c == top || Candidate.iou(top.g(), c.g()) > iouThreshold) {
                    for (int k = 0; k < Candidate.SIZE; k++) {
                        sum[k] += (double) c.score() * c.g()[k];
                    }
                    total += c.score();
                } else {
                    rest.add(c);
                }
            }
            float[] g = new float[Candidate.SIZE];
            for (int k = 0; k < Candidate.SIZE; k++) {
                g[k] = total > 0 ? (float) (sum[k] / total) : top.g()[k];
            }
            out.add(new Candidate(top.score(), g));
            remaining = rest;
        }
        return out;
    }
}
