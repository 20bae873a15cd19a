package dev.dfd.cli;

import dev.dfd.DfdException;
import dev.dfd.convert.Converter;
import dev.dfd.convert.ExternalData;
import dev.dfd.graph.Q4Options;
import dev.dfd.graph.WeightEncoding;
import dev.dfd.quantize.StaticInt8;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "convert", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        usageHelpAutoWidth = true,
        description = {"Convert a Hugging Face image classifier (config.json, preprocessor_config.json,"
                + " model.safetensors or shards) to ONNX, in Java. Architectures (config.json model_type):"
                + " ViT and DeiT (vit, deit), ResNet with basic or bottleneck layers (resnet), ConvNeXt and"
                + " ConvNeXt V2 (convnext, convnextv2), CLIP and SigLIP vision with a classifier (clip, siglip),"
                + " DINOv2 (dinov2), BEiT (beit), Swin (swin), EfficientNet (efficientnet), MobileNet V1"
                + " (mobilenet_v1): the"
                + " <Family>ForImageClassification classes.",
                "Writes OUT/onnx/model.onnx (fp32), model_fp16.onnx, model_quantized.onnx (int8), model_q4.onnx"
                        + " or model_q4f16.onnx (4-bit), copies the"
                        + " configs and records provenance in OUT/dfd_conversion.json. Models over 64 MB of weights"
                        + " get their weights in a file beside (model.onnx_data, ONNX external data), which ONNX"
                        + " Runtime maps instead of copying: faster to open, less memory."})
final class ConvertCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL_DIR", description = "The Hugging Face model directory.")
    Path source;

    @Parameters(index = "1", paramLabel = "OUT_DIR", description = "Where to write (may be MODEL_DIR itself).")
    Path out;

    @Option(names = "--dtype", paramLabel = "DTYPE", defaultValue = "fp32",
            description = "fp32; fp16 (float16 weights, float32 inputs and outputs); int8 (dynamic quantization of"
                    + " the MatMul weights per output channel; with --calibrate, static quantization of convolutions"
                    + " and MatMuls); q4 (MatMul weights in 4 bits, block-wise, run by ONNX"
                    + " Runtime's MatMulNBits; other weights float32); q4f16 (q4's MatMuls, other weights float16)."
                    + " Default: ${DEFAULT-VALUE}.")
    String dtype;

    @Option(names = "--block-size", paramLabel = "N", defaultValue = "32",
            description = "q4, q4f16: weights per 4-bit scale along the input dimension (a power of two, at least 16)."
                    + " Default: ${DEFAULT-VALUE}.")
    int blockSize;

    @Option(names = "--asymmetric", description = "q4, q4f16: a zero point per block as well as a scale (default:"
            + " symmetric, zero point 8, as transformers.js' q4).")
    boolean asymmetric;

    @Option(names = "--accuracy-level", paramLabel = "L", defaultValue = "0",
            description = "q4, q4f16: MatMulNBits' accuracy_level; 0 computes in float32; 4 lets ONNX Runtime"
                    + " quantize the activations to int8 as well (faster, less exact). Default: ${DEFAULT-VALUE}.")
    int accuracyLevel;

    @Option(names = "--reduce-range", description = "int8: 7-bit weights, for AVX2 CPUs without VNNI (avoids"
            + " saturation in ONNX Runtime's u8 x s8 kernels).")
    boolean reduceRange;

    @Option(names = "--calibrate", paramLabel = "DIR",
            description = "int8 of a CNN (ResNet, ConvNeXt, EfficientNet): static quantization of every convolution"
                    + " and MatMul (int8 weights per output"
                    + " channel, uint8 activations with ranges measured on the images in DIR, run through the"
                    + " model's own preprocessing; QDQ format, which ONNX Runtime runs as QLinearConv). DIR holds"
                    + " images like the model's input (face crops for a face model), never test images. Without it,"
                    + " int8 quantizes the MatMul weights only, dynamically.")
    Path calibrate;

    @Option(names = "--calibration-images", paramLabel = "N", defaultValue = "256",
            description = "int8 with --calibrate: images used, evenly spaced over DIR's sorted files."
                    + " Default: ${DEFAULT-VALUE}.")
    int calibrationImages;

    @Option(names = "--external-data", paramLabel = "WHEN", defaultValue = "auto",
            description = "auto: weights in onnx/<file>_data when over 64 MB, else one file; always; never (one"
                    + " .onnx file, which every ONNX tool reads without options; limit 2 GB). Default: ${DEFAULT-VALUE}.")
    String externalData;

    @Override
    public Integer call() {
        WeightEncoding encoding;
        ExternalData.Mode mode;
        try {
            encoding = WeightEncoding.parse(dtype);
            mode = ExternalData.Mode.parse(externalData);
        } catch (IllegalArgumentException e) {
            throw new DfdException(e.getMessage());
        }
        long start = System.nanoTime();
        Q4Options q4 = new Q4Options(blockSize, !asymmetric, accuracyLevel);
        if (!encoding.fourBit() && (asymmetric || accuracyLevel != 0 || blockSize != Q4Options.DEFAULT.blockSize())) {
            throw new DfdException("--block-size, --asymmetric and --accuracy-level apply to --dtype q4 and q4f16 only");
        }
        if (calibrate == null && calibrationImages != StaticInt8.DEFAULT_COUNT) {
            throw new DfdException("--calibration-images applies with --calibrate only");
        }
        if (calibrate != null && encoding != WeightEncoding.INT8) {
            throw new DfdException("--calibrate applies to --dtype int8 only");
        }
        StaticInt8 staticInt8 = calibrate == null ? null : new StaticInt8(calibrate, calibrationImages, 0);
        Converter.Result r = Converter.convert(source, out, encoding, reduceRange, q4, staticInt8, mode);
        var err = spec.commandLine().getErr();
        if (r.wrotePreprocessor()) {
            err.println("dfd: note: " + source + " has no preprocessor_config.json; wrote ViTImageProcessor defaults");
        }
        err.printf(Locale.ROOT, "wrote %s%s (%s%s, %.1f MB, %,d parameters) in %.1f s%n", r.onnx(),
                r.externalData() == null ? "" : " + " + r.externalData().getFileName(), encoding.id(),
                staticInt8 == null ? "" : ", static, calibrated on " + r.calibrationImages() + " images",
                r.bytes() / 1e6, r.parameters(), (System.nanoTime() - start) / 1e9);
        err.flush();
        return Main.OK;
    }
}
