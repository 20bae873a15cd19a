package dev.dfd.cli;

import dev.dfd.DfdException;
import dev.dfd.ImageException;
import dev.dfd.ImageSource;
import dev.dfd.RgbImage;
import dev.dfd.internal.io.ImageDecoder;
import dev.dfd.internal.io.Npy;
import dev.dfd.internal.preprocess.ImageProcessor;
import dev.dfd.internal.preprocess.PreprocessorConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "preprocess", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        usageHelpAutoWidth = true,
        description = "Write the pixel_values tensor of one image as NumPy .npy (float32 [1,3,H,W]), to check parity"
                + " with transformers: np.load(FILE) vs processor(images=img, return_tensors='np').pixel_values.")
final class PreprocessCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model;

    @Parameters(paramLabel = "IMAGE", description = "The image file.")
    Path image;

    @Option(names = {"-o", "--out"}, paramLabel = "FILE.npy", required = true, description = "Where to write.")
    Path out;

    @Override
    public Integer call() throws IOException {
        PreprocessorConfig config = PreprocessorConfig.read(model.modelDir().resolve(PreprocessorConfig.FILE_NAME));
        ImageDecoder decoder = new ImageDecoder();
        RgbImage decoded;
        try {
            decoded = decoder.decode(ImageSource.of(image).read(decoder.limits().maxBytes()));
        } catch (ImageException e) {
            throw new DfdException(image + ": " + e.getMessage());
        } catch (IOException e) {
            throw new DfdException(image + ": " + ImageSource.describe(e));
        }
        ImageProcessor processor = new ImageProcessor(config);
        RgbImage resized = processor.resize(decoded);
        float[] pixels = new float[3 * resized.width() * resized.height()];
        processor.toChw(resized, pixels, 0);
        try {
            Npy.writeFloat32(out, pixels, 1, 3, resized.height(), resized.width());
        } catch (IOException e) {
            throw new DfdException(out + ": cannot write (" + ImageSource.describe(e) + ")");
        }
        spec.commandLine().getErr().println("wrote " + out + " float32 [1, 3, " + resized.height() + ", "
                + resized.width() + "]");
        return Main.OK;
    }
}
