package dev.dfd.family.vit;

import ai.onnx.proto.OnnxMl;
import dev.dfd.family.ExportSettings;
import dev.dfd.family.ModelFamily;
import dev.dfd.safetensors.TensorSource;

import java.nio.file.Path;
import java.util.List;

/** ViT and DeiT: {@code ViTForImageClassification}, {@code DeiTForImageClassification}. */
public final class VitFamily implements ModelFamily<VitConfig> {
    @Override
    public List<String> modelTypes() {
        return List.of("vit", "deit");
    }

    @Override
    public String architectures() {
        return "ViTForImageClassification, DeiTForImageClassification";
    }

    @Override
    public VitConfig parse(Path configFile) {
        return VitConfig.read(configFile);
    }

    @Override
    public int[] inputSize(VitConfig c, Path configFile, Path preprocessor) {
        return new int[]{c.imageHeight(), c.imageWidth()};
    }

    /** ViTImageProcessor's defaults at the config's image size, as {@code dfd init} writes them. */
    @Override
    public String defaultPreprocessor(VitConfig c) {
        return VitInit.preprocessorJson(c.imageHeight(), c.imageWidth());
    }

    @Override
    public OnnxMl.ModelProto export(VitConfig c, TensorSource weights, ExportSettings s) {
        return VitOnnxExporter.export(c, weights, s);
    }
}
