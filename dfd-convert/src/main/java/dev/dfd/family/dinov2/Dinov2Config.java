package dev.dfd.family.dinov2;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.DfdException;
import dev.dfd.family.Configs;
import dev.dfd.internal.Json;
import dev.dfd.internal.model.ModelConfig;

import java.nio.file.Path;
import java.util.List;

/**
 * transformers' {@code Dinov2Config} for {@code Dinov2ForImageClassification}, with its defaults for absent fields.
 *
 * @param imageHeight  input height (the position embeddings are made for it)
 * @param imageWidth   input width
 * @param patchSize    square patch side
 * @param channels     input channels
 * @param hidden       hidden size
 * @param layers       encoder layers
 * @param heads        attention heads
 * @param mlpHidden    MLP width, {@code int(hidden * mlp_ratio)}
 * @param qkvBias      query/key/value have biases
 * @param layerNormEps LayerNorm epsilon
 * @param hiddenAct    gelu, gelu_new, gelu_pytorch_tanh, quick_gelu or relu
 * @param labels       id2label in id order
 */
public record Dinov2Config(int imageHeight, int imageWidth, int patchSize, int channels, int hidden, int layers,
                           int heads, int mlpHidden, boolean qkvBias, double layerNormEps, String hiddenAct,
                           List<String> labels) {
    public Dinov2Config {
        labels = List.copyOf(labels);
        Configs.checkPatchTransformer("", hidden, heads, imageHeight, imageWidth, patchSize, hiddenAct,
                Configs.TRANSFORMER_ACTIVATIONS);
    }

    /** CLS + patches. */
    public int sequence() {
        return (imageHeight / patchSize) * (imageWidth / patchSize) + 1;
    }

    public static Dinov2Config read(Path file) {
        ObjectNode o = Json.readObject(file);
        if (Json.bool(o, "use_swiglu_ffn", false, file)) {
            throw new DfdException(file + ": use_swiglu_ffn (DINOv2 giant) is not supported");
        }
        int[] image = Configs.pair(o, "image_size", 224, file);
        int[] patch = Configs.pair(o, "patch_size", 14, file);
        if (patch[0] != patch[1]) {
            throw new DfdException(file + ": non-square patch_size is not supported");
        }
        int hidden = (int) Json.number(o, "hidden_size", 768, file);
        try {
            return new Dinov2Config(image[0], image[1], patch[0], (int) Json.number(o, "num_channels", 3, file),
                    hidden, (int) Json.number(o, "num_hidden_layers", 12, file),
                    (int) Json.number(o, "num_attention_heads", 12, file),
                    (int) (hidden * Json.number(o, "mlp_ratio", 4, file)),
                    Json.bool(o, "qkv_bias", true, file),
                    Json.number(o, "layer_norm_eps", 1e-6, file),
                    Json.string(o, "hidden_act", "gelu", file),
                    ModelConfig.read(file).labels());
        } catch (IllegalArgumentException e) {
            throw new DfdException(file + ": " + e.getMessage());
        }
    }
}
