package dev.dfd.family.clip;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.DfdException;
import dev.dfd.family.Configs;
import dev.dfd.internal.Json;
import dev.dfd.internal.model.ModelConfig;

import java.nio.file.Path;
import java.util.List;

/**
 * The vision tower of {@code CLIPForImageClassification} or {@code SiglipForImageClassification}: config.json's
 * {@code vision_config}, with transformers' CLIPVisionConfig / SiglipVisionConfig defaults for absent fields.
 *
 * @param siglip        SigLIP (no class token, patch bias, post-LayerNorm, mean of all tokens) rather than CLIP
 *                      (class token, pre-LayerNorm, mean of the patch tokens of the last hidden state)
 * @param imageHeight   input height (the position embeddings are made for it)
 * @param imageWidth    input width
 * @param patchSize     square patch side
 * @param channels      input channels
 * @param hidden        hidden size
 * @param layers        encoder layers
 * @param heads         attention heads
 * @param intermediate  MLP width
 * @param layerNormEps  LayerNorm epsilon
 * @param hiddenAct     quick_gelu (CLIP), gelu_pytorch_tanh (SigLIP), gelu, gelu_new or relu
 * @param labels        id2label in id order
 */
public record ClipConfig(boolean siglip, int imageHeight, int imageWidth, int patchSize, int channels, int hidden,
                         int layers, int heads, int intermediate, double layerNormEps, String hiddenAct,
                         List<String> labels) {
    public ClipConfig {
        labels = List.copyOf(labels);
        Configs.checkPatchTransformer("vision_config.", hidden, heads, imageHeight, imageWidth, patchSize, hiddenAct,
                Configs.TRANSFORMER_ACTIVATIONS);
    }

    public int patches() {
        return (imageHeight / patchSize) * (imageWidth / patchSize);
    }

    /** Tokens: (CLIP's class token +) patches. */
    public int sequence() {
        return patches() + (siglip ? 0 : 1);
    }

    public static ClipConfig read(Path file) {
        ObjectNode root = Json.readObject(file);
        boolean siglip = "siglip".equals(Json.string(root, "model_type", "", file));
        ObjectNode o = Configs.object(root, "vision_config", file);
        int[] image = Configs.pair(o, "image_size", 224, file);
        int[] patch = Configs.pair(o, "patch_size", siglip ? 16 : 32, file);
        if (patch[0] != patch[1]) {
            throw new DfdException(file + ": non-square vision_config.patch_size is not supported");
        }
        try {
            return new ClipConfig(siglip, image[0], image[1], patch[0],
                    (int) Json.number(o, "num_channels", 3, file),
                    (int) Json.number(o, "hidden_size", 768, file),
                    (int) Json.number(o, "num_hidden_layers", 12, file),
                    (int) Json.number(o, "num_attention_heads", 12, file),
                    (int) Json.number(o, "intermediate_size", 3072, file),
                    Json.number(o, "layer_norm_eps", siglip ? 1e-6 : 1e-5, file),
                    Json.string(o, "hidden_act", siglip ? "gelu_pytorch_tanh" : "quick_gelu", file),
                    ModelConfig.read(file).labels());
        } catch (IllegalArgumentException e) {
            throw new DfdException(file + ": " + e.getMessage());
        }
    }
}
