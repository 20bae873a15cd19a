package dev.dfd.family.resnet;

import ai.onnx.proto.OnnxMl;
import dev.dfd.family.ExportSettings;
import dev.dfd.family.ModelFamily;
import dev.dfd.family.Sizes;
import dev.dfd.safetensors.TensorSource;

import java.nio.file.Path;
import java.util.List;

/** transformers' ResNet: {@code ResNetForImageClassification}, basic and bottleneck layers. */
public final class ResNetFamily implements ModelFamily<ResNetConfig> {
    @Override
    public List<String> modelTypes() {
        return List.of("resnet");
    }

    @Override
    public String architectures() {
        return "ResNetForImageClassification";
    }

    @Override
    public ResNetConfig parse(Path configFile) {
        return ResNetConfig.read(configFile);
    }

    @Override
    public int[] inputSize(ResNetConfig config, Path configFile, Path preprocessor) {
        return Sizes.fromPreprocessor(preprocessor);
    }

    @Override
    public boolean staticInt8() {
        return true;
    }

    @Override
    public OnnxMl.ModelProto export(ResNetConfig config, TensorSource weights, ExportSettings settings) {
        return ResNetOnnxExporter.export(config, weights, settings);
    }
}
