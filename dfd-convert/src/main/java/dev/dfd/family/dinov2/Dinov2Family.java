package dev.dfd.family.dinov2;

import ai.onnx.proto.OnnxMl;
import dev.dfd.family.ExportSettings;
import dev.dfd.family.ModelFamily;
import dev.dfd.family.Sizes;
import dev.dfd.safetensors.TensorSource;

import java.nio.file.Path;
import java.util.List;

/** DINOv2: {@code Dinov2ForImageClassification} (class token and mean of the patch tokens). */
public final class Dinov2Family implements ModelFamily<Dinov2Config> {
    @Override
    public List<String> modelTypes() {
        return List.of("dinov2");
    }

    @Override
    public String architectures() {
        return "Dinov2ForImageClassification";
    }

    @Override
    public Dinov2Config parse(Path configFile) {
        return Dinov2Config.read(configFile);
    }

    @Override
    public int[] inputSize(Dinov2Config c, Path configFile, Path preprocessor) {
        return Sizes.fromConfig(c.imageHeight(), c.imageWidth(), configFile, preprocessor);
    }

    @Override
    public OnnxMl.ModelProto export(Dinov2Config config, TensorSource weights, ExportSettings settings) {
        return Dinov2OnnxExporter.export(config, weights, settings);
    }
}
