package dev.dfd.family.swin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.DfdException;
import dev.dfd.family.Configs;
import dev.dfd.internal.Json;
import dev.dfd.internal.model.ModelConfig;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * transformers' {@code SwinConfig} for {@code SwinForImageClassification}, with its defaults for absent fields
 * (Swin-tiny: embed_dim 96, depths 2/2/6/2, heads 3/6/12/24, window 7, patch 4).
 *
 * @param channels     input channels
 * @param patchSize    square patch side
 * @param embedDim     width of stage 0 (doubled by each patch merging)
 * @param depths       blocks per stage (odd blocks use shifted windows)
 * @param heads        attention heads per stage
 * @param windowSize   window side, in tokens
 * @param mlpRatio     MLP width / stage width
 * @param qkvBias      query/key/value have biases
 * @param layerNormEps epsilon of the blocks' and the final LayerNorm (the embedding's and patch merging's are 1e-5)
 * @param hiddenAct    gelu, gelu_new, gelu_pytorch_tanh, quick_gelu or relu
 * @param labels       id2label in id order
 */
public record SwinConfig(int channels, int patchSize, int embedDim, List<Integer> depths, List<Integer> heads,
                         int windowSize, double mlpRatio, boolean qkvBias, double layerNormEps, String hiddenAct,
                         List<String> labels) {
    static final Set<String> ACTIVATIONS = Set.of("gelu", "gelu_new", "gelu_pytorch_tanh", "quick_gelu", "relu");

    public SwinConfig {
        depths = List.copyOf(depths);
        heads = List.copyOf(heads);
        labels = List.copyOf(labels);
        if (depths.size() != heads.size()) {
            throw new IllegalArgumentException("depths " + depths + " and num_heads " + heads + " differ in length");
        }
        for (int s = 0; s < depths.size(); s++) {
            if (stageDim(s) % heads.get(s) != 0) {
                throw new IllegalArgumentException("stage " + s + " width " + stageDim(s)
                        + " is not a multiple of its num_heads " + heads.get(s));
            }
        }
        if (!ACTIVATIONS.contains(hiddenAct)) {
            throw new IllegalArgumentException("hidden_act " + hiddenAct + " is not supported " + ACTIVATIONS);
        }
    }

    /** embed_dim * 2^stage. */
    public int stageDim(int stage) {
        return embedDim << stage;
    }

    /** The width of the last stage: the classifier's input. */
    public int features() {
        return stageDim(depths.size() - 1);
    }

    /**
     * Why transformers cannot run this input size, or null: a stage whose token map is smaller than window_size on
     * one side but not equal to it (transformers then shrinks the window below its relative position table).
     */
    public String sizeProblem(int height, int width) {
        int h = (height + patchSize - 1) / patchSize;
        int w = (width + patchSize - 1) / patchSize;
        for (int s = 0; s < depths.size(); s++) {
            if (Math.min(h, w) < windowSize) {
                return "at " + height + "x" + width + " stage " + s + " has a " + h + "x" + w + " token map, smaller"
                        + " than window_size " + windowSize;
            }
            h = (h + 1) / 2;
            w = (w + 1) / 2;
        }
        return null;
    }

    public static SwinConfig read(Path file) {
        ObjectNode o = Json.readObject(file);
        if (Json.bool(o, "use_absolute_embeddings", false, file)) {
            throw new DfdException(file + ": use_absolute_embeddings is not supported");
        }
        int[] patch = Configs.pair(o, "patch_size", 4, file);
        if (patch[0] != patch[1]) {
            throw new DfdException(file + ": non-square patch_size is not supported");
        }
        try {
            return new SwinConfig((int) Json.number(o, "num_channels", 3, file), patch[0],
                    (int) Json.number(o, "embed_dim", 96, file),
                    Configs.ints(o, "depths", List.of(2, 2, 6, 2), file),
                    Configs.ints(o, "num_heads", List.of(3, 6, 12, 24), file),
                    (int) Json.number(o, "window_size", 7, file),
                    Json.number(o, "mlp_ratio", 4.0, file),
                    Json.bool(o, "qkv_bias", true, file),
                    Json.number(o, "layer_norm_eps", 1e-5, file),
                    Json.string(o, "hidden_act", "gelu", file),
                    ModelConfig.read(file).labels());
        } catch (IllegalArgumentException e) {
            throw new DfdException(file + ": " + e.getMessage());
        }
    }
}
