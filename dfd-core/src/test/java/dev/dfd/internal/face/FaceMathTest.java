package dev.dfd.internal.face;

import dev.dfd.Face;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Anchors, decoding and weighted NMS against slow references written out here. */
class FaceMathTest {
    /** Anchors of the face models, enumerated by hand: a 2-anchor grid of input/stride0 cells, then a 6-anchor one. */
    @Test
    void faceModelAnchorsAreTwoGridsOfUnitAnchors() {
        for (FaceModel m : FaceModel.values()) {
            int fine = m.inputSize / m.anchorOptions.strides()[0];
            int coarse = m.inputSize / m.anchorOptions.strides()[1];
            List<Float> expected = new ArrayList<>();
            for (int[] grid : new int[][] {{fine, 2}, {coarse, 6}}) {
                for (int y = 0; y < grid[0]; y++) {
                    for (int x = 0; x < grid[0]; x++) {
                        for (int a = 0; a < grid[1]; a++) {
                            expected.addAll(List.of((x + 0.5f) / grid[0], (y + 0.5f) / grid[0], 1f, 1f));
                        }
                    }
                }
            }
            float[] got = SsdAnchors.generate(m.anchorOptions);
            assertEquals(896 * 4, got.length, m.name());
            for (int i = 0; i < got.length; i++) {
                assertEquals(expected.get(i), got[i], 1e-7, m + " value " + i);
            }
            assertArrayEquals(new int[] {2, 6}, SsdAnchors.anchorsPerCell(m.anchorOptions));
        }
    }

    /** A general (non-fixed) configuration against the SSD formulas computed by hand for each anchor. */
    @Test
    void generalAnchorsFollowTheSsdFormulas() {
        var o = new SsdAnchors.Options(32, 24, 0.2f, 0.8f, 0.5f, 0.5f, new int[] {8, 16, 16}, new float[] {1f, 2f},
                1.0f, false, false);
        float[] got = SsdAnchors.generate(o);
        // layer 0 (stride 8, 4x3 map): scale 0.2, ratios 1, 2, interpolated sqrt(0.2 * 0.5)
        // layers 1, 2 (stride 16, 2x2 map): scales 0.5 and 0.8 each with ratios 1, 2, interpolated sqrt(0.5*0.8), 1
        double[][] layer0 = {{0.2, 1}, {0.2, 2}, {Math.sqrt(0.2 * 0.5), 1}};
        double[][] layer12 = {{0.5, 1}, {0.5, 2}, {Math.sqrt(0.5 * 0.8), 1}, {0.8, 1}, {0.8, 2}, {Math.sqrt(0.8), 1}};
        List<double[]> expected = new ArrayList<>();
        for (Object[] l : new Object[][] {{4, 3, layer0}, {2, 2, layer12}}) {
            int cols = (int) l[0];
            int rows = (int) l[1];
            for (int y = 0; y < rows; y++) {
                for (int x = 0; x < cols; x++) {
                    for (double[] sr : (double[][]) l[2]) {
                        expected.add(new double[] {(x + 0.5) / cols, (y + 0.5) / rows, sr[0] * Math.sqrt(sr[1]),
                            sr[0] / Math.sqrt(sr[1])});
                    }
                }
            }
        }
        assertEquals(expected.size() * 4, got.length);
        for (int i = 0; i < expected.size(); i++) {
            for (int k = 0; k < 4; k++) {
                assertEquals(expected.get(i)[k], got[i * 4 + k], 1e-6, "anchor " + i + " field " + k);
            }
        }
    }

    @Test
    void decodingMatchesTheFormulas() {
        Random rnd = new Random(3);
        float[] anchors = SsdAnchors.generate(FaceModel.FULL_RANGE_256.anchorOptions);
        int n = anchors.length / 4;
        float[] raw = new float[n * 16];
        float[] logits = new float[n];
        for (int i = 0; i < raw.length; i++) {
            raw[i] = (float) (rnd.nextGaussian() * 40);
        }
        for (int i = 0; i < n; i++) {
            logits[i] = (float) (rnd.nextGaussian() * 3);
        }
        logits[5] = 1000; // clipped to 100
        logits[6] = -1000;
        List<Candidate> got = BlazeFaceDecoder.decode(raw, logits, anchors, 256, 0.5f);
        int j = 0;
        for (int i = 0; i < n; i++) {
            double clipped = Math.max(-100, Math.min(100, logits[i]));
            double score = 1 / (1 + Math.exp(-clipped));
            if (score < 0.5) {
                continue;
            }
            Candidate c = got.get(j++);
            assertEquals(score, c.score(), 1e-6);
            double cx = anchors[i * 4] + raw[i * 16] / 256.0;
            double cy = anchors[i * 4 + 1] + raw[i * 16 + 1] / 256.0;
            double w = raw[i * 16 + 2] / 256.0;
            double h = raw[i * 16 + 3] / 256.0;
            double[] box = {cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2};
            for (int k = 0; k < 4; k++) {
                assertEquals(box[k], c.g()[k], 1e-5, "anchor " + i + " box " + k);
            }
            for (int k = 0; k < 6; k++) {
                assertEquals(anchors[i * 4] + raw[i * 16 + 4 + 2 * k] / 256.0, c.g()[4 + 2 * k], 1e-5);
                assertEquals(anchors[i * 4 + 1] + raw[i * 16 + 5 + 2 * k] / 256.0, c.g()[5 + 2 * k], 1e-5);
            }
        }
        assertEquals(j, got.size());
        assertTrue(j > 100, "a fair share of random logits pass 0.5");
        assertEquals(1.0f, BlazeFaceDecoder.sigmoid(1000f));
        // clipped at -100: a (denormal) positive float, not the 0 an unclipped logit would give
        assertEquals(1 / (1 + Math.exp(100)), BlazeFaceDecoder.sigmoid(-1000f), 3e-45);
        assertTrue(BlazeFaceDecoder.sigmoid(-1000f) > 0);
    }

    /** Naive weighted NMS: scan for the best unremoved candidate, cluster by IoU, average in doubles. */
    static List<double[]> referenceNms(List<Candidate> in, double threshold) {
        boolean[] removed = new boolean[in.size()];
        List<double[]> out = new ArrayList<>(); // score, then 16 coordinates
        while (true) {
            int best = -1;
            for (int i = 0; i < in.size(); i++) {
                if (!removed[i] && (best < 0 || in.get(i).score() > in.get(best).score())) {
                    best = i;
                }
            }
            if (best < 0) {
                return out;
            }
            float[] b = in.get(best).g();
            double[] acc = new double[17];
            double total = 0;
            for (int i = 0; i < in.size(); i++) {
                float[] g = in.get(i).g();
                double ix = Math.min(b[2], g[2]) - Math.max(b[0], g[0]);
                double iy = Math.min(b[3], g[3]) - Math.max(b[1], g[1]);
                double inter = Math.max(0, ix) * Math.max(0, iy);
                double union = (b[2] - b[0]) * (b[3] - b[1]) + (g[2] - g[0]) * (g[3] - g[1]) - inter;
                if (!removed[i] && (i == best || inter / union > threshold)) {
                    removed[i] = true;
                    double s = in.get(i).score();
                    total += s;
                    for (int k = 0; k < 16; k++) {
                        acc[k + 1] += s * g[k];
                    }
                }
            }
            acc[0] = in.get(best).score();
            for (int k = 1; k < 17; k++) {
                acc[k] /= total;
            }
            out.add(acc);
        }
    }

    static List<Candidate> randomCandidates(Random rnd, int n) {
        List<Candidate> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float x = rnd.nextFloat() * 100;
            float y = rnd.nextFloat() * 100;
            float s = 5 + rnd.nextFloat() * 30;
            float[] g = new float[16];
            g[0] = x;
            g[1] = y;
            g[2] = x + s * (0.8f + 0.4f * rnd.nextFloat());
            g[3] = y + s * (0.8f + 0.4f * rnd.nextFloat());
            for (int k = 4; k < 16; k++) {
                g[k] = rnd.nextFloat() * 120;
            }
            out.add(new Candidate(0.5f + 0.5f * rnd.nextFloat(), g));
        }
        return out;
    }

    @Test
    void weightedNmsMatchesTheNaiveReference() {
        for (long seed = 1; seed <= 20; seed++) {
            Random rnd = new Random(seed);
            List<Candidate> in = randomCandidates(rnd, 10 + rnd.nextInt(80));
            List<double[]> expected = referenceNms(in, 0.3);
            List<Candidate> got = WeightedNms.apply(in, 0.3f, Integer.MAX_VALUE);
            assertEquals(expected.size(), got.size(), "seed " + seed);
            assertTrue(got.size() < in.size(), "some boxes merged, seed " + seed);
            for (int i = 0; i < got.size(); i++) {
                assertEquals(expected.get(i)[0], got.get(i).score(), 0, "seed " + seed);
                for (int k = 0; k < 16; k++) {
                    assertEquals(expected.get(i)[k + 1], got.get(i).g()[k], 1e-3, "seed " + seed + " out " + i);
                }
            }
            assertEquals(Math.min(3, expected.size()), WeightedNms.apply(in, 0.3f, 3).size());
        }
    }

    @Test
    void weightedNmsAveragesByScore() {
        float[] a = new float[16];
        float[] b = new float[16];
        a[2] = a[3] = 10;
        b[0] = 1;
        b[2] = 11;
        b[3] = 10;
        List<Candidate> out = WeightedNms.apply(List.of(new Candidate(0.9f, a), new Candidate(0.3f, b)), 0.3f, 10);
        assertEquals(1, out.size());
        assertEquals(0.9f, out.get(0).score());
        assertEquals(0.25, out.get(0).g()[0], 1e-6); // (0.9 * 0 + 0.3 * 1) / 1.2
        assertEquals(10.25, out.get(0).g()[2], 1e-6);
    }

    @Test
    void boxIouAndContainment() {
        Face.Box a = new Face.Box(0, 0, 10, 10);
        assertEquals(1f, a.iou(a));
        assertEquals(25f / 175f, a.iou(new Face.Box(5, 5, 10, 10)), 1e-6);
        assertEquals(0f, a.iou(new Face.Box(10, 0, 10, 10)));
        float[] big = {0, 0, 100, 100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        float[] part = {40, 60, 90, 110, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        float[] apart = {80, 80, 130, 130, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        assertTrue(FaceDetector.insideBetter(new Candidate(0.6f, part), List.of(new Candidate(0.9f, big))));
        assertFalse(FaceDetector.insideBetter(new Candidate(0.6f, apart), List.of(new Candidate(0.9f, big))));
    }

    @Test
    void optionsAreValidated() {
        var d = FaceDetectorOptions.DEFAULT;
        assertThrows(IllegalArgumentException.class, () -> d.withMinScore(1f));
        assertThrows(IllegalArgumentException.class, () -> d.withMaxFaces(0));
        assertThrows(IllegalArgumentException.class, () -> d.withMinFaceSize(-1));
        assertThrows(IllegalArgumentException.class, () -> d.withPasses(7, true));
        assertThrows(IllegalArgumentException.class, () -> d.withIntraOpThreads(-1));
        assertThrows(IllegalArgumentException.class, () -> new FaceDetectorOptions(null, 0.5f, 0.3f, 1, 0, 0,
                false, 0));
    }
}
