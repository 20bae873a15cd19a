package dev.dfd.optimize;

import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.fasterxml.jackson.databind.JsonNode;
import dev.dfd.Dfd;
import dev.dfd.DfdException;
import dev.dfd.convert.ExternalData;
import dev.dfd.internal.Json;
import dev.dfd.internal.model.ModelFiles;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.EnumSet;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

/**
 * {@code dfd optimize}: rewrites a transformer's fp32 ONNX graph with ONNX Runtime's contrib operators
 * (Attention, SkipLayerNormalization, BiasGelu / Gelu), writes it as the {@code optimized} variant and checks it
 * against the graph it came from before keeping it.
 *
 * <p>The check: both graphs run in ONNX Runtime (as dfd runs models: all of ONNX Runtime's own optimisations on)
 * on the same pseudo-random {@code pixel_values} (batch 2, uniform in [-1, 1], fixed seed); the largest logit
 * difference must stay within {@link #TOLERANCE} (relative to the largest logit when that is above 1), or the
 * files are deleted and the call fails. The tests hold the stricter per-fusion checks on real images.
 */
public final class GraphOptimizer {
    /** The variant name: {@code onnx/model_optimized.onnx}, loaded with {@code --variant optimized}. */
    public static final String VARIANT = "optimized";
    /** Largest logit difference accepted between the optimised and the original graph. */
    public static final double TOLERANCE = 1e-4;

    /**
     * What was written.
     *
     * @param fused         fusions made, by the operator written (in the order they run), zeros included
     * @param maxDifference largest logit difference to the original graph on the check input
     */
    public record Result(Path source, Path onnx, Path externalData, Map<String, Integer> fused, double maxDifference,
                         long bytes) {
        public int total() {
            return fused.values().stream().mapToInt(Integer::intValue).sum();
        }
    }

    private GraphOptimizer() {
    }

    /** The fusions of a model in memory (weights inline), without writing or checking: for tests and tools. */
    static Rewrite rewrite(OnnxMl.ModelProto model, Set<Kind> kinds) {
        Shapes shapes = Shapes.infer(model);
        OnnxGraph g = new OnnxGraph(model);
        Map<String, Integer> counts = new LinkedHashMap<>();
        // first, a LayerNorm written out step by step (torch's export below opset 17) becomes one node, which the
        // residual fusion then takes like any other
        if (kinds.contains(Kind.LAYER_NORM) || kinds.contains(Kind.SKIP_LAYER_NORM)) {
            counts.put("LayerNormalization", new LayerNormFusion().apply(g, shapes));
        }
        // the patterns do not overlap (attention ends at its merge Reshape, the residual Add comes after the output
        // projection), so each fusion finds the same matches whichever runs first
        if (kinds.contains(Kind.ATTENTION)) {
            counts.put("Attention", new AttentionFusion().apply(g, shapes));
        }
        if (kinds.contains(Kind.SKIP_LAYER_NORM)) {
            counts.put("SkipLayerNormalization", new SkipLayerNormFusion().apply(g, shapes));
        }
        if (kinds.contains(Kind.GELU)) {
            GeluFusion gelu = new GeluFusion();
            gelu.apply(g, shapes);
            counts.put("BiasGelu", gelu.biased());
            counts.put("Gelu", gelu.plain());
        }
        String summary = counts.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(","));
        return new Rewrite(g.toModel(Map.of("dfd_optimize", summary, "dfd_optimize_version", Dfd.version())), counts);
    }

    record Rewrite(OnnxMl.ModelProto model, Map<String, Integer> counts) {
    }

    /** The fusions, selectable one by one (the tests check each alone). */
    public enum Kind {
        /**
         * a LayerNorm decomposed into ReduceMean, Sub, Pow, ... (torch.onnx.export below opset 17) into one
         * LayerNormalization; also made whenever SKIP_LAYER_NORM is asked for, which needs it
         */
        LAYER_NORM,
        /** multi-head self-attention into com.microsoft::Attention */
        ATTENTION,
        /** residual Add + LayerNormalization into com.microsoft::SkipLayerNormalization */
        SKIP_LAYER_NORM,
        /** erf GELU (with the Linear bias before it) into com.microsoft::BiasGelu or Gelu */
        GELU;

        public static Set<Kind> parse(String list) {
            Set<Kind> kinds = EnumSet.noneOf(Kind.class);
            for (String s : list.split(",")) {
                switch (s.strip().toLowerCase(java.util.Locale.ROOT)) {
                    case "attention" -> kinds.add(ATTENTION);
                    case "layernorm", "layernormalization" -> kinds.add(LAYER_NORM);
                    case "skiplayernorm", "skiplayernormalization", "skip-layer-norm" -> kinds.add(SKIP_LAYER_NORM);
                    case "gelu", "biasgelu" -> kinds.add(GELU);
                    case "all" -> kinds.addAll(EnumSet.allOf(Kind.class));
                    default -> throw new DfdException("unknown fusion '" + s.strip()
                            + "', expected attention, layernorm, skiplayernorm, gelu or all");
                }
            }
            return kinds;
        }
    }

    /** Every fusion: see {@link #optimize(Path, Path, Set)}. */
    public static Result optimize(Path location, Path output) {
        return optimize(location, output, EnumSet.allOf(Kind.class));
    }

    /**
     * Optimises the fp32 ONNX model of {@code location} (a model directory or an .onnx file) into {@code output}
     * ({@code onnx/model_optimized.onnx} beside it when null), with external data when the source has it or the
     * weights exceed 64 MiB. Nothing is written when no fusion applies (a CNN); the result then has a null path.
     */
    public static Result optimize(Path location, Path output, Set<Kind> kinds) {
        ModelFiles files = ModelFiles.locate(location, null);
        Path source = files.onnx();
        OnnxMl.ModelProto model;
        try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(source), 1 << 20)) {
            model = OnnxMl.ModelProto.parseFrom(com.google.protobuf.CodedInputStream.newInstance(in));
            model = ExternalData.inline(model, source.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new DfdException(source + ": cannot read the ONNX model (" + e.getMessage() + ")");
        }
        Rewrite r = rewrite(model, kinds);
        model = null; // the rewritten model shares most weights; let the rest go before writing
        Path onnx = output != null ? output : source.resolveSibling(ModelFiles.onnxFileName(VARIANT));
        if (onnx.toAbsolutePath().normalize().equals(source.toAbsolutePath().normalize())) {
            throw new DfdException(onnx + ": is the model being optimised; write the optimised graph elsewhere");
        }
        int total = r.counts.values().stream().mapToInt(Integer::intValue).sum();
        if (total == 0) {
            return new Result(source, null, null, r.counts, 0, 0);
        }
        Path data = onnx.resolveSibling(ExternalData.dataFileName(onnx.getFileName().toString()));
        boolean external = files.externalData() != null || ExternalData.wanted(ExternalData.Mode.AUTO, r.model);
        try {
            if (onnx.toAbsolutePath().getParent() != null) {
                Files.createDirectories(onnx.toAbsolutePath().getParent());
            }
            OnnxMl.ModelProto out = r.model;
            Path tmpData = data.resolveSibling(data.getFileName() + ".tmp");
            if (external) {
                out = ExternalData.externalize(out, tmpData, data.getFileName().toString());
            }
            Path tmp = onnx.resolveSibling(onnx.getFileName() + ".tmp");
            try (OutputStream os = new java.io.BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
                out.writeTo(os);
            }
            if (external) {
                Files.move(tmpData, data, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } else {
                Files.deleteIfExists(data);
            }
            Files.move(tmp, onnx, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new DfdException(onnx + ": cannot write (" + e.getMessage() + ")");
        }
        double diff;
        try {
            diff = maxDifference(source, onnx);
        } catch (DfdException e) {
            deleteQuietly(onnx, data);
            throw e;
        }
        if (!(diff <= TOLERANCE)) {
            deleteQuietly(onnx, data);
            throw new DfdException(source + ": the optimised graph's logits differ from the original's by " + diff
                    + " (more than " + TOLERANCE + "); nothing written. Fusions: " + r.counts);
        }
        try {
            long bytes = Files.size(onnx) + (external ? Files.size(data) : 0);
            return new Result(source, onnx, external ? data : null, r.counts, diff, bytes);
        } catch (IOException e) {
            throw new DfdException(onnx + ": " + e.getMessage());
        }
    }

    private static void deleteQuietly(Path... paths) {
        for (Path p : paths) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // the failure being reported matters more than a leftover file
            }
        }
    }

    /**
     * The largest difference between two graphs' first outputs on the same pseudo-random input (batch 2), relative
     * to the largest output when that exceeds 1.
     */
    static double maxDifference(Path original, Path optimized) {
        long[] free = freeDimensions(original);
        float[] a = run(original, free);
        float[] b = run(optimized, free);
        if (a.length != b.length) {
            throw new DfdException(optimized + ": gives " + b.length + " outputs for the check input, the original "
                    + a.length);
        }
        double max = 0;
        double scale = 1;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs((double) a[i] - b[i]));
            scale = Math.max(scale, Math.abs(a[i]));
            if (Float.isNaN(a[i]) != Float.isNaN(b[i])) {
                return Double.NaN;
            }
        }
        return max / scale;
    }

    /**
     * What to give an input dimension the graph leaves free: {channels, height, width} from the model's config.json
     * (beside onnx/, as the Hub lays models out), else 3 and 224. Hub exports (Optimum) leave all four free, and
     * a ViT's position embeddings fix its size.
     */
    static long[] freeDimensions(Path onnx) {
        long[] dims = {3, 224, 224};
        Path dir = onnx.toAbsolutePath().getParent();
        for (Path config : new Path[]{dir.resolve("config.json"), dir.getParent() == null ? null
                : dir.getParent().resolve("config.json")}) {
            if (config == null || !Files.isRegularFile(config)) {
                continue;
            }
            try {
                JsonNode c = Json.MAPPER.readTree(config.toFile());
                dims[0] = c.path("num_channels").asLong(3);
                JsonNode size = c.path("image_size");
                if (size.isInt()) {
                    dims[1] = dims[2] = size.asLong();
                } else if (size.isArray() && size.size() == 2) {
                    dims[1] = size.get(0).asLong();
                    dims[2] = size.get(1).asLong();
                }
            } catch (IOException e) {
                // an unreadable config: the defaults, and the check says whether they fit
            }
            break;
        }
        return dims;
    }

    private static float[] run(Path onnx, long[] free) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.setIntraOpNumThreads(1);
            options.addConfigEntry("session.disable_prepacking", "1"); // opens ViT-base in 0.1 s instead of 1.4 s
            try (OrtSession s = env.createSession(onnx.toString(), options)) {
                String name = s.getInputNames().iterator().next();
                TensorInfo info = (TensorInfo) s.getInputInfo().get(name).getInfo();
                if (info.type != ai.onnxruntime.OnnxJavaType.FLOAT) {
                    throw new DfdException(onnx + ": input " + name + " is " + info.type
                            + "; dfd optimize works on float32 graphs");
                }
                long[] shape = info.getShape().clone();
                shape[0] = 2;
                for (int i = 1; i < shape.length; i++) {
                    if (shape[i] < 0) { // a CNN's free size, or any of a Hub export's
                        shape[i] = shape.length == 4 ? free[i - 1] : 224;
                    }
                }
                long n = 1;
                for (long d : shape) {
                    n *= d;
                }
                float[] x = new float[Math.toIntExact(n)];
                SplittableRandom random = new SplittableRandom(20240601L);
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) (random.nextDouble() * 2 - 1);
                }
                try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape);
                     OrtSession.Result result = s.run(Map.of(name, t))) {
                    OnnxValue out = result.get(0);
                    FloatBuffer fb = ((OnnxTensor) out).getFloatBuffer();
                    float[] y = new float[fb.remaining()];
                    fb.get(y);
                    return y;
                }
            }
        } catch (OrtException e) {
            throw new DfdException(onnx + ": ONNX Runtime cannot run it (" + e.getMessage() + ")");
        }
    }

}
