package dev.dfd.family.convnext;

import ai.onnx.proto.OnnxMl;
import dev.dfd.family.ExportSettings;
import dev.dfd.family.ModelFamily;
import dev.dfd.family.Sizes;
import dev.dfd.safetensors.TensorSource;

import java.nio.file.Path;
import java.util.List;

/** ConvNeXt and ConvNeXt V2: {@code ConvNextForImageClassification}, {@code ConvNextV2ForImageClassification}. */
public final class ConvNextFamily implements ModelFamily<ConvNextConfig> {
    @Override
    public List<String> modelTypes() {
        return List.of("convnext", "convnextv2");
    }

    @Override
    public String architectures() {
        return "ConvNextForImageClassification, ConvNextV2ForImageClassification";
    }

    @Override
    public ConvNextConfig parse(Path configFile) {
        return ConvNextConfig.read(configFile);
    }

    @Override
    public int[] inputSize(ConvNextConfig config, Path configFile, Path preprocessor) {
        return Sizes.fromPreprocessor(preprocessor);
    }

    @Override
    public boolean staticInt8() {
        return true;
    }

    @Override
    public OnnxMl.ModelProto export(ConvNextConfig config, TensorSource weights, ExportSettings settings) {
        return ConvNextOnnxExporter.export(config, weights, settings);
    }
}
