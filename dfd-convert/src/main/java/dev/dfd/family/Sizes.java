package dev.dfd.family;

import dev.dfd.DfdException;
import dev.dfd.internal.preprocess.PreprocessorConfig;

import java.nio.file.Path;

/** Input sizes of graphs that take any size (CNNs): fixed when the preprocessor makes one, else symbolic. */
public final class Sizes {
    private Sizes() {
    }

    /**
     * A transformer's input size: its config's image size, which its position embeddings (or relative position
     * table) are made for. A preprocessor that makes another fixed size is refused here, at conversion, rather than
     * when the model loads (interpolating position embeddings is not implemented).
     */
    public static int[] fromConfig(int height, int width, Path configFile, Path preprocessor) {
        if (preprocessor != null) {
            int[] hw = PreprocessorConfig.read(preprocessor).fixedOutputSize();
            if (hw != null && (hw[0] != height || hw[1] != width)) {
                throw new DfdException(preprocessor + ": makes " + hw[0] + "x" + hw[1] + " images but "
                        + configFile.getFileName() + " has image_size " + height + "x" + width + " (dfd does not"
                        + " interpolate position embeddings)");
            }
        }
        return new int[]{height, width};
    }

    /** The preprocessor's fixed (height, width), else {@code {-1, -1}} (any size; also without a preprocessor). */
    public static int[] fromPreprocessor(Path preprocessor) {
        if (preprocessor == null) {
            return new int[]{-1, -1};
        }
        int[] hw = PreprocessorConfig.read(preprocessor).fixedOutputSize();
        return hw == null ? new int[]{-1, -1} : hw;
    }
}
