package dev.dfd.family.efficientnet;

import ai.onnx.proto.OnnxMl;
import dev.dfd.family.ExportSettings;
import dev.dfd.family.ModelFamily;
import dev.dfd.family.Sizes;
import dev.dfd.safetensors.TensorSource;

import java.nio.file.Path;
import java.util.List;

/** EfficientNet: {@code EfficientNetForImageClassification} (MBConv blocks with squeeze-excite). */
public final class EfficientNetFamily implements ModelFamily<EfficientNetConfig> {
    @Override
    public List<String> modelTypes() {
        return List.of("efficientnet");
    }

    @Override
    public String architectures() {
        return "EfficientNetForImageClassification";
    }

    @Override
    public EfficientNetConfig parse(Path configFile) {
        return EfficientNetConfig.read(configFile);
    }

    @Override
    public int[] inputSize(EfficientNetConfig config, Path configFile, Path preprocessor) {
        return Sizes.fromPreprocessor(preprocessor);
    }

    @Override
    public boolean staticInt8() {
        return true;
    }

    @Override
    public OnnxMl.ModelProto export(EfficientNetConfig config, TensorSource weights, ExportSettings settings) {
        return EfficientNetOnnxExporter.export(config, weights, settings);
    }
}
