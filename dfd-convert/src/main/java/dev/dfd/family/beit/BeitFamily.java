package dev.dfd.family.beit;

import ai.onnx.proto.OnnxMl;
import dev.dfd.family.ExportSettings;
import dev.dfd.family.ModelFamily;
import dev.dfd.family.Sizes;
import dev.dfd.safetensors.TensorSource;

import java.nio.file.Path;
import java.util.List;

/** BEiT: {@code BeitForImageClassification} (relative position bias, layer scale, mean pooling). */
public final class BeitFamily implements ModelFamily<BeitConfig> {
    @Override
    public List<String> modelTypes() {
        return List.of("beit");
    }

    @Override
    public String architectures() {
        return "BeitForImageClassification";
    }

    @Override
    public BeitConfig parse(Path configFile) {
        return BeitConfig.read(configFile);
    }

    @Override
    public int[] inputSize(BeitConfig c, Path configFile, Path preprocessor) {
        return Sizes.fromConfig(c.imageHeight(), c.imageWidth(), configFile, preprocessor);
    }

    @Override
    public OnnxMl.ModelProto export(BeitConfig config, TensorSource weights, ExportSettings settings) {
        return BeitOnnxExporter.export(config, weights, settings);
    }
}
