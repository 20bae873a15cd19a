package dev.dfd.family.resnet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.DfdException;
import dev.dfd.internal.Json;
import dev.dfd.internal.model.ModelConfig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * transformers' {@code ResNetConfig} (the layout of {@code ResNetForImageClassification}, as microsoft/resnet-50),
 * with its defaults for absent fields: ResNet-50 (bottleneck layers, widths 256/512/1024/2048, depths 3/4/6/3).
 *
 * @param channels               input channels
 * @param embedding              width of the 7x7 stem
 * @param hiddenSizes            output width per stage
 * @param depths                 layers per stage
 * @param bottleneck             layer_type "bottleneck" (1x1 reduce by 4, 3x3, 1x1 expand) rather than "basic"
 *                               (two 3x3)
 * @param downsampleInFirstStage stride 2 in stage 0 too
 * @param downsampleInBottleneck a bottleneck's stride is on its first 1x1 rather than on its 3x3
 * @param hiddenAct              activation after each convolution and each residual sum (relu)
 * @param labels                 id2label in id order
 * @param residualInput          dfd's extension ({@code "dfd_residual_input": true}): the stem sees the image and
 *                               its neighbouring-pixel residual {@code x - up2(down2(x))} (nearest down- and
 *                               up-sampling by 2), 2 x channels in all, the trace a generator's upsampling leaves;
 *                               transformers cannot load such a model (its stem has twice the input channels)
 */
public record ResNetConfig(int channels, int embedding, List<Integer> hiddenSizes, List<Integer> depths,
                           boolean bottleneck, boolean downsampleInFirstStage, boolean downsampleInBottleneck,
                           String hiddenAct, List<String> labels, boolean residualInput) {
    /** The channel reduction inside a bottleneck layer. */
    public static final int REDUCTION = 4;
    static final List<String> ACTIVATIONS = List.of("relu", "gelu", "silu", "swish");

    /** transformers' ResNet: the stem sees the image only. */
    public ResNetConfig(int channels, int embedding, List<Integer> hiddenSizes, List<Integer> depths,
                        boolean bottleneck, boolean downsampleInFirstStage, boolean downsampleInBottleneck,
                        String hiddenAct, List<String> labels) {
        this(channels, embedding, hiddenSizes, depths, bottleneck, downsampleInFirstStage, downsampleInBottleneck,
                hiddenAct, labels, false);
    }

    public ResNetConfig {
        hiddenSizes = List.copyOf(hiddenSizes);
        depths = List.copyOf(depths);
        labels = List.copyOf(labels);
        if (hiddenSizes.size() != depths.size() || hiddenSizes.isEmpty()) {
            throw new IllegalArgumentException("hidden_sizes " + hiddenSizes + " and depths " + depths
                    + " must have the same, non-zero length");
        }
        if (channels <= 0 || embedding <= 0 || hiddenSizes.stream().anyMatch(v -> v <= 0)
                || depths.stream().anyMatch(v -> v <= 0)) {
            throw new IllegalArgumentException("num_channels, embedding_size, hidden_sizes and depths must be positive");
        }
        if (bottleneck && hiddenSizes.stream().anyMatch(v -> v < REDUCTION)) {
            throw new IllegalArgumentException("bottleneck hidden_sizes must be at least " + REDUCTION);
        }
        if (!ACTIVATIONS.contains(hiddenAct)) {
            throw new IllegalArgumentException("hidden_act " + hiddenAct + " is not supported " + ACTIVATIONS);
        }
    }

    /** Basic layers, ReLU, no stride in stage 0 (what dfd trains). */
    public static ResNetConfig basic(int channels, int embedding, List<Integer> hiddenSizes, List<Integer> depths,
                                     boolean downsampleInFirstStage, List<String> labels) {
        return new ResNetConfig(channels, embedding, hiddenSizes, depths, false, downsampleInFirstStage, false, "relu",
                labels);
    }

    /** About 1.2M parameters: stem 24, stages 32/64/128/256, one basic layer each. */
    public static ResNetConfig compact(List<String> labels) {
        return basic(3, 24, List.of(32, 64, 128, 256), List.of(1, 1, 1, 1), false, labels);
    }

    public ResNetConfig withLabels(List<String> newLabels) {
        return new ResNetConfig(channels, embedding, hiddenSizes, depths, bottleneck, downsampleInFirstStage,
                downsampleInBottleneck, hiddenAct, newLabels, residualInput);
    }

    public ResNetConfig withResidualInput(boolean on) {
        return new ResNetConfig(channels, embedding, hiddenSizes, depths, bottleneck, downsampleInFirstStage,
                downsampleInBottleneck, hiddenAct, labels, on);
    }

    /** Input channels of the stem convolution: the image's, doubled by the residual input. */
    public int stemChannels() {
        return residualInput ? 2 * channels : channels;
    }

    public static ResNetConfig read(Path file) {
        ObjectNode o = Json.readObject(file);
        String layerType = Json.string(o, "layer_type", "bottleneck", file);
        if (!layerType.equals("basic") && !layerType.equals("bottleneck")) {
            throw new DfdException(file + ": \"layer_type\" must be \"basic\" or \"bottleneck\", found \"" + layerType + "\"");
        }
        try {
            return new ResNetConfig((int) Json.number(o, "num_channels", 3, file),
                    (int) Json.number(o, "embedding_size", 64, file),
                    ints(o.get("hidden_sizes"), List.of(256, 512, 1024, 2048), "hidden_sizes", file),
                    ints(o.get("depths"), List.of(3, 4, 6, 3), "depths", file),
                    layerType.equals("bottleneck"),
                    Json.bool(o, "downsample_in_first_stage", false, file),
                    Json.bool(o, "downsample_in_bottleneck", false, file),
                    Json.string(o, "hidden_act", "relu", file),
                    ModelConfig.read(file).labels(),
                    Json.bool(o, "dfd_residual_input", false, file));
        } catch (IllegalArgumentException e) {
            throw new DfdException(file + ": " + e.getMessage());
        }
    }

    private static List<Integer> ints(JsonNode n, List<Integer> fallback, String field, Path file) {
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isArray() || n.isEmpty()) {
            throw new DfdException(file + ": \"" + field + "\" must be a list of integers, found " + n);
        }
        List<Integer> out = new ArrayList<>();
        for (JsonNode v : n) {
            if (!v.isIntegralNumber()) {
                throw new DfdException(file + ": \"" + field + "\" must be a list of integers, found " + n);
            }
            out.add(v.asInt());
        }
        return out;
    }

    /** config.json as transformers writes it for ResNetForImageClassification. */
    public ObjectNode toJson() {
        ObjectNode c = Json.MAPPER.createObjectNode();
        c.putArray("architectures").add("ResNetForImageClassification");
        c.put("model_type", "resnet");
        c.put("num_channels", channels);
        c.put("embedding_size", embedding);
        var hs = c.putArray("hidden_sizes");
        hiddenSizes.forEach(hs::add);
        var ds = c.putArray("depths");
        depths.forEach(ds::add);
        c.put("layer_type", bottleneck ? "bottleneck" : "basic");
        c.put("hidden_act", hiddenAct);
        c.put("downsample_in_first_stage", downsampleInFirstStage);
        c.put("downsample_in_bottleneck", downsampleInBottleneck);
        if (residualInput) {
            c.put("dfd_residual_input", true);
        }
        dev.dfd.family.Configs.putLabels(c, labels);
        c.put("torch_dtype", "float32");
        return c;
    }
}
