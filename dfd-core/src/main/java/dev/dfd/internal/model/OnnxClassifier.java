package dev.dfd.internal.model;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.dfd.DfdException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * An image classifier in ONNX Runtime: {@link PixelBatch} in, logits out, nothing native crosses the boundary.
 * The input and output are found by name ({@code pixel_values} and {@code logits} when there is a choice) and their
 * shapes read from the model. float16 inputs/outputs are converted here, so callers always use float32.
 *
 * <p>One instance owns one session; {@link #run} may be called from many threads at once (ONNX Runtime sessions are
 * thread-safe for inference). {@link #close} is idempotent; the process-wide OrtEnvironment is never closed.
 */
public final class OnnxClassifier implements AutoCloseable {
    private final Path file;
    private final OrtEnvironment env;
    private final OrtSession session;
    private final String inputName;
    private final OnnxJavaType inputType;
    /** (batch, channels, height, width); -1 for a dynamic dimension. */
    private final long[] inputShape;
    private final String outputName;
    /** Number of classes from the output shape, -1 when dynamic. */
    private final int outputClasses;
    private volatile boolean closed;

    /** ONNX Runtime profiling was on at open: the profile is written at close. */
    private final boolean profiling;

    private OnnxClassifier(Path file, OrtEnvironment env, OrtSession session, boolean profiling) throws OrtException {
        this.profiling = profiling;
        this.file = file;
        this.env = env;
        this.session = session;
        Map<String, NodeInfo> inputs = session.getInputInfo();
        Map<String, NodeInfo> outputs = session.getOutputInfo();
        if (inputs.size() == 1) {
            inputName = inputs.keySet().iterator().next();
        } else if (inputs.containsKey("pixel_values")) {
            inputName = "pixel_values";
        } else {
            throw new DfdException(file + ": expected one image input (pixel_values), found inputs " + inputs.keySet());
        }
        TensorInfo in = tensorInfo(inputs.get(inputName), "input " + inputName);
        inputType = in.type;
        inputShape = in.getShape();
        if (inputShape.length != 4 || (inputShape[1] != -1 && inputShape[1] != 3)) {
            throw new DfdException(file + ": input " + inputName + " has shape " + Arrays.toString(inputShape)
                    + ", expected [batch, 3, height, width]");
        }
        if (inputType != OnnxJavaType.FLOAT && inputType != OnnxJavaType.FLOAT16) {
            throw new DfdException(file + ": input " + inputName + " is " + inputType + ", expected float32 or float16");
        }
        outputName = outputs.containsKey("logits") ? "logits" : outputs.keySet().iterator().next();
        TensorInfo out = tensorInfo(outputs.get(outputName), "output " + outputName);
        long[] outShape = out.getShape();
        if (outShape.length != 2) {
            throw new DfdException(file + ": output " + outputName + " has shape " + Arrays.toString(outShape)
                    + ", expected [batch, num_labels]");
        }
        outputClasses = (int) outShape[1];
    }

    private TensorInfo tensorInfo(NodeInfo node, String what) {
        if (!(node.getInfo() instanceof TensorInfo t)) {
            throw new DfdException(file + ": " + what + " is not a tensor");
        }
        return t;
    }

    /**
     * Opens an ONNX model.
     *
     * @param intraOpThreads threads ONNX Runtime may use inside one run; 0 lets it decide (one per core)
     */
    public static OnnxClassifier open(Path file, int intraOpThreads) {
        return open(file, intraOpThreads, true);
    }

    /**
     * Opens an ONNX model.
     *
     * @param intraOpThreads threads ONNX Runtime may use inside one run; 0 lets it decide (one per core)
     * @param prepackWeights false skips ONNX Runtime's weight prepacking: a fast, lean load for a few images, at
     *                       15-30% slower inference (see {@link dev.dfd.RunPolicy})
     */
    public static OnnxClassifier open(Path file, int intraOpThreads, boolean prepackWeights) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setIntraOpNumThreads(Math.max(0, intraOpThreads));
            options.setInterOpNumThreads(1);
            // ONNX Runtime's memory pattern plans one block per input shape for all intermediate tensors; off, ViT-base
            // at batch 8 peaks 70 MB lower at the same speed (ViT-base and the default CNN measured, #7 note).
            // -Ddfd.ort.mempattern=true turns it back on for measurements.
            options.setMemoryPatternOptimization(Boolean.getBoolean("dfd.ort.mempattern"));
            if (!prepackWeights) {
                options.addConfigEntry("session.disable_prepacking", "1");
            }
            // dev knob for measurements: -Ddfd.ort.config=key=value,key=value (ONNX Runtime session config entries)
            String extra = System.getProperty("dfd.ort.config", "");
            for (String kv : extra.split(",")) {
                int eq = kv.indexOf('=');
                if (eq > 0) {
                    options.addConfigEntry(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
                }
            }
            if (Boolean.getBoolean("dfd.ort.noarena")) {
                options.setCPUArenaAllocator(false);
            }
            // -Ddfd.ort.profile=PREFIX: ONNX Runtime's own profile (session initialisation, every node of every
            // run) as PREFIX_<date>.json, written when the session closes
            String profile = System.getProperty("dfd.ort.profile");
            if (profile != null) {
                options.enableProfiling(profile);
            }
            OrtSession session = env.createSession(file.toString(), options);
            try {
                return new OnnxClassifier(file, env, session, profile != null);
            } catch (RuntimeException | OrtException e) {
                session.close();
                throw e;
            }
        } catch (OrtException e) {
            throw new DfdException(file + ": ONNX Runtime cannot load this model (" + oneLine(e.getMessage()) + ")", e);
        }
    }

    public Path file() {
        return file;
    }

    public String inputName() {
        return inputName;
    }

    public String outputName() {
        return outputName;
    }

    /** (batch, channels, height, width), -1 where dynamic. */
    public long[] inputShape() {
        return inputShape.clone();
    }

    public boolean float16Input() {
        return inputType == OnnxJavaType.FLOAT16;
    }

    /** Number of classes the output has, -1 when the model leaves it dynamic. */
    public int outputClasses() {
        return outputClasses;
    }

    /** Runs the model: logits as (batch, classes). */
    public float[][] run(PixelBatch batch) {
        if (closed) {
            throw new DfdException(file + ": the model session is closed");
        }
        try (OnnxTensor input = createInput(batch);
             OrtSession.Result result = session.run(Map.of(inputName, input))) {
            OnnxValue value = result.get(outputName).orElseThrow();
            if (!(value instanceof OnnxTensor out)) {
                throw new DfdException(file + ": output " + outputName + " is not a tensor");
            }
            long[] shape = out.getInfo().getShape(); // (batch, classes)
            if (shape.length != 2 || shape[0] != batch.batch()) {
                throw new DfdException(file + ": output " + outputName + " has shape " + Arrays.toString(shape)
                        + " for a batch of " + batch.batch());
            }
            FloatBuffer fb = out.getFloatBuffer(); // converts float16 outputs to float32
            int classes = (int) shape[1];
            float[][] logits = new float[batch.batch()][classes];
            for (float[] row : logits) {
                fb.get(row);
            }
            return logits;
        } catch (OrtException e) {
            throw new DfdException(file + ": inference failed (" + oneLine(e.getMessage()) + ")", e);
        }
    }

    private OnnxTensor createInput(PixelBatch batch) throws OrtException {
        if (inputType == OnnxJavaType.FLOAT16) {
            ByteBuffer bytes = ByteBuffer.allocateDirect(batch.data().length * 2).order(ByteOrder.nativeOrder());
            ShortBuffer halves = bytes.asShortBuffer();
            for (float f : batch.data()) {
                halves.put(Half.fromFloat(f));
            }
            return OnnxTensor.createTensor(env, bytes, batch.shape(), OnnxJavaType.FLOAT16);
        }
        return OnnxTensor.createTensor(env, FloatBuffer.wrap(batch.data()), batch.shape());
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (profiling) {
                System.err.println("dfd: ONNX Runtime profile written to " + session.endProfiling());
            }
        } catch (OrtException e) {
            System.err.println("dfd: cannot write the ONNX Runtime profile (" + oneLine(e.getMessage()) + ")");
        } finally {
            try {
                session.close();
            } catch (OrtException e) {
                throw new DfdException(file + ": error closing the ONNX Runtime session (" + e.getMessage() + ")", e);
            }
        }
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ").trim();
    }
}
