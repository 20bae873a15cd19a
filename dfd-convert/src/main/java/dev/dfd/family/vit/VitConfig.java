package dev.dfd.family.vit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.DfdException;
import dev.dfd.family.Configs;
import dev.dfd.internal.Json;
import dev.dfd.internal.model.ModelConfig;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * The architecture of a {@code ViTForImageClassification} or {@code DeiTForImageClassification} from config.json,
 * with transformers' ViTConfig defaults for absent fields.
 *
 * @param family           "vit" or "deit" (parameter prefix; DeiT adds a distillation token)
 * @param imageHeight      input height
 * @param imageWidth       input width
 * @param patchSize        square patch side
 * @param channels         input channels
 * @param hidden           hidden size
 * @param layers           encoder layers
 * @param heads            attention heads
 * @param intermediate     MLP width
 * @param qkvBias          query/key/value have biases
 * @param layerNormEps     LayerNorm epsilon
 * @param hiddenAct        gelu, gelu_new, gelu_pytorch_tanh or relu
 * @param initializerRange std of the truncated normal initialisation
 * @param labels           id2label in id order
 */
public record VitConfig(String family, int imageHeight, int imageWidth, int patchSize, int channels, int hidden,
                        int layers, int heads, int intermediate, boolean qkvBias, double layerNormEps,
                        String hiddenAct, double initializerRange, List<String> labels) {
    static final Set<String> ACTIVATIONS = Set.of("gelu", "gelu_new", "gelu_pytorch_tanh", "relu");

    public VitConfig {
        labels = List.copyOf(labels);
        Configs.checkPatchTransformer("", hidden, heads, imageHeight, imageWidth, patchSize, hiddenAct,
                ACTIVATIONS);
    }

    /** The same architecture with other labels (training on a data set's classes). */
    public VitConfig withLabels(List<String> newLabels) {
        return new VitConfig(family, imageHeight, imageWidth, patchSize, channels, hidden, layers, heads, intermediate,
                qkvBias, layerNormEps, hiddenAct, initializerRange, newLabels);
    }

    public int headSize() {
        return hidden / heads;
    }

    public int patches() {
        return (imageHeight / patchSize) * (imageWidth / patchSize);
    }

    /** Tokens: CLS (+ distillation for DeiT) + patches. */
    public int sequence() {
        return patches() + (family.equals("deit") ? 2 : 1);
    }

    public static VitConfig read(Path file) {
        ObjectNode o = Json.readObject(file);
        try {
            return parse(o, ModelConfig.read(file).labels(), file);
        } catch (IllegalArgumentException e) {
            throw new DfdException(file + ": " + e.getMessage());
        }
    }

    static VitConfig parse(ObjectNode o, List<String> labels, Path file) {
        String modelType = Json.string(o, "model_type", null, file);
        String arch = o.path("architectures").path(0).asText("");
        String family;
        if ("deit".equals(modelType) || arch.startsWith("DeiT")) {
            family = "deit";
            if (arch.equals("DeiTForImageClassificationWithTeacher")) {
                throw new DfdException(file + ": DeiTForImageClassificationWithTeacher (two heads) is not supported;"
                        + " DeiTForImageClassification is");
            }
        } else if ("vit".equals(modelType) || arch.startsWith("ViT")) {
            family = "vit";
        } else {
            throw new DfdException(file + ": model_type " + modelType + " / " + arch + " is not one dfd converts"
                    + " (ViTForImageClassification, DeiTForImageClassification)");
        }
        int[] image = pair(o.get("image_size"), 224, "image_size", file);
        int[] patch = pair(o.get("patch_size"), 16, "patch_size", file);
        if (patch[0] != patch[1]) {
            throw new DfdException(file + ": non-square patch_size " + o.get("patch_size") + " is not supported");
        }
        return new VitConfig(family, image[0], image[1], patch[0],
                (int) Json.number(o, "num_channels", 3, file),
                (int) Json.number(o, "hidden_size", 768, file),
                (int) Json.number(o, "num_hidden_layers", 12, file),
                (int) Json.number(o, "num_attention_heads", 12, file),
                (int) Json.number(o, "intermediate_size", 3072, file),
                Json.bool(o, "qkv_bias", true, file),
                Json.number(o, "layer_norm_eps", 1e-12, file),
                Json.string(o, "hidden_act", "gelu", file),
                Json.number(o, "initializer_range", 0.02, file),
                labels);
    }

    private static int[] pair(JsonNode n, int fallback, String field, Path file) {
        if (n == null || n.isNull()) {
            return new int[]{fallback, fallback};
        }
        if (n.isIntegralNumber() && n.asInt() > 0) {
            return new int[]{n.asInt(), n.asInt()};
        }
        if (n.isArray() && n.size() == 2 && n.get(0).asInt() > 0 && n.get(1).asInt() > 0) {
            return new int[]{n.get(0).asInt(), n.get(1).asInt()};
        }
        throw new DfdException(file + ": \"" + field + "\" must be a positive int or [height, width], found " + n);
    }
}
