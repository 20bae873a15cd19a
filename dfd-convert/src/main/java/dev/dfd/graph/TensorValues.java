package dev.dfd.graph;

import ai.onnx.proto.OnnxMl.TensorProto;

import java.nio.ByteOrder;

/** Values of an ONNX tensor held in the model (not in external data). */
public final class TensorValues {
    private TensorValues() {
    }

    /** A float32 tensor's values, from raw little-endian bytes or the repeated float field, whichever it uses. */
    public static float[] floats(TensorProto t) {
        if (!t.getRawData().isEmpty()) {
            float[] v = new float[t.getRawData().size() / 4];
            t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
            return v;
        }
        float[] v = new float[t.getFloatDataCount()];
        for (int i = 0; i < v.length; i++) {
            v[i] = t.getFloatData(i);
        }
        return v;
    }
}
