package dev.dfd.family.mobilenetv1;

import ai.onnx.proto.OnnxMl;
import dev.dfd.family.ExportSettings;
import dev.dfd.family.ModelFamily;
import dev.dfd.family.Sizes;
import dev.dfd.safetensors.TensorSource;

import java.nio.file.Path;
import java.util.List;

/** transformers' MobileNet V1: {@code MobileNetV1ForImageClassification}. */
public final class MobileNetV1Family implements ModelFamily<MobileNetV1Config> {
    @Override
    public List<String> modelTypes() {
        return List.of("mobilenet_v1");
    }

    @Override
    public String architectures() {
        return "MobileNetV1ForImageClassification";
    }

    @Override
    public MobileNetV1Config parse(Path configFile) {
        return MobileNetV1Config.read(configFile);
    }

    @Override
    public int[] inputSize(MobileNetV1Config config, Path configFile, Path preprocessor) {
        return Sizes.fromPreprocessor(preprocessor);
    }

    @Override
    public boolean staticInt8() {
        return true;
    }

    @Override
    public OnnxMl.ModelProto export(MobileNetV1Config config, TensorSource weights, ExportSettings settings) {
        return MobileNetV1OnnxExporter.export(config, weights, settings);
    }
}
