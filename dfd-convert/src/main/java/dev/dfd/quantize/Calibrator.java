package dev.dfd.quantize;

import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.dfd.DfdException;
import dev.dfd.internal.model.PixelBatch;

import java.nio.FloatBuffer;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a float32 graph over calibration batches in ONNX Runtime with the tensors to measure added as graph outputs,
 * and records each one's min/max. Nothing of ONNX Runtime leaves this class: ModelProto and PixelBatch in, ranges out.
 */
public final class Calibrator {
    private Calibrator() {
    }

    /**
     * @param model   a float32 graph with one input (batch, 3, H, W)
     * @param tensors names of float tensors in it
     * @param threads ONNX Runtime intra-op threads (0: one per core)
     * @return each tensor's range over every element of every batch, in the order of {@code tensors}
     */
    public static Map<String, ActivationRange> minMax(OnnxMl.ModelProto model, Collection<String> tensors,
                                                      List<PixelBatch> batches, int threads) {
        if (batches.isEmpty()) {
            throw new DfdException("calibration: no images");
        }
        OnnxMl.GraphProto.Builder graph = model.getGraph().toBuilder();
        java.util.Set<String> outputs = new java.util.HashSet<>();
        graph.getOutputList().forEach(o -> outputs.add(o.getName()));
        for (String t : tensors) {
            if (outputs.add(t)) {
                graph.addOutput(OnnxMl.ValueInfoProto.newBuilder().setName(t).setType(OnnxMl.TypeProto.newBuilder()
                        .setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
                                .setElemType(OnnxMl.TensorProto.DataType.FLOAT.getNumber()))));
            }
        }
        byte[] bytes = model.toBuilder().setGraph(graph).build().toByteArray();
        String input = model.getGraph().getInput(0).getName();
        Map<String, ActivationRange> ranges = new LinkedHashMap<>();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(Math.max(0, threads));
            try (OrtSession session = env.createSession(bytes, options)) {
                for (PixelBatch b : batches) {
                    try (OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(b.data()), b.shape());
                         OrtSession.Result r = session.run(Map.of(input, x), new java.util.HashSet<>(tensors))) {
                        for (String t : tensors) {
                            OnnxValue v = r.get(t).orElseThrow();
                            FloatBuffer fb = ((OnnxTensor) v).getFloatBuffer(); // any shape, flattened
                            float[] values = new float[fb.remaining()];
                            fb.get(values);
                            ActivationRange range = ActivationRange.of(values);
                            ranges.merge(t, range, ActivationRange::union);
                        }
                    }
                }
            }
        } catch (OrtException e) {
            throw new DfdException("calibration: ONNX Runtime failed (" + e.getMessage().replaceAll("\\s+", " ")
                    + ")", e);
        }
        Map<String, ActivationRange> ordered = new LinkedHashMap<>();
        for (String t : tensors) {
            ordered.put(t, ranges.get(t));
        }
        return ordered;
    }
}
