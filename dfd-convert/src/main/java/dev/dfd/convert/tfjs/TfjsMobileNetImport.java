package dev.dfd.convert.tfjs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.DfdException;
import dev.dfd.family.mobilenetv1.MobileNetV1Config;
import dev.dfd.internal.Json;
import dev.dfd.safetensors.SafetensorsWriter;
import dev.dfd.safetensors.SafetensorsWriter.FloatTensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * A MobileNet V1 in TensorFlow.js graph format (Keras' {@code MobileNet} as {@code tensorflowjs_converter} writes it,
 * e.g. the face-recognition model {@code faceres} of {@code @vladmandic/human}) imported as a Hugging Face
 * {@code MobileNetV1ForImageClassification} directory: config.json, preprocessor_config.json, model.safetensors in
 * transformers' names. {@code dfd convert} then exports it to ONNX, and {@code dfd train --init} fine-tunes it.
 *
 * <p>The graph is followed from its input through the stem and the 13 depthwise-separable layers to the global mean.
 * Each convolution ({@code Conv2D}, {@code DepthwiseConv2dNative} or their fused forms) may be followed by a
 * per-channel {@code Mul} and an {@code Add}/{@code BiasAdd} (BatchNorm as the converter folds it), then ReLU6 (as
 * {@code Relu6}, or {@code Relu -> Minimum 6 -> Maximum 0}). The scale is folded into the convolution's weights and
 * the shift becomes a BatchNorm with weight 1, mean 0 and variance 1 - eps, i.e. exactly {@code y + shift}. Because
 * those statistics are not measured ones, the config says {@code dfd_batchnorm_frozen} and training keeps them.
 * Whatever follows the global mean (faceres' age and gender heads) is dropped, except a linear head named by
 * {@code headNode}; otherwise the classifier is new, initialised as transformers does (normal, std 0.02; bias 0).
 */
public final class TfjsMobileNetImport {
    /**
     * How the model wants its pixels. The imported model takes 0..1 (or -1..1 for SIGNED, by its preprocessor's
     * normalisation): a 0..255 model's stem kernel is multiplied by 255 instead, which is exact and keeps the stem's
     * weights on the scale of the others, so that an optimiser's steps (about the learning rate per weight, whatever
     * the gradient's size) do not move its first layer 255 times too far.
     */
    public enum InputRange {
        /** 0..255, unscaled (faceres). */
        BYTE("0-255"),
        /** 0..1. */
        UNIT("0-1"),
        /** -1..1 (Keras' mobilenet.preprocess_input). */
        SIGNED("-1-1");

        public final String label;

        InputRange(String label) {
            this.label = label;
        }

        public static InputRange parse(String s) {
            for (InputRange r : values()) {
                if (r.label.equals(s)) {
                    return r;
                }
            }
            throw new DfdException("input range \"" + s + "\" is not one of 0-255, 0-1, -1-1");
        }
    }

    /**
     * @param imageSize  the square size the preprocessor resizes to (the model takes any size; 224 is faceres')
     * @param labels     the classifier's labels
     * @param headNode   a MatMul node reading the pooled features whose kernel (features, labels) and bias become the
     *                   classifier, or null for a new classifier
     * @param seed       the new classifier's initialisation
     */
    public record Options(int imageSize, InputRange inputRange, List<String> labels, String headNode, long seed) {
        public Options {
            labels = List.copyOf(labels);
            if (imageSize < 16 || labels.isEmpty()) {
                throw new IllegalArgumentException("image size must be at least 16 and there must be labels");
            }
        }
    }

    /** One convolution of the chain, in TensorFlow's layout, with what follows it. */
    private record ConvLayer(String node, boolean depthwise, float[] kernel, long[] kernelShape, int stride,
                             float[] scale, float[] shift, String activation) {
    }

    private final TfjsGraph g;

    private TfjsMobileNetImport(TfjsGraph g) {
        this.g = g;
    }

    /** Imports {@code modelJson} into {@code out}; returns the config written. */
    public static MobileNetV1Config run(Path modelJson, Path out, Options o) {
        return new TfjsMobileNetImport(TfjsGraph.read(modelJson)).write(out, o);
    }

    private MobileNetV1Config write(Path out, Options o) {
        List<TfjsGraph.Node> inputs = g.nodes().values().stream().filter(n -> n.op().equals("Placeholder")).toList();
        if (inputs.size() != 1) {
            throw new DfdException(g.file() + ": a MobileNet graph has one input, this one has " + inputs.size());
        }
        List<ConvLayer> convs = new ArrayList<>();
        String pooled = follow(inputs.get(0).name(), convs);
        int n = MobileNetV1Config.STRIDES.length;
        if (convs.size() != 1 + 2 * n) {
            throw new DfdException(g.file() + ": found " + convs.size() + " convolutions before the global mean; a"
                    + " MobileNet V1 has " + (1 + 2 * n) + " (a stem and 13 depthwise-separable layers)");
        }
        // the last layer is 1024 x the multiplier (the stem's 32 x it may be raised to min_depth)
        int lastWidth = (int) convs.get(convs.size() - 1).kernelShape()[3];
        MobileNetV1Config config = MobileNetV1Config.standard(lastWidth / 1024.0, o.labels(), true);
        check(convs, config);

        Map<String, FloatTensor> tensors = new LinkedHashMap<>();
        ConvLayer stem = convs.get(0);
        if (o.inputRange() == InputRange.BYTE) {
            // takes 0..1 instead: conv(255 x) = conv'(x) with the kernel times 255, exactly (zero padding stays zero)
            float[] k = stem.kernel().clone();
            for (int i = 0; i < k.length; i++) {
                k[i] *= 255f;
            }
            stem = new ConvLayer(stem.node(), false, k, stem.kernelShape(), stem.stride(), stem.scale(), stem.shift(),
                    stem.activation());
        }
        put(tensors, "mobilenet_v1.conv_stem", stem, config.layerNormEps());
        for (int i = 1; i < convs.size(); i++) {
            put(tensors, "mobilenet_v1.layer." + (i - 1), convs.get(i), config.layerNormEps());
        }
        int features = config.featureWidth();
        int labels = o.labels().size();
        String headNote;
        if (o.headNode() != null) {
            headFrom(o.headNode(), pooled, features, labels, tensors);
            headNote = "classifier from node " + o.headNode();
        } else {
            Random r = new Random(o.seed());
            float[] w = new float[labels * features];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) (r.nextGaussian() * 0.02);
            }
            tensors.put("classifier.weight", new FloatTensor(w, labels, features));
            tensors.put("classifier.bias", new FloatTensor(new float[labels], labels));
            headNote = "new classifier (normal, std 0.02, seed " + o.seed() + ")";
        }
        try {
            Files.createDirectories(out);
            Files.writeString(out.resolve("config.json"),
                    Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(config.toJson()));
            Files.writeString(out.resolve("preprocessor_config.json"), preprocessor(o));
            SafetensorsWriter.write(out.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
            ObjectNode provenance = Json.MAPPER.createObjectNode();
            provenance.put("source", g.file().toAbsolutePath().toString());
            provenance.put("source_sha256", sha256(g.file()));
            provenance.put("convolutions", convs.size());
            provenance.put("depth_multiplier", config.depthMultiplier());
            provenance.put("pooled_node", pooled);
            provenance.put("classifier", headNote);
            provenance.put("input_range", o.inputRange().label);
            Files.writeString(out.resolve("dfd_tfjs_import.json"),
                    Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(provenance));
        } catch (IOException e) {
            throw new DfdException(out + ": cannot write (" + e.getMessage() + ")");
        }
        return config;
    }

    /** Walks the chain from the input to the global mean, collecting the convolutions; returns the mean's name. */
    private String follow(String from, List<ConvLayer> convs) {
        String at = from;
        ConvLayer open = null;
        while (true) {
            List<TfjsGraph.Node> next = g.consumers(at);
            if (next.size() != 1) {
                throw new DfdException(g.file() + ": node " + at + " feeds " + next.size() + " nodes; a MobileNet's"
                        + " layers form one chain up to the global mean");
            }
            TfjsGraph.Node n = next.get(0);
            switch (n.op()) {
                case "Conv2D", "_FusedConv2D", "DepthwiseConv2dNative", "FusedDepthwiseConv2dNative" -> {
                    if (open != null) {
                        convs.add(open);
                    }
                    open = conv(n);
                }
                case "Mul" -> open = withScale(open, n, at);
                case "Add", "AddV2", "BiasAdd" -> open = withShift(open, n, at);
                case "Relu", "Relu6" -> open = withActivation(open, n, n.op().equals("Relu") ? "relu" : "relu6");
                case "Minimum" -> open = clip(open, n, at, 6f, "relu6");
                case "Maximum" -> open = clip(open, n, at, 0f, null);
                case "Mean" -> {
                    TfjsGraph.Tensor axes = g.constant(n.inputs().get(1));
                    if (axes == null || axes.values().length != 2 || axes.values()[0] != 1 || axes.values()[1] != 2) {
                        throw new DfdException(g.file() + ": node " + n.name() + " is a mean, but not over height and"
                                + " width (axes 1, 2)");
                    }
                    if (open != null) {
                        convs.add(open);
                    }
                    return n.name();
                }
                default -> throw new DfdException(g.file() + ": node " + n.name() + " is a " + n.op() + ", which a"
                        + " MobileNet V1 import does not expect (Conv2D, DepthwiseConv2dNative, Mul, Add, Relu6,"
                        + " Minimum, Maximum, Mean)");
            }
            at = n.name();
        }
    }

    private ConvLayer conv(TfjsGraph.Node n) {
        boolean depthwise = n.op().contains("Depthwise");
        String padding = n.string("padding");
        if (!"SAME".equals(padding)) {
            throw new DfdException(g.file() + ": node " + n.name() + " pads \"" + padding + "\"; the import reads SAME"
                    + " padding (transformers' tf_padding)");
        }
        String format = n.string("data_format");
        if (format != null && !format.equals("NHWC")) {
            throw new DfdException(g.file() + ": node " + n.name() + " is " + format + ", not NHWC");
        }
        long[] strides = n.ints("strides");
        long[] dilations = n.ints("dilations");
        if (strides == null || strides.length != 4 || strides[1] != strides[2]) {
            throw new DfdException(g.file() + ": node " + n.name() + " has no square strides");
        }
        if (dilations != null && java.util.Arrays.stream(dilations).anyMatch(d -> d != 1)) {
            throw new DfdException(g.file() + ": node " + n.name() + " is dilated");
        }
        TfjsGraph.Tensor k = g.constant(n.inputs().get(1));
        if (k == null || k.shape().length != 4) {
            throw new DfdException(g.file() + ": node " + n.name() + " has no constant 4-d kernel");
        }
        if (depthwise && k.shape()[3] != 1) {
            throw new DfdException(g.file() + ": node " + n.name() + " has depth multiplier " + k.shape()[3]
                    + "; MobileNet's depthwise convolutions have 1");
        }
        ConvLayer c = new ConvLayer(n.name(), depthwise, k.values(), k.shape(), (int) strides[1], null, null, null);
        if (n.op().startsWith("_Fused") || n.op().startsWith("Fused")) {
            List<String> fused = n.strings("fused_ops");
            for (String op : fused) {
                switch (op) {
                    case "BiasAdd" -> c = new ConvLayer(c.node(), depthwise, c.kernel(), c.kernelShape(), c.stride(),
                            null, vector(n.inputs().get(2), n, outWidth(c)), null);
                    case "Relu" -> c = withActivation(c, n, "relu");
                    case "Relu6" -> c = withActivation(c, n, "relu6");
                    default -> throw new DfdException(g.file() + ": node " + n.name() + " fuses " + op
                            + ", which the import does not read (BiasAdd, Relu, Relu6)");
                }
            }
        }
        return c;
    }

    private static int outWidth(ConvLayer c) {
        return (int) (c.depthwise() ? c.kernelShape()[2] : c.kernelShape()[3]);
    }

    private float[] vector(String constName, TfjsGraph.Node at, int width) {
        TfjsGraph.Tensor t = g.constant(constName);
        if (t == null || t.values().length != width) {
            throw new DfdException(g.file() + ": node " + at.name() + " needs a constant of " + width + " values per"
                    + " channel");
        }
        return t.values();
    }

    /** The non-chain input of a binary node. */
    private String other(TfjsGraph.Node n, String chain) {
        if (n.inputs().size() != 2 || !n.inputs().contains(chain)) {
            throw new DfdException(g.file() + ": node " + n.name() + " is not a binary node on the chain");
        }
        return n.inputs().get(0).equals(chain) ? n.inputs().get(1) : n.inputs().get(0);
    }

    private ConvLayer withScale(ConvLayer c, TfjsGraph.Node n, String chain) {
        if (c == null || c.shift() != null || c.scale() != null || c.activation() != null) {
            throw new DfdException(g.file() + ": node " + n.name() + " scales where a MobileNet has no scale");
        }
        return new ConvLayer(c.node(), c.depthwise(), c.kernel(), c.kernelShape(), c.stride(),
                vector(other(n, chain), n, outWidth(c)), null, null);
    }

    private ConvLayer withShift(ConvLayer c, TfjsGraph.Node n, String chain) {
        if (c == null || c.shift() != null || c.activation() != null) {
            throw new DfdException(g.file() + ": node " + n.name() + " adds where a MobileNet adds nothing");
        }
        return new ConvLayer(c.node(), c.depthwise(), c.kernel(), c.kernelShape(), c.stride(), c.scale(),
                vector(other(n, chain), n, outWidth(c)), null);
    }

    private ConvLayer withActivation(ConvLayer c, TfjsGraph.Node n, String act) {
        if (c == null || c.activation() != null) {
            throw new DfdException(g.file() + ": node " + n.name() + " is an activation where a MobileNet has none");
        }
        return new ConvLayer(c.node(), c.depthwise(), c.kernel(), c.kernelShape(), c.stride(), c.scale(), c.shift(),
                act);
    }

    /** Keras' ReLU6 as the converter writes it: Relu, then Minimum with 6, then Maximum with 0 (no effect after Relu). */
    private ConvLayer clip(ConvLayer c, TfjsGraph.Node n, String chain, float bound, String becomes) {
        TfjsGraph.Tensor t = g.constant(other(n, chain));
        boolean clipsRelu = c != null && "relu".equals(c.activation()) && becomes != null;
        boolean floorAfterRelu = c != null && c.activation() != null && becomes == null;
        if (t == null || t.values().length != 1 || t.values()[0] != bound || !(clipsRelu || floorAfterRelu)) {
            throw new DfdException(g.file() + ": node " + n.name() + " is a " + n.op() + " that is not part of ReLU6"
                    + " (Relu, Minimum 6, Maximum 0)");
        }
        return becomes == null ? c : new ConvLayer(c.node(), c.depthwise(), c.kernel(), c.kernelShape(), c.stride(),
                c.scale(), c.shift(), becomes);
    }

    /** The chain must be MobileNet V1's: widths, kernels, strides and ReLU6 everywhere. */
    private void check(List<ConvLayer> convs, MobileNetV1Config config) {
        List<Integer> widths = config.layerWidths();
        int in = config.stemWidth();
        expect(convs.get(0), false, 3, 3, in, 2);
        for (int i = 0; i < widths.size(); i++) {
            expect(convs.get(1 + 2 * i), true, 3, in, in, MobileNetV1Config.STRIDES[i]);
            expect(convs.get(2 + 2 * i), false, 1, in, widths.get(i), 1);
            in = widths.get(i);
        }
    }

    private void expect(ConvLayer c, boolean depthwise, int k, int in, int out, int stride) {
        long[] s = c.kernelShape();
        boolean shapeOk = s[0] == k && s[1] == k && s[2] == in && (depthwise ? s[3] == 1 : s[3] == out);
        if (c.depthwise() != depthwise || !shapeOk || c.stride() != stride || !"relu6".equals(c.activation())) {
            throw new DfdException(String.format(Locale.ROOT, "%s: node %s is a %s %s kernel, stride %d, %s; MobileNet V1"
                            + " has a %s [%d, %d, %d, %d] kernel, stride %d, relu6 here", g.file(), c.node(),
                    c.depthwise() ? "depthwise" : "regular", java.util.Arrays.toString(s), c.stride(), c.activation(),
                    depthwise ? "depthwise" : "regular", k, k, in, depthwise ? 1 : out, stride));
        }
    }

    /**
     * TensorFlow kernel (kh, kw, in, out) or depthwise (kh, kw, in, 1), times the scale per output channel, as
     * PyTorch's (out, in / groups, kh, kw); the shift as a BatchNorm that adds it.
     */
    private static void put(Map<String, FloatTensor> t, String name, ConvLayer c, double eps) {
        int kh = (int) c.kernelShape()[0];
        int kw = (int) c.kernelShape()[1];
        int in = (int) c.kernelShape()[2];
        int out = outWidth(c);
        int inPerGroup = c.depthwise() ? 1 : in;
        float[] w = new float[out * inPerGroup * kh * kw];
        for (int o = 0; o < out; o++) {
            float s = c.scale() == null ? 1f : c.scale()[o];
            for (int i = 0; i < inPerGroup; i++) {
                for (int y = 0; y < kh; y++) {
                    for (int x = 0; x < kw; x++) {
                        int src = c.depthwise() ? ((y * kw + x) * in + o) : (((y * kw + x) * in + i) * out + o);
                        w[((o * inPerGroup + i) * kh + y) * kw + x] = c.kernel()[src] * s;
                    }
                }
            }
        }
        t.put(name + ".convolution.weight", new FloatTensor(w, out, inPerGroup, kh, kw));
        float[] ones = new float[out];
        float[] var = new float[out];
        java.util.Arrays.fill(ones, 1f);
        java.util.Arrays.fill(var, (float) (1 - eps));
        t.put(name + ".normalization.weight", new FloatTensor(ones, out));
        t.put(name + ".normalization.bias", new FloatTensor(c.shift() == null ? new float[out] : c.shift(), out));
        t.put(name + ".normalization.running_mean", new FloatTensor(new float[out], out));
        t.put(name + ".normalization.running_var", new FloatTensor(var, out));
    }

    private void headFrom(String name, String pooled, int features, int labels, Map<String, FloatTensor> t) {
        TfjsGraph.Node n = g.node(name);
        if (!(n.op().equals("MatMul") || n.op().equals("_FusedMatMul")) || !n.inputs().get(0).equals(pooled)) {
            throw new DfdException(g.file() + ": head node " + name + " is not a MatMul of the pooled features "
                    + pooled);
        }
        if (n.attr().path("transpose_a").path("b").asBoolean(false) || n.attr().path("transpose_b").path("b").asBoolean(false)) {
            throw new DfdException(g.file() + ": head node " + name + " transposes an operand");
        }
        TfjsGraph.Tensor k = g.constant(n.inputs().get(1));
        if (k == null || k.shape().length != 2 || k.shape()[0] != features || k.shape()[1] != labels) {
            throw new DfdException(g.file() + ": head node " + name + " needs a constant (" + features + ", " + labels
                    + ") kernel for " + labels + " labels");
        }
        float[] w = new float[labels * features]; // (labels, features), transformers' Linear
        for (int f = 0; f < features; f++) {
            for (int l = 0; l < labels; l++) {
                w[l * features + f] = k.values()[f * labels + l];
            }
        }
        float[] bias = new float[labels];
        List<String> fused = n.strings("fused_ops");
        if (fused.equals(List.of("BiasAdd"))) {
            bias = vector(n.inputs().get(2), n, labels);
        } else if (!fused.isEmpty()) {
            throw new DfdException(g.file() + ": head node " + name + " fuses " + fused + "; a linear head fuses at"
                    + " most a BiasAdd");
        }
        t.put("classifier.weight", new FloatTensor(w, labels, features));
        t.put("classifier.bias", new FloatTensor(bias, labels));
    }

    private static String preprocessor(Options o) {
        ObjectNode p = Json.MAPPER.createObjectNode();
        p.put("image_processor_type", "ViTImageProcessor");
        p.put("do_resize", true);
        p.put("resample", 2); // bilinear, as TensorFlow.js' resizeBilinear
        p.putObject("size").put("height", o.imageSize()).put("width", o.imageSize());
        p.put("do_rescale", true); // 0..255 models get their stem scaled instead (see write)
        p.put("rescale_factor", 1 / 255.0);
        p.put("do_normalize", o.inputRange() == InputRange.SIGNED);
        p.putArray("image_mean").add(0.5).add(0.5).add(0.5);
        p.putArray("image_std").add(0.5).add(0.5).add(0.5);
        try {
            return Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(p);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sha256(Path file) throws IOException {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
            return java.util.HexFormat.of().formatHex(d);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
