package dev.dfd.family.beit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.DfdException;
import dev.dfd.family.Configs;
import dev.dfd.internal.Json;
import dev.dfd.internal.model.ModelConfig;

import java.nio.file.Path;
import java.util.List;

/**
 * transformers' {@code BeitConfig} for {@code BeitForImageClassification}, with its defaults for absent fields.
 *
 * @param imageHeight           input height (the relative position tables are made for its window)
 * @param imageWidth            input width
 * @param patchSize             square patch side
 * @param channels              input channels
 * @param hidden                hidden size
 * @param layers                encoder layers
 * @param heads                 attention heads
 * @param intermediate          MLP width
 * @param layerNormEps          LayerNorm epsilon
 * @param hiddenAct             gelu, gelu_new, gelu_pytorch_tanh, quick_gelu or relu
 * @param absolutePositions     use_absolute_position_embeddings
 * @param relativeBias          use_relative_position_bias (a table per layer)
 * @param sharedRelativeBias    use_shared_relative_position_bias (one table for every layer)
 * @param layerScale            layer_scale_init_value > 0: lambda_1, lambda_2 per layer
 * @param meanPooling           use_mean_pooling: LayerNorm(mean of the patch tokens), else LayerNorm(h)[:, 0]
 * @param labels                id2label in id order
 */
public record BeitConfig(int imageHeight, int imageWidth, int patchSize, int channels, int hidden, int layers,
                         int heads, int intermediate, double layerNormEps, String hiddenAct, boolean absolutePositions,
                         boolean relativeBias, boolean sharedRelativeBias, boolean layerScale, boolean meanPooling,
                         List<String> labels) {
    public BeitConfig {
        labels = List.copyOf(labels);
        Configs.checkPatchTransformer("", hidden, heads, imageHeight, imageWidth, patchSize, hiddenAct,
                Configs.TRANSFORMER_ACTIVATIONS);
    }

    public int gridHeight() {
        return imageHeight / patchSize;
    }

    public int gridWidth() {
        return imageWidth / patchSize;
    }

    /** CLS + patches. */
    public int sequence() {
        return gridHeight() * gridWidth() + 1;
    }

    public static BeitConfig read(Path file) {
        ObjectNode o = Json.readObject(file);
        int[] image = Configs.pair(o, "image_size", 224, file);
        int[] patch = Configs.pair(o, "patch_size", 16, file);
        if (patch[0] != patch[1]) {
            throw new DfdException(file + ": non-square patch_size is not supported");
        }
        try {
            return new BeitConfig(image[0], image[1], patch[0], (int) Json.number(o, "num_channels", 3, file),
                    (int) Json.number(o, "hidden_size", 768, file),
                    (int) Json.number(o, "num_hidden_layers", 12, file),
                    (int) Json.number(o, "num_attention_heads", 12, file),
                    (int) Json.number(o, "intermediate_size", 3072, file),
                    Json.number(o, "layer_norm_eps", 1e-12, file),
                    Json.string(o, "hidden_act", "gelu", file),
                    Json.bool(o, "use_absolute_position_embeddings", false, file),
                    Json.bool(o, "use_relative_position_bias", false, file),
                    Json.bool(o, "use_shared_relative_position_bias", false, file),
                    Json.number(o, "layer_scale_init_value", 0.1, file) > 0,
                    Json.bool(o, "use_mean_pooling", true, file),
                    ModelConfig.read(file).labels());
        } catch (IllegalArgumentException e) {
            throw new DfdException(file + ": " + e.getMessage());
        }
    }
}
