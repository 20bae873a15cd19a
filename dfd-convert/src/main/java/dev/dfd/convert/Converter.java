package dev.dfd.convert;

import ai.onnx.proto.OnnxMl;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.Dfd;
import dev.dfd.DfdException;
import dev.dfd.family.ExportSettings;
import dev.dfd.family.ModelFamily;
import dev.dfd.graph.OnnxBuilder;
import dev.dfd.graph.Q4Options;
import dev.dfd.graph.WeightEncoding;
import dev.dfd.internal.Json;
import dev.dfd.internal.Provenance;
import dev.dfd.internal.model.ModelConfig;
import dev.dfd.internal.model.PixelBatch;
import dev.dfd.internal.preprocess.ImageProcessor;
import dev.dfd.internal.preprocess.PreprocessorConfig;
import dev.dfd.quantize.ActivationRange;
import dev.dfd.quantize.CalibrationImages;
import dev.dfd.quantize.Calibrator;
import dev.dfd.quantize.QdqQuantizer;
import dev.dfd.quantize.QuantizationMath;
import dev.dfd.quantize.StaticInt8;
import dev.dfd.safetensors.ShardedSafetensors;
import dev.dfd.safetensors.TensorSource;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face checkpoint directory (config.json, preprocessor_config.json, model.safetensors or shards) to a
 * model directory that dfd, transformers.js and ONNX Runtime load: the configs copied, {@code onnx/<file>} written,
 * and {@code dfd_conversion.json} recording the source files' sha256, the dtype and the dfd version. The family
 * (ViT, ResNet, ConvNeXt, ...) is chosen by config.json's {@code model_type} through {@link ModelFamilies}; it parses
 * the config, decides the input size and builds the graph.
 */
public final class Converter {
    public static final String PROVENANCE_FILE = "dfd_conversion.json";

    /**
     * @param onnx             the file written
     * @param externalData     its external data file ({@code model.onnx_data}), or null when the weights are inside
     * @param bytes            the size of both
     * @param parameters       number of weights read from the checkpoint
     * @param wrotePreprocessor true when the source had no preprocessor_config.json and the family's defaults were
     *                          written (ViT and DeiT only; the other families need the source's)
     * @param calibrationImages static int8: the images the activation ranges were measured on; else 0
     */
    public record Result(Path onnx, Path externalData, long bytes, long parameters, boolean wrotePreprocessor,
                         int calibrationImages) {
    }

    private Converter() {
    }

    /** Converts with {@link ExternalData.Mode#AUTO}: one file for small models, external data for large ones. */
    public static Result convert(Path source, Path out, WeightEncoding encoding, boolean reduceRange) {
        return convert(source, out, encoding, reduceRange, ExternalData.Mode.AUTO);
    }

    public static Result convert(Path source, Path out, WeightEncoding encoding, boolean reduceRange,
                                 ExternalData.Mode externalDataMode) {
        return convert(source, out, encoding, reduceRange, Q4Options.DEFAULT, externalDataMode);
    }

    /** @param q4 q4 and q4f16 only: the 4-bit MatMuls' block size, symmetry and accuracy level */
    public static Result convert(Path source, Path out, WeightEncoding encoding, boolean reduceRange, Q4Options q4,
                                 ExternalData.Mode externalDataMode) {
        return convert(source, out, encoding, reduceRange, q4, null, externalDataMode);
    }

    /**
     * @param staticInt8 int8 only: quantise convolutions and MatMuls statically, with activation ranges measured on
     *                   these calibration images ({@link QdqQuantizer}); null for dynamic int8 (MatMuls only)
     */
    public static Result convert(Path source, Path out, WeightEncoding encoding, boolean reduceRange, Q4Options q4,
                                 StaticInt8 staticInt8, ExternalData.Mode externalDataMode) {
        if (staticInt8 != null && encoding != WeightEncoding.INT8) {
            throw new DfdException("calibration images apply to --dtype int8 only, not " + encoding.id());
        }
        if (!Files.isDirectory(source)) {
            throw new DfdException(source + ": model directory not found");
        }
        Path configFile = source.resolve(ModelConfig.FILE_NAME);
        Plan<?> plan = Plan.of(ModelFamilies.of(configFile), source, configFile);
        if (staticInt8 != null && !plan.family().staticInt8()) {
            throw new DfdException(configFile + ": static int8 (--calibrate) applies to the convolutional families"
                    + " (" + ModelFamilies.ALL.stream().filter(ModelFamily::staticInt8)
                    .map(ModelFamily::architectures).collect(java.util.stream.Collectors.joining(", "))
                    + "), not " + plan.family().architectures() + "; --dtype int8 without --calibrate quantizes its"
                    + " MatMuls dynamically");
        }
        Path onnxFile = out.resolve("onnx").resolve(encoding.fileName);
        Map<String, String> sources = new LinkedHashMap<>();
        OnnxMl.ModelProto model;
        Calibration calibration = null;
        long parameters = 0;
        try (ShardedSafetensors weights = ShardedSafetensors.open(source)) {
            sources.put(ModelConfig.FILE_NAME, Provenance.sha256(configFile));
            for (Path f : weights.files()) {
                sources.put(f.getFileName().toString(), Provenance.sha256(f));
            }
            for (var t : weights.tensors().values()) {
                parameters += t.elements();
            }
            if (staticInt8 != null) {
                calibration = calibrate(source, staticInt8);
            }
            Map<String, String> metadata = new LinkedHashMap<>();
            metadata.put("dfd_version", Dfd.version());
            metadata.put("dfd_dtype", encoding.id() + (reduceRange ? " (reduced range)" : "")
                    + (encoding.fourBit() ? " (" + q4Description(q4) + ")" : "")
                    + (calibration != null ? " (static, QDQ, calibrated on " + calibration.files.size() + " images)"
                    : ""));
            sources.forEach((name, sha) -> metadata.put("source_sha256:" + name, sha));
            if (calibration == null) {
                model = plan.export(weights, new ExportSettings(encoding, reduceRange, q4, plan.size()[0],
                        plan.size()[1], Dfd.version(), metadata));
            } else {
                OnnxMl.ModelProto fp32 = plan.export(weights, new ExportSettings(WeightEncoding.FP32, false, q4,
                        plan.size()[0], plan.size()[1], Dfd.version(), metadata));
                model = calibration.quantize(fp32, reduceRange, staticInt8.threads());
            }
        }
        boolean wrotePreprocessor;
        Path dataFile = onnxFile.resolveSibling(ExternalData.dataFileName(onnxFile.getFileName().toString()));
        boolean external = ExternalData.wanted(externalDataMode, model);
        try {
            Files.createDirectories(onnxFile.getParent());
            // both files are written in full under temporary names, then moved: data, then graph, so the only window
            // where an old graph meets new data is between two renames
            Path tmpData = dataFile.resolveSibling(dataFile.getFileName() + ".tmp");
            if (external) {
                model = ExternalData.externalize(model, tmpData, dataFile.getFileName().toString());
            }
            Path tmp = onnxFile.resolveSibling(onnxFile.getFileName() + ".tmp");
            try (OutputStream os = new java.io.BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
                model.writeTo(os);
            }
            if (external) {
                Files.move(tmpData, dataFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(tmp, onnxFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            if (!external) {
                // data files beside the graph we just replaced are stale; ModelFiles would hash them into the model id
                Files.deleteIfExists(dataFile);
                Files.deleteIfExists(onnxFile.resolveSibling(onnxFile.getFileName() + ".data"));
            }
            wrotePreprocessor = copyConfigs(source, out, plan.defaultPreprocessor());
        } catch (IOException e) {
            throw new DfdException(out + ": cannot write (" + e.getMessage() + ")");
        }
        recordProvenance(out, onnxFile, external ? dataFile : null, encoding, reduceRange, q4, calibration, source,
                sources);
        try {
            long bytes = Files.size(onnxFile) + (external ? Files.size(dataFile) : 0);
            return new Result(onnxFile, external ? dataFile : null, bytes, parameters, wrotePreprocessor,
                    calibration == null ? 0 : calibration.files.size());
        } catch (IOException e) {
            throw new DfdException(onnxFile + ": " + e.getMessage());
        }
    }

    /** The family, its config parsed once and the input size, decided before any weight is read. */
    private record Plan<C>(ModelFamily<C> family, C config, int[] size) {
        static <C> Plan<C> of(ModelFamily<C> family, Path source, Path configFile) {
            C config = family.parse(configFile);
            Path pre = source.resolve(PreprocessorConfig.FILE_NAME);
            boolean hasPre = Files.isRegularFile(pre);
            int[] size = family.inputSize(config, configFile, hasPre ? pre : null);
            if (!hasPre && family.defaultPreprocessor(config) == null) {
                throw new DfdException(pre + ": file not found (a " + family.architectures()
                        + " checkpoint needs its own image processor settings)");
            }
            return new Plan<>(family, config, size);
        }

        String defaultPreprocessor() {
            return family.defaultPreprocessor(config);
        }

        OnnxMl.ModelProto export(TensorSource weights, ExportSettings settings) {
            return family.export(config, weights, settings);
        }
    }

    private static boolean copyConfigs(Path source, Path out, String defaultPreprocessor) throws IOException {
        if (Files.isSameFile(source, out)) {
            return false;
        }
        Files.copy(source.resolve(ModelConfig.FILE_NAME), out.resolve(ModelConfig.FILE_NAME),
                StandardCopyOption.REPLACE_EXISTING);
        Path pre = source.resolve(PreprocessorConfig.FILE_NAME);
        if (Files.isRegularFile(pre)) {
            Files.copy(pre, out.resolve(PreprocessorConfig.FILE_NAME), StandardCopyOption.REPLACE_EXISTING);
            return false;
        }
        Files.writeString(out.resolve(PreprocessorConfig.FILE_NAME), defaultPreprocessor);
        return true;
    }

    /** sha256 of the calibration files' paths (relative to the calibration directory) and contents, in order. */
    private static String calibrationListHash(Calibration c) {
        StringBuilder list = new StringBuilder();
        for (Path f : c.files) {
            list.append(c.options.images().relativize(f)).append(' ').append(Provenance.sha256(f)).append('\n');
        }
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(list.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(digest);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One entry per ONNX file in dfd_conversion.json, so conversions to several dtypes into one directory coexist. */
    private static String q4Description(Q4Options q4) {
        return "block size " + q4.blockSize() + ", " + (q4.symmetric() ? "symmetric" : "asymmetric")
                + (q4.accuracyLevel() == 0 ? "" : ", accuracy level " + q4.accuracyLevel());
    }

    /** The calibration images, decoded and preprocessed once, and what the quantiser did with them. */
    private static final class Calibration {
        final StaticInt8 options;
        final List<Path> files;
        final List<PixelBatch> batches;
        int activations;
        int weights;

        Calibration(StaticInt8 options, List<Path> files, List<PixelBatch> batches) {
            this.options = options;
            this.files = files;
            this.batches = batches;
        }

        OnnxMl.ModelProto quantize(OnnxMl.ModelProto fp32, boolean reduceRange, int threads) {
            List<String> tensors = QdqQuantizer.tensorsToCalibrate(fp32);
            Map<String, ActivationRange> ranges = Calibrator.minMax(fp32, tensors, batches, threads);
            OnnxMl.ModelProto q = QdqQuantizer.quantize(fp32, ranges,
                    reduceRange ? QuantizationMath.INT8_MAX_REDUCED : QuantizationMath.INT8_MAX);
            activations = tensors.size();
            java.util.Set<String> int8 = new java.util.HashSet<>();
            q.getGraph().getInitializerList().stream()
                    .filter(t -> t.getDataType() == OnnxMl.TensorProto.DataType.INT8.getNumber() && t.getDimsCount() > 1)
                    .forEach(t -> int8.add(t.getName()));
            weights = int8.size(); // Conv and MatMul weights; biases are int32, zero points 1-D
            return q;
        }
    }

    private static Calibration calibrate(Path source, StaticInt8 options) {
        Path pre = source.resolve(PreprocessorConfig.FILE_NAME);
        if (!Files.isRegularFile(pre)) {
            throw new DfdException(pre + ": file not found (calibration runs the images through the model's own"
                    + " preprocessing)");
        }
        List<Path> files = CalibrationImages.choose(options.images(), options.count());
        return new Calibration(options, files, CalibrationImages.batches(files,
                new ImageProcessor(PreprocessorConfig.read(pre))));
    }

    private static void recordProvenance(Path out, Path onnxFile, Path dataFile, WeightEncoding encoding, boolean reduceRange,
                                         Q4Options q4, Calibration calibration, Path source,
                                         Map<String, String> sources) {
        Path file = out.resolve(PROVENANCE_FILE);
        ObjectNode root = Files.isRegularFile(file) ? Json.readObject(file) : Json.MAPPER.createObjectNode();
        ObjectNode entry = root.putObject(out.relativize(onnxFile).toString());
        entry.put("dtype", encoding.id());
        entry.put("reduce_range", reduceRange);
        if (encoding.fourBit()) {
            ObjectNode nbits = entry.putObject("matmul_nbits");
            nbits.put("bits", 4);
            nbits.put("block_size", q4.blockSize());
            nbits.put("symmetric", q4.symmetric());
            nbits.put("accuracy_level", q4.accuracyLevel());
        }
        if (calibration != null) {
            ObjectNode q = entry.putObject("static_quantization");
            q.put("format", "QDQ");
            q.put("weights", "int8 symmetric per output channel" + (reduceRange ? " (7 bits)" : ""));
            q.put("activations", "uint8 asymmetric per tensor");
            q.put("range_method", "minmax");
            q.put("calibration_dir", calibration.options.images().toAbsolutePath().normalize().toString());
            q.put("calibration_images", calibration.files.size());
            q.put("calibration_files_sha256", calibrationListHash(calibration));
            q.put("quantized_activations", calibration.activations);
            q.put("quantized_weights", calibration.weights);
        }
        entry.put("opset", OnnxBuilder.OPSET);
        entry.put("onnx_sha256", Provenance.sha256(onnxFile));
        if (dataFile != null) {
            entry.put("external_data", out.relativize(dataFile).toString());
            entry.put("external_data_sha256", Provenance.sha256(dataFile));
        }
        entry.put("source_dir", source.toAbsolutePath().normalize().toString());
        ObjectNode src = entry.putObject("source_sha256");
        sources.forEach(src::put);
        entry.put("dfd_version", Dfd.version());
        entry.put("time", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        try {
            Files.writeString(file, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(root));
        } catch (IOException e) {
            throw new DfdException(file + ": cannot write (" + e.getMessage() + ")");
        }
    }
}
