package dev.dfd.internal.model;

import dev.dfd.DfdException;
import dev.dfd.internal.preprocess.PreprocessorConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The files of a Hugging Face model directory that dfd runs: {@code config.json}, {@code preprocessor_config.json}
 * and ONNX weights in {@code onnx/<name>.onnx} or {@code <name>.onnx}, where the name comes from the variant:
 * none -> model, quantized -> model_quantized, fp16 -> model_fp16, int8 -> model_int8, uint8 -> model_uint8,
 * q4 -> model_q4, q4f16 -> model_q4f16, bnb4 -> model_bnb4 (transformers.js / Optimum naming; the 4-bit ones use
 * ONNX Runtime's contrib ops MatMulNBits and MatMulBnb4); optimized -> model_optimized, the fp32 graph with ONNX
 * Runtime's fused transformer operators that {@code dfd optimize} writes.
 *
 * @param dir          the model directory
 * @param config       its config.json
 * @param preprocessor its preprocessor_config.json
 * @param onnx         the chosen ONNX file
 * @param variant      the variant asked for, or null for the default fp32 model
 */
public record ModelFiles(Path dir, Path config, Path preprocessor, Path onnx, String variant) {
    public static final List<String> VARIANTS = List.of("quantized", "fp16", "int8", "uint8", "q4", "bnb4", "q4f16",
            "optimized");

    public static String onnxFileName(String variant) {
        return variant == null ? "model.onnx" : "model_" + variant + ".onnx";
    }

    /**
     * Finds the files of a model directory. {@code location} may also be an .onnx file, whose directory (or the
     * directory above an {@code onnx/} folder) holds the configs.
     */
    public static ModelFiles locate(Path location, String variant) {
        if (variant != null) {
            variant = variant.toLowerCase(Locale.ROOT);
            if (variant.equals("fp32") || variant.equals("default")) {
                variant = null;
            }
        }
        if (Files.isRegularFile(location) && location.getFileName().toString().endsWith(".onnx")) {
            Path parent = location.toAbsolutePath().getParent();
            Path dir = parent.getFileName() != null && parent.getFileName().toString().equals("onnx")
                    && !Files.exists(parent.resolve(ModelConfig.FILE_NAME)) ? parent.getParent() : parent;
            return withConfigs(dir, location, variant);
        }
        if (!Files.isDirectory(location)) {
            throw new DfdException(location + ": model directory not found");
        }
        String name = onnxFileName(variant);
        for (Path candidate : List.of(location.resolve("onnx").resolve(name), location.resolve(name))) {
            if (Files.isRegularFile(candidate)) {
                return withConfigs(location, candidate, variant);
            }
        }
        throw new DfdException(missingWeightsMessage(location, variant, name));
    }

    private static ModelFiles withConfigs(Path dir, Path onnx, String variant) {
        Path config = dir.resolve(ModelConfig.FILE_NAME);
        Path preprocessor = dir.resolve(PreprocessorConfig.FILE_NAME);
        if (!Files.isRegularFile(config)) {
            throw new DfdException(config + ": file not found (a Hugging Face model directory needs config.json)");
        }
        if (!Files.isRegularFile(preprocessor)) {
            throw new DfdException(preprocessor + ": file not found (an image classifier needs"
                    + " preprocessor_config.json to say how images are resized and normalised)");
        }
        return new ModelFiles(dir, config, preprocessor, onnx, variant);
    }

    private static String missingWeightsMessage(Path dir, String variant, String name) {
        List<String> variants = availableVariants(dir);
        if (variant != null && !variants.isEmpty()) {
            return dir + ": no " + name + " (variant " + variant + "); this directory has "
                    + String.join(", ", variants);
        }
        if (Files.exists(dir.resolve("model.safetensors")) || Files.exists(dir.resolve("model.safetensors.index.json"))) {
            return dir + ": has model.safetensors but no ONNX weights (looked for onnx/" + name + " and " + name
                    + "); convert it first: dfd convert " + dir + " <out-dir>";
        }
        if (Files.exists(dir.resolve("pytorch_model.bin"))) {
            return dir + ": has only pytorch_model.bin, a Python pickle, which dfd never loads because unpickling"
                    + " can run arbitrary code; get the model's model.safetensors (or ONNX export) instead";
        }
        return dir + ": no ONNX weights (looked for onnx/" + name + " and " + name + ")";
    }

    /**
     * The ONNX file's external data file when there is one beside it: {@code <file>_data} (Optimum, transformers.js,
     * dfd convert) or {@code <file>.data} (PyTorch's newer exporter). ONNX Runtime itself follows the locations the
     * graph records; this is for hashing and copying the weights with the graph.
     */
    public Path externalData() {
        String name = onnx.getFileName().toString();
        for (String candidate : List.of(name + "_data", name + ".data")) {
            Path p = onnx.resolveSibling(candidate);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        return null;
    }

    /** Bytes of the ONNX file plus its external data file: the size of the model as loaded. */
    public long weightBytes() {
        Path data = externalData();
        try {
            return Files.size(onnx) + (data == null ? 0 : Files.size(data));
        } catch (java.io.IOException e) {
            throw new DfdException(onnx + ": cannot read its size (" + e.getMessage() + ")");
        }
    }

    /** The variants present in a model directory, "default" standing for model.onnx. */
    public static List<String> availableVariants(Path dir) {
        List<String> found = new ArrayList<>();
        List<String> all = new ArrayList<>();
        all.add(null);
        all.addAll(VARIANTS);
        for (String v : all) {
            String name = onnxFileName(v);
            if (Files.isRegularFile(dir.resolve("onnx").resolve(name)) || Files.isRegularFile(dir.resolve(name))) {
                found.add(v == null ? "default" : v);
            }
        }
        return found;
    }
}
