package dev.dfd.family.efficientnet;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.DfdException;
import dev.dfd.family.Configs;
import dev.dfd.internal.Json;
import dev.dfd.internal.model.ModelConfig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * transformers' {@code EfficientNetConfig} for {@code EfficientNetForImageClassification}, with its defaults for
 * absent fields (EfficientNet-B7), and the block list its encoder builds from them.
 *
 * @param channels          input channels
 * @param widthCoefficient  channel multiplier (round_filters)
 * @param depthCoefficient  block-repeat multiplier (round_repeats)
 * @param depthDivisor      channels are rounded to multiples of it
 * @param kernelSizes       depthwise kernel per base block
 * @param inChannels        input width per base block (before rounding)
 * @param outChannels       output width per base block (before rounding)
 * @param strides           stride per base block (its first repeat)
 * @param repeats           repeats per base block (before rounding)
 * @param expandRatios      expansion per base block
 * @param depthwisePadding  block numbers whose stride-2 padding is symmetric (the others pad right and bottom more)
 * @param squeezeRatio      squeeze-excite width / block input width
 * @param hiddenDim         width of the top convolution and the classifier input
 * @param maxPooling        pooling_type "max" rather than "mean"
 * @param batchNormEps      BatchNorm epsilon
 * @param hiddenAct         swish/silu, relu, gelu, ...
 * @param labels            id2label in id order
 */
public record EfficientNetConfig(int channels, double widthCoefficient, double depthCoefficient, int depthDivisor,
                                 List<Integer> kernelSizes, List<Integer> inChannels, List<Integer> outChannels,
                                 List<Integer> strides, List<Integer> repeats, List<Integer> expandRatios,
                                 List<Integer> depthwisePadding, double squeezeRatio, int hiddenDim,
                                 boolean maxPooling, double batchNormEps, String hiddenAct, List<String> labels) {
    static final Set<String> ACTIVATIONS = Set.of("swish", "silu", "relu", "gelu", "gelu_new", "gelu_pytorch_tanh");

    /**
     * One block of the encoder.
     *
     * @param in       input width
     * @param out      output width
     * @param stride   1 or 2
     * @param kernel   depthwise kernel
     * @param expand   expansion ratio (1: no expansion layer)
     * @param residual the input is added to the output (a repeat with stride 1)
     * @param adjustPadding stride 2 pads (k/2 - 1, k/2) rather than (k/2, k/2)
     */
    public record Block(int in, int out, int stride, int kernel, int expand, boolean residual, boolean adjustPadding) {
    }

    public EfficientNetConfig {
        kernelSizes = List.copyOf(kernelSizes);
        inChannels = List.copyOf(inChannels);
        outChannels = List.copyOf(outChannels);
        strides = List.copyOf(strides);
        repeats = List.copyOf(repeats);
        expandRatios = List.copyOf(expandRatios);
        depthwisePadding = List.copyOf(depthwisePadding);
        labels = List.copyOf(labels);
        int n = inChannels.size();
        if (kernelSizes.size() != n || outChannels.size() != n || strides.size() != n || repeats.size() != n
                || expandRatios.size() != n) {
            throw new IllegalArgumentException("kernel_sizes, in_channels, out_channels, strides, num_block_repeats"
                    + " and expand_ratios must have the same length");
        }
        if (strides.stream().anyMatch(s -> s != 1 && s != 2) || kernelSizes.stream().anyMatch(k -> k % 2 == 0)) {
            throw new IllegalArgumentException("strides must be 1 or 2 and kernel_sizes odd");
        }
        if (!ACTIVATIONS.contains(hiddenAct)) {
            throw new IllegalArgumentException("hidden_act " + hiddenAct + " is not supported " + ACTIVATIONS);
        }
    }

    /** transformers' round_filters. */
    public int roundFilters(int filters) {
        double scaled = filters * widthCoefficient;
        int rounded = Math.max(depthDivisor, (int) (scaled + depthDivisor / 2.0) / depthDivisor * depthDivisor);
        if (rounded < 0.9 * scaled) {
            rounded += depthDivisor;
        }
        return rounded;
    }

    /** The encoder's blocks in order, as transformers' EfficientNetEncoder builds them. */
    public List<Block> blocks() {
        List<Block> blocks = new ArrayList<>();
        for (int i = 0; i < inChannels.size(); i++) {
            int in = roundFilters(inChannels.get(i));
            int out = roundFilters(outChannels.get(i));
            int n = (int) Math.ceil(depthCoefficient * repeats.get(i));
            for (int j = 0; j < n; j++) {
                int stride = j == 0 ? strides.get(i) : 1;
                blocks.add(new Block(j == 0 ? in : out, out, stride, kernelSizes.get(i), expandRatios.get(i),
                        j > 0, !depthwisePadding.contains(blocks.size())));
            }
        }
        return blocks;
    }

    public static EfficientNetConfig read(Path file) {
        ObjectNode o = Json.readObject(file);
        String pooling = Json.string(o, "pooling_type", "mean", file);
        if (!pooling.equals("mean") && !pooling.equals("max")) {
            throw new DfdException(file + ": \"pooling_type\" must be \"mean\" or \"max\", found \"" + pooling + "\"");
        }
        try {
            return new EfficientNetConfig((int) Json.number(o, "num_channels", 3, file),
                    Json.number(o, "width_coefficient", 2.0, file),
                    Json.number(o, "depth_coefficient", 3.1, file),
                    (int) Json.number(o, "depth_divisor", 8, file),
                    Configs.ints(o, "kernel_sizes", List.of(3, 3, 5, 3, 5, 5, 3), file),
                    Configs.ints(o, "in_channels", List.of(32, 16, 24, 40, 80, 112, 192), file),
                    Configs.ints(o, "out_channels", List.of(16, 24, 40, 80, 112, 192, 320), file),
                    Configs.ints(o, "strides", List.of(1, 2, 2, 2, 1, 2, 1), file),
                    Configs.ints(o, "num_block_repeats", List.of(1, 2, 2, 3, 3, 4, 1), file),
                    Configs.ints(o, "expand_ratios", List.of(1, 6, 6, 6, 6, 6, 6), file),
                    indices(o, file),
                    Json.number(o, "squeeze_expansion_ratio", 0.25, file),
                    (int) Json.number(o, "hidden_dim", 2560, file),
                    pooling.equals("max"),
                    Json.number(o, "batch_norm_eps", 1e-3, file),
                    Json.string(o, "hidden_act", "swish", file),
                    ModelConfig.read(file).labels());
        } catch (IllegalArgumentException e) {
            throw new DfdException(file + ": " + e.getMessage());
        }
    }

    /** depthwise_padding: block numbers (0 allowed, possibly empty). */
    private static List<Integer> indices(ObjectNode o, Path file) {
        var n = o.get("depthwise_padding");
        List<Integer> out = new ArrayList<>();
        if (n == null || n.isNull()) {
            return out;
        }
        if (!n.isArray()) {
            throw new DfdException(file + ": \"depthwise_padding\" must be a list of block numbers, found " + n);
        }
        for (var v : n) {
            if (!v.isIntegralNumber() || v.asInt() < 0) {
                throw new DfdException(file + ": \"depthwise_padding\" must be a list of block numbers, found " + n);
            }
            out.add(v.asInt());
        }
        return out;
    }
}
