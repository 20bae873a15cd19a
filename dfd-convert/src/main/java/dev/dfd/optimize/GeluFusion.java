package dev.dfd.optimize;

import ai.onnx.proto.OnnxMl.NodeProto;

import java.util.ArrayList;
import java.util.List;

/**
 * The exact (erf) GELU {@code x * 0.5 * (1 + Erf(x / sqrt(2)))}, written as transformers' exporters and dfd's
 * ({@code Layers.activation("gelu")}) write it, into {@code com.microsoft::BiasGelu(y, bias)} when x is
 * {@code y + bias} read by nothing else (a Linear's bias), else into {@code com.microsoft::Gelu(x)}. Both compute
 * the erf form. FastGelu, the tanh approximation, differs from it by up to ~1e-3 and is never written for it.
 *
 * <p>Matched: {@code Div(x, c)} with c = sqrt(2) or {@code Mul(x, c)} with c = 1/sqrt(2) (within float rounding),
 * Erf, {@code Add(., 1)}, and the two products in either order ({@code (x * (1 + e)) * 0.5} or
 * {@code (x * 0.5) * (1 + e)}); every intermediate read only inside the pattern.
 */
final class GeluFusion implements Fusion {
    private static final double SQRT2 = Math.sqrt(2.0);
    private int biased;
    private int plain;

    @Override
    public String name() {
        return "BiasGelu";
    }

    /** Gelu nodes written without a bias in front (counted apart from BiasGelu). */
    int plain() {
        return plain;
    }

    int biased() {
        return biased;
    }

    @Override
    public int apply(OnnxGraph g, Shapes shapes) {
        return Fusion.fuseEach(g, shapes, "Erf", this::fuse);
    }

    private boolean fuse(OnnxGraph g, Shapes shapes, NodeProto erf) {
        String scaled = erf.getInput(0);
        NodeProto div = g.producer(scaled, "Div");
        NodeProto mulScale = g.producer(scaled, "Mul");
        String x;
        NodeProto scale;
        if (div != null && div.getInputCount() == 2 && close(g.scalar(div.getInput(1)), SQRT2)) {
            x = div.getInput(0);
            scale = div;
        } else if (mulScale != null && mulScale.getInputCount() == 2) {
            x = null;
            for (String in : mulScale.getInputList()) {
                String c = OnnxGraph.other(mulScale, in);
                if (c != null && close(g.scalar(c), 1 / SQRT2)) {
                    x = in;
                }
            }
            scale = mulScale;
        } else {
            return false;
        }
        if (x == null || !g.onlyFeeds(scaled, erf)) {
            return false;
        }
        List<NodeProto> erfReaders = g.consumers(erf.getOutput(0));
        if (erfReaders.size() != 1 || !g.onlyFeeds(erf.getOutput(0), erfReaders.get(0))) {
            return false;
        }
        NodeProto plusOne = erfReaders.get(0);
        if (!isOp(plusOne, "Add") || g.scalar(OnnxGraph.other(plusOne, erf.getOutput(0)) == null ? ""
                : OnnxGraph.other(plusOne, erf.getOutput(0))) != 1f) {
            return false;
        }
        String plus = plusOne.getOutput(0);
        List<NodeProto> plusReaders = g.consumers(plus);
        if (plusReaders.size() != 1 || !g.onlyFeeds(plus, plusReaders.get(0)) || !isOp(plusReaders.get(0), "Mul")) {
            return false;
        }
        NodeProto m1 = plusReaders.get(0);
        String m1Other = OnnxGraph.other(m1, plus);
        List<NodeProto> matched = new ArrayList<>(List.of(scale, erf, plusOne, m1));
        String out;
        if (x.equals(m1Other)) { // (x * (1 + e)) * 0.5
            List<NodeProto> r = g.consumers(m1.getOutput(0));
            if (r.size() != 1 || !g.onlyFeeds(m1.getOutput(0), r.get(0)) || !isOp(r.get(0), "Mul")
                    || g.scalar(nonNull(OnnxGraph.other(r.get(0), m1.getOutput(0)))) != 0.5f) {
                return false;
            }
            matched.add(r.get(0));
            out = r.get(0).getOutput(0);
        } else { // (x * 0.5) * (1 + e)
            NodeProto half = m1Other == null ? null : g.producer(m1Other, "Mul");
            if (half == null || !g.onlyFeeds(m1Other, m1) || !x.equals(otherThanHalf(g, half))) {
                return false;
            }
            matched.add(half);
            out = m1.getOutput(0);
        }
        // the bias moves inside only when x is read by the pattern alone: by the scale and by one product
        boolean xInside = g.consumers(x).size() == 2 && !g.isGraphOutput(x);
        NodeProto bias = xInside ? g.producer(x, "Add") : null;
        String name = erf.getName() + "_gelu";
        NodeProto.Builder fused = null;
        if (bias != null && bias.getInputCount() == 2) {
            long hidden = shapes.lastDim(x);
            for (String y : bias.getInputList()) {
                String c = OnnxGraph.other(bias, y);
                long[] dims = c == null ? null : g.dims(c);
                // y + a (hidden) vector has y's shape exactly when y's last dimension is hidden
                if (hidden > 0 && dims != null && dims.length == 1 && dims[0] == hidden && g.floats(c) != null
                        && g.initializer(y) == null && shapes.lastDim(y) == hidden) {
                    fused = OnnxGraph.contrib("BiasGelu", name).addInput(y).addInput(c);
                    matched.add(bias);
                    break;
                }
            }
        }
        if (fused == null) {
            fused = OnnxGraph.contrib("Gelu", name).addInput(x);
            plain++;
        } else {
            biased++;
        }
        g.replace(matched, fused.addOutput(out).build());
        return true;
    }

    private static String otherThanHalf(OnnxGraph g, NodeProto half) {
        for (String in : half.getInputList()) {
            String c = OnnxGraph.other(half, in);
            if (c != null && g.scalar(c) == 0.5f) {
                return in;
            }
        }
        return null;
    }

    private static String nonNull(String s) {
        return s == null ? "" : s;
    }

    private static boolean isOp(NodeProto n, String op) {
        return n.getOpType().equals(op) && n.getDomain().isEmpty() && n.getInputCount() == 2;
    }

    /** Equal up to float32 rounding of the constant as exporters write it. */
    private static boolean close(float v, double want) {
        return Math.abs(v - want) <= 1e-6 * want;
    }
}
