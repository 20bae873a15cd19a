package dev.dfd.family;

import dev.dfd.preprocess.PreprocessorConfig;

/** Input sizes of graphs that take any size (CNNs): fixed when the preprocessor makes one, else symbolic. */
public final class Sizes {
    private Sizes() {
    }

    /** The preprocessor's fixed (height, width), else {@code {-1, -1}} (any size; also without a preprocessor). */
    public static int[] fromPreprocessor(java.nio.file.Path preprocessor) {
        if (preprocessor == null) {
            return new int[]{-1, -1};
        }
        int[] hw = PreprocessorConfig.read(preprocessor).fixedOutputSize();
        return hw == null ? new int[]{-1, -1} : hw;
    }
}
