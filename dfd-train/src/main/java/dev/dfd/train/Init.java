package dev.dfd.train;

import java.util.Random;

/** Initial values generated in Java from a seed, so a run is repeatable whatever the engine's random state. */
final class Init {
    private Init() {
    }

    /** Normal(0, std). */
    static float[] normal(Random r, int n, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * std);
        }
        return v;
    }

    /** Normal(0, std) truncated to [-2, 2], torch's trunc_normal_ defaults. */
    static float[] truncatedNormal(Random r, int n, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            double x;
            do {
                x = r.nextGaussian() * std;
            } while (x < -2 || x > 2);
            v[i] = (float) x;
        }
        return v;
    }

    /** Uniform(-bound, bound). */
    static float[] uniform(Random r, int n, double bound) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) ((r.nextDouble() * 2 - 1) * bound);
        }
        return v;
    }

    static float[] constant(int n, float value) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, value);
        return v;
    }
}
