package dev.dfd.optimize;

/**
 * One kind of rewrite: finds every exact occurrence of its pattern and replaces it by one ONNX Runtime contrib
 * operator, leaving anything that differs in the least (an axis, a constant, a shape it cannot prove) untouched.
 */
interface Fusion {
    /** The operator it writes, as reported to the user ("SkipLayerNormalization"). */
    String name();

    /** Fuses every occurrence; returns how many. */
    int apply(OnnxGraph g, Shapes shapes);
}
