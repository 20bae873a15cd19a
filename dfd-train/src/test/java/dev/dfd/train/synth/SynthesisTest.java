package dev.dfd.train.synth;

import dev.dfd.RgbImage;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SynthesisTest {
    static final int W = 128;
    static final int H = 128;
    /** A face in the middle: right eye, left eye, nose, mouth, right ear, left ear (BlazeFace's order). */
    static final float[][] KEYPOINTS = {{50, 52}, {78, 52}, {64, 66}, {64, 80}, {36, 60}, {92, 60}};

    static RgbImage noise(long seed) {
        Random r = new Random(seed);
        byte[] px = new byte[W * H * 3];
        r.nextBytes(px);
        return new RgbImage(W, H, px);
    }

    /** Pixels farther than this from the face centre can never be touched: hull x growth + jitter + 3 sigma blur. */
    static boolean farFromFace(int x, int y) {
        double faceSize = 56; // ear to ear
        double reach = 1.2 * 45 + 0.06 * faceSize + 3 * 0.12 * faceSize + 2;
        return Math.hypot(x - 64, y - 66) > reach;
    }

    @Test
    void masksStayOnTheFace() {
        for (long seed = 0; seed < 20; seed++) {
            float[] m = FaceMask.random(W, H, KEYPOINTS, new Random(seed));
            assertEquals(1f, m[66 * W + 64], 0.02f, "the nose is inside the mask");
            assertEquals(1f, m[56 * W + 64], 0.05f, "between the eyes");
            for (int y = 0; y < H; y++) {
                for (int x = 0; x < W; x++) {
                    float v = m[y * W + x];
                    assertTrue(v >= 0 && v <= 1.0001f);
                    if (farFromFace(x, y)) {
                        assertEquals(0f, v, 1e-6f, "seed " + seed + " at " + x + "," + y);
                    }
                }
            }
        }
        // a hard mask is exactly the polygon
        float[] hard = FaceMask.soft(W, H, KEYPOINTS, 1.0, 0.0, 0.0, new Random(0));
        double[][] poly = FaceMask.polygon(KEYPOINTS, 1.0, 0.0, new Random(0));
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                assertEquals(slowInside(poly, x + 0.5, y + 0.5) ? 1f : 0f, hard[y * W + x], 0f);
            }
        }
    }

    /** Ray casting, the textbook point-in-polygon test. */
    static boolean slowInside(double[][] poly, double x, double y) {
        boolean in = false;
        for (int i = 0, j = poly.length - 1; i < poly.length; j = i++) {
            if ((poly[i][1] > y) != (poly[j][1] > y)
                    && x < (poly[j][0] - poly[i][0]) * (y - poly[i][1]) / (poly[j][1] - poly[i][1]) + poly[i][0]) {
                in = !in;
            }
        }
        return in;
    }

    @Test
    void hullHoldsEveryPoint() {
        Random r = new Random(1);
        for (int t = 0; t < 100; t++) {
            double[][] pts = new double[3 + r.nextInt(10)][];
            for (int i = 0; i < pts.length; i++) {
                pts[i] = new double[]{r.nextDouble() * 100, r.nextDouble() * 100};
            }
            double[][] hull = FaceMask.convexHull(pts);
            for (double[] p : pts) {
                // a point is inside or on the hull: nudge it toward the centroid
                double cx = 0;
                double cy = 0;
                for (double[] q : hull) {
                    cx += q[0] / hull.length;
                    cy += q[1] / hull.length;
                }
                assertTrue(FaceMask.inside(hull, p[0] + (cx - p[0]) * 1e-6, p[1] + (cy - p[1]) * 1e-6));
            }
        }
    }

    @Test
    void blendingChangesOnlyMaskedPixels() {
        RgbImage img = noise(2);
        float[][] source = new float[3][W * H]; // black
        float[] mask = new float[W * H];
        for (int y = 40; y < 60; y++) {
            for (int x = 40; x < 70; x++) {
                mask[y * W + x] = 0.5f;
            }
        }
        RgbImage out = Synthesis.blend(img, source, mask, 1.0);
        for (int i = 0; i < W * H; i++) {
            for (int c = 0; c < 3; c++) {
                int before = img.pixels()[3 * i + c] & 0xFF;
                int after = out.pixels()[3 * i + c] & 0xFF;
                assertEquals(mask[i] == 0 ? before : Math.round(before * 0.5f), after, "pixel " + i);
            }
        }
    }

    @Test
    void everyKindIsDeterministicAndLeavesTheBackgroundAlone() {
        RgbImage img = noise(3);
        for (Synthesis.Kind kind : Synthesis.Kind.values()) {
            for (long seed = 0; seed < 6; seed++) {
                RgbImage a = Synthesis.fake(img, KEYPOINTS, List.of(kind), new Random(seed));
                RgbImage b = Synthesis.fake(img, KEYPOINTS, List.of(kind), new Random(seed));
                assertArrayEquals(a.pixels(), b.pixels(), kind + " seed " + seed);
                assertFalse(java.util.Arrays.equals(img.pixels(), a.pixels()), kind + " changed nothing");
                if (kind != Synthesis.Kind.UPSAMPLE) { // a whole-image upsampling trace is meant to reach everywhere
                    for (int y = 0; y < H; y++) {
                        for (int x = 0; x < W; x++) {
                            if (farFromFace(x, y)) {
                                for (int c = 0; c < 3; c++) {
                                    int i = (y * W + x) * 3 + c;
                                    assertEquals(img.pixels()[i], a.pixels()[i], kind + " touched " + x + "," + y);
                                }
                            }
                        }
                    }
                }
            }
        }
        assertEquals(List.of(Synthesis.Kind.BLEND, Synthesis.Kind.RETOUCH), Synthesis.Kind.parseList("blend,retouch"));
    }

    @Test
    void upsamplingLeavesItsPeriodicTrace() {
        float[][] flat = new float[3][W * H];
        for (float[] p : flat) {
            java.util.Arrays.fill(p, 100f);
        }
        for (UpsampleTrace.Up up : List.of(UpsampleTrace.Up.NEAREST, UpsampleTrace.Up.BILINEAR)) {
            float[][] out = UpsampleTrace.trace(flat, W, H, 2, up, new Random(0));
            for (float v : out[0]) {
                assertEquals(100f, v, 1e-3f, up + " keeps a flat image flat");
            }
        }
        for (int factor : new int[]{2, 4}) {
            float[][] out = UpsampleTrace.trace(flat, W, H, factor, UpsampleTrace.Up.TRANSPOSED, new Random(4));
            boolean varies = false;
            for (int y = 8; y < H - 8; y++) {
                for (int x = 8; x < W - 8; x++) {
                    assertEquals(out[0][y * W + x], out[0][y * W + x + factor], 1e-3f, "period " + factor);
                    assertEquals(out[0][y * W + x], out[0][(y + factor) * W + x], 1e-3f, "period " + factor);
                    varies |= Math.abs(out[0][y * W + x] - 100f) > 0.5f;
                    assertEquals(100f, out[0][y * W + x], 100f * 0.041f, "phase gains within 4%");
                }
            }
            assertTrue(varies, "the checkerboard is there");
        }
    }
}
