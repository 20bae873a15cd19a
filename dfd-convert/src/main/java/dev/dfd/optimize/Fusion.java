package dev.dfd.optimize;

import ai.onnx.proto.OnnxMl.NodeProto;

/**
 * One kind of rewrite: finds every exact occurrence of its pattern and replaces it by one ONNX Runtime contrib
 * operator, leaving anything that differs in the least (an axis, a constant, a shape it cannot prove) untouched.
 */
interface Fusion {
    /** The operator it writes, as reported to the user ("SkipLayerNormalization"). */
    String name();

    /** Fuses every occurrence; returns how many. */
    int apply(OnnxGraph g, Shapes shapes);

    /** How one candidate node is fused: true when it was (the graph changed). */
    interface Attempt {
        boolean fuse(OnnxGraph g, Shapes shapes, NodeProto anchor);
    }

    /**
     * Tries {@code attempt} on every default-domain node of type {@code anchorOp}, starting over after each fusion
     * since the node list changed under the loop; returns how many were fused.
     */
    static int fuseEach(OnnxGraph g, Shapes shapes, String anchorOp, Attempt attempt) {
        int fused = 0;
        boolean again = true;
        while (again) {
            again = false;
            for (NodeProto n : g.nodes()) {
                if (n.getOpType().equals(anchorOp) && n.getDomain().isEmpty() && attempt.fuse(g, shapes, n)) {
                    fused++;
                    again = true;
                    break;
                }
            }
        }
        return fused;
    }
}
