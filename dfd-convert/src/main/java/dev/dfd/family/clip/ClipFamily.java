package dev.dfd.family.clip;

import ai.onnx.proto.OnnxMl;
import dev.dfd.family.ExportSettings;
import dev.dfd.family.ModelFamily;
import dev.dfd.family.Sizes;
import dev.dfd.safetensors.TensorSource;

import java.nio.file.Path;
import java.util.List;

/** CLIP and SigLIP vision towers with a classifier: {@code CLIPForImageClassification}, {@code SiglipForImageClassification}. */
public final class ClipFamily implements ModelFamily<ClipConfig> {
    @Override
    public List<String> modelTypes() {
        return List.of("clip", "siglip");
    }

    @Override
    public String architectures() {
        return "CLIPForImageClassification, SiglipForImageClassification";
    }

    @Override
    public ClipConfig parse(Path configFile) {
        return ClipConfig.read(configFile);
    }

    @Override
    public int[] inputSize(ClipConfig c, Path configFile, Path preprocessor) {
        return Sizes.fromConfig(c.imageHeight(), c.imageWidth(), configFile, preprocessor);
    }

    @Override
    public OnnxMl.ModelProto export(ClipConfig config, TensorSource weights, ExportSettings settings) {
        return ClipOnnxExporter.export(config, weights, settings);
    }
}
