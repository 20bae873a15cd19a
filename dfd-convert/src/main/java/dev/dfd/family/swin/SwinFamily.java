package dev.dfd.family.swin;

import ai.onnx.proto.OnnxMl;
import dev.dfd.DfdException;
import dev.dfd.family.ExportSettings;
import dev.dfd.family.ModelFamily;
import dev.dfd.family.Sizes;
import dev.dfd.safetensors.TensorSource;

import java.nio.file.Path;
import java.util.List;

/** Swin: {@code SwinForImageClassification} (windows, shifts, relative position bias, patch merging). */
public final class SwinFamily implements ModelFamily<SwinConfig> {
    @Override
    public List<String> modelTypes() {
        return List.of("swin");
    }

    @Override
    public String architectures() {
        return "SwinForImageClassification";
    }

    @Override
    public SwinConfig parse(Path configFile) {
        return SwinConfig.read(configFile);
    }

    @Override
    public int[] inputSize(SwinConfig config, Path configFile, Path preprocessor) {
        int[] hw = Sizes.fromPreprocessor(preprocessor);
        if (preprocessor != null && hw[0] <= 0) {
            throw new DfdException(preprocessor + ": a Swin is converted for one input size, and this preprocessor"
                    + " makes images of varying size");
        }
        if (hw[0] > 0) {
            String problem = config.sizeProblem(hw[0], hw[1]);
            if (problem != null) {
                throw new DfdException(configFile + ": " + problem);
            }
        }
        return hw;
    }

    @Override
    public OnnxMl.ModelProto export(SwinConfig config, TensorSource weights, ExportSettings settings) {
        return SwinOnnxExporter.export(config, weights, settings);
    }
}
