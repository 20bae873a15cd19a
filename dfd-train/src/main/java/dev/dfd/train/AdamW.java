package dev.dfd.train;

import ai.djl.ndarray.NDArray;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * AdamW (Loshchilov and Hutter): Adam moments with bias correction and weight decay decoupled from the gradient,
 * applied only to the parameters that decay. Gradients are clipped by their global norm first. State lives in the
 * model's NDManager and is saved with checkpoints.
 */
final class AdamW {
    final double beta1 = 0.9;
    final double beta2 = 0.999;
    final double eps = 1e-8;
    private final Map<String, NDArray> m = new LinkedHashMap<>();
    private final Map<String, NDArray> v = new LinkedHashMap<>();
    long step;

    AdamW(Map<String, NDArray> params) {
        params.forEach((name, p) -> {
            m.put(name, p.zerosLike());
            v.put(name, p.zerosLike());
        });
    }

    Map<String, NDArray> firstMoments() {
        return m;
    }

    Map<String, NDArray> secondMoments() {
        return v;
    }

    /**
     * One update; returns the gradient norm before clipping. Called outside any GradientCollector (grad mode off),
     * so the in-place updates of leaf parameters are allowed.
     */
    double update(Map<String, NDArray> params, Set<String> decays, double lr, double weightDecay, double clipNorm) {
        double sq = 0;
        for (NDArray p : params.values()) {
            NDArray g = p.getGradient();
            sq += g.mul(g).sum().getFloat();
        }
        double norm = Math.sqrt(sq);
        if (!Double.isFinite(norm)) {
            zeroGradients(params);
            return norm; // the caller skips this step
        }
        double clip = norm > clipNorm ? clipNorm / (norm + 1e-6) : 1.0;
        step++;
        double c1 = 1 - Math.pow(beta1, step);
        double c2 = 1 - Math.pow(beta2, step);
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            NDArray p = e.getValue();
            NDArray g = p.getGradient();
            if (clip != 1.0) {
                g = g.mul(clip);
            }
            NDArray mi = m.get(e.getKey());
            NDArray vi = v.get(e.getKey());
            mi.muli(beta1).addi(g.mul(1 - beta1));
            vi.muli(beta2).addi(g.mul(g).muli(1 - beta2));
            if (decays.contains(e.getKey()) && weightDecay > 0) {
                p.muli(1 - lr * weightDecay);
            }
            NDArray denom = vi.div(c2).sqrt().addi(eps);
            p.subi(mi.div(c1).divi(denom).muli(lr));
            p.getGradient().muli(0); // gradients accumulate in PyTorch: clear for the next step
        }
        return norm;
    }

    static void zeroGradients(Map<String, NDArray> params) {
        for (NDArray p : params.values()) {
            NDArray g = p.getGradient();
            g.set(new float[Math.toIntExact(g.size())]);
        }
    }
}
