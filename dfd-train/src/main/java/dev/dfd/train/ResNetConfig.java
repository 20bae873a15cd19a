package dev.dfd.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.DfdException;
import dev.dfd.Json;
import dev.dfd.model.ModelConfig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * transformers' {@code ResNetConfig} with basic (two 3x3 conv) layers: a compact convolutional family for CPU
 * budgets, in the layout {@code ResNetForImageClassification} loads.
 *
 * @param channels      input channels
 * @param embedding     width of the 7x7 stem
 * @param hiddenSizes   width per stage
 * @param depths        layers per stage
 * @param downsampleInFirstStage stride 2 in stage 0 too
 * @param labels        id2label in id order
 */
public record ResNetConfig(int channels, int embedding, List<Integer> hiddenSizes, List<Integer> depths,
                           boolean downsampleInFirstStage, List<String> labels) {
    public ResNetConfig {
        hiddenSizes = List.copyOf(hiddenSizes);
        depths = List.copyOf(depths);
        labels = List.copyOf(labels);
        if (hiddenSizes.size() != depths.size() || hiddenSizes.isEmpty()) {
            throw new IllegalArgumentException("hidden_sizes and depths must have the same, non-zero length");
        }
    }

    /** About 1.2M parameters: stem 24, stages 32/64/128/256, one basic layer each. */
    public static ResNetConfig compact(List<String> labels) {
        return new ResNetConfig(3, 24, List.of(32, 64, 128, 256), List.of(1, 1, 1, 1), false, labels);
    }

    public static ResNetConfig parse(ObjectNode o, Path file) {
        String layerType = Json.string(o, "layer_type", "bottleneck", file);
        if (!layerType.equals("basic")) {
            throw new DfdException(file + ": dfd trains ResNets with layer_type \"basic\", found " + layerType);
        }
        return new ResNetConfig((int) Json.number(o, "num_channels", 3, file),
                (int) Json.number(o, "embedding_size", 64, file), ints(o.get("hidden_sizes"), file),
                ints(o.get("depths"), file), Json.bool(o, "downsample_in_first_stage", false, file),
                ModelConfig.read(file).labels());
    }

    private static List<Integer> ints(JsonNode n, Path file) {
        if (n == null || !n.isArray() || n.isEmpty()) {
            throw new DfdException(file + ": hidden_sizes and depths must be lists of integers");
        }
        List<Integer> out = new ArrayList<>();
        n.forEach(v -> out.add(v.asInt()));
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
        c.put("layer_type", "basic");
        c.put("hidden_act", "relu");
        c.put("downsample_in_first_stage", downsampleInFirstStage);
        c.put("downsample_in_bottleneck", false);
        ObjectNode id2label = c.putObject("id2label");
        ObjectNode label2id = c.putObject("label2id");
        for (int i = 0; i < labels.size(); i++) {
            id2label.put(Integer.toString(i), labels.get(i));
            label2id.put(labels.get(i), i);
        }
        c.put("problem_type", "single_label_classification");
        c.put("torch_dtype", "float32");
        return c;
    }
}
