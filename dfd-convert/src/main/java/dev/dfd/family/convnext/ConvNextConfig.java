package dev.dfd.family.convnext;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.DfdException;
import dev.dfd.family.Configs;
import dev.dfd.internal.Json;
import dev.dfd.internal.model.ModelConfig;

import java.nio.file.Path;
import java.util.List;

/**
 * transformers' {@code ConvNextConfig} / {@code ConvNextV2Config}, with their defaults for absent fields
 * (ConvNeXt-tiny: widths 96/192/384/768, depths 3/3/9/3, patch 4).
 *
 * @param v2                 ConvNeXt V2: GRN after the activation, no layer scale
 * @param channels           input channels
 * @param patchSize          stem convolution kernel and stride
 * @param hiddenSizes        width per stage
 * @param depths             layers per stage
 * @param hiddenAct          activation between the two pointwise layers
 * @param layerNormEps       epsilon of the final LayerNorm (the others use 1e-6, as transformers hard-codes)
 * @param layerScale         V1: each layer's output scaled by {@code layer_scale_parameter}
 *                           ({@code layer_scale_init_value > 0})
 * @param labels             id2label in id order
 */
public record ConvNextConfig(boolean v2, int channels, int patchSize, List<Integer> hiddenSizes, List<Integer> depths,
                             String hiddenAct, double layerNormEps, boolean layerScale, List<String> labels) {
    /** The epsilon of the stem, downsampling and per-layer LayerNorms in transformers. */
    public static final double INNER_EPS = 1e-6;

    public ConvNextConfig {
        hiddenSizes = List.copyOf(hiddenSizes);
        depths = List.copyOf(depths);
        labels = List.copyOf(labels);
        if (hiddenSizes.size() != depths.size()) {
            throw new IllegalArgumentException("hidden_sizes " + hiddenSizes + " and depths " + depths
                    + " differ in length");
        }
        if (channels <= 0 || patchSize <= 0) {
            throw new IllegalArgumentException("num_channels and patch_size must be positive");
        }
    }

    public String prefix() {
        return v2 ? "convnextv2." : "convnext.";
    }

    public static ConvNextConfig read(Path file) {
        ObjectNode o = Json.readObject(file);
        boolean v2 = "convnextv2".equals(Json.string(o, "model_type", "", file));
        List<Integer> hidden = Configs.ints(o, "hidden_sizes", List.of(96, 192, 384, 768), file);
        List<Integer> depths = Configs.ints(o, "depths", List.of(3, 3, 9, 3), file);
        int stages = (int) Json.number(o, "num_stages", 4, file);
        if (stages != hidden.size() || stages != depths.size()) {
            throw new DfdException(file + ": num_stages " + stages + " does not match hidden_sizes " + hidden
                    + " and depths " + depths);
        }
        try {
            return new ConvNextConfig(v2, (int) Json.number(o, "num_channels", 3, file),
                    (int) Json.number(o, "patch_size", 4, file), hidden, depths,
                    Json.string(o, "hidden_act", "gelu", file),
                    Json.number(o, "layer_norm_eps", 1e-12, file),
                    !v2 && Json.number(o, "layer_scale_init_value", 1e-6, file) > 0,
                    ModelConfig.read(file).labels());
        } catch (IllegalArgumentException e) {
            throw new DfdException(file + ": " + e.getMessage());
        }
    }
}
