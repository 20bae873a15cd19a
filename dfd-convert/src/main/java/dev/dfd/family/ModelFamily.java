package dev.dfd.family;

import ai.onnx.proto.OnnxMl;
import dev.dfd.safetensors.TensorSource;

import java.nio.file.Path;
import java.util.List;

/**
 * One model family (ViT, ResNet, ConvNeXt, ...): the {@code model_type} values of config.json it handles, its config
 * parsed once, and its ONNX export from transformers' parameter names. Each family is one package
 * ({@code dev.dfd.family.<name>}: {@code <Family>Config}, {@code <Family>OnnxExporter}, this interface's
 * implementation) and one line in {@code dev.dfd.convert.ModelFamilies}.
 *
 * @param <C> the family's config record
 */
public interface ModelFamily<C> {
    /** config.json {@code model_type} values this family converts, e.g. "vit", "deit". */
    List<String> modelTypes();

    /** The transformers classes converted, for help and error messages, e.g. "ViTForImageClassification". */
    String architectures();

    /** config.json read and validated; errors are one-line {@code DfdException}s naming the file. */
    C parse(Path configFile);

    /**
     * The (height, width) the graph takes, or {@code {-1, -1}} for any size (a CNN whose preprocessor makes no fixed
     * size). Transformers with position embeddings take their config's image size.
     *
     * @param preprocessor the source's preprocessor_config.json, or null when it has none
     */
    int[] inputSize(C config, Path configFile, Path preprocessor);

    /**
     * preprocessor_config.json to write when the source has none, or null to refuse such a source (the family's
     * processor differs from checkpoint to checkpoint, so there is no safe default).
     */
    default String defaultPreprocessor(C config) {
        return null;
    }

    /**
     * Whether {@code --dtype int8 --calibrate} applies: the convolutional families, whose activations (BatchNorm folded
     * into convolutions, ReLU/SiLU) suit one uint8 scale per tensor. Transformers keep dynamic int8: their LayerNorm
     * and attention outputs have outlier channels that one calibrated scale per tensor would crush.
     */
    default boolean staticInt8() {
        return false;
    }

    /** The graph: input {@code pixel_values} (batch, 3, H, W) float32, output {@code logits} (batch, labels). */
    OnnxMl.ModelProto export(C config, TensorSource weights, ExportSettings settings);
}
