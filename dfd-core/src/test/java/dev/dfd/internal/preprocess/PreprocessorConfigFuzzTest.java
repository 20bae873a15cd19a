package dev.dfd.internal.preprocess;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.dfd.FuzzChecks;
import dev.dfd.internal.Json;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code preprocessor_config.json} bytes as {@link PreprocessorConfig#read} reads them: a config whose output size is
 * sane for ordinary images, or a one-line refusal.
 */
class PreprocessorConfigFuzzTest {
    private static final Path FILE = Path.of("model", PreprocessorConfig.FILE_NAME);
    /** Sizes in a config are at most 16384; a 4:3 image's long side may grow by 4/3 under shortest-edge resizing. */
    private static final int MAX_SIDE = 16384 * 4 / 3;

    @DictionaryEntries({"\"\\n\"", "\"image_processor_type\"", "\"crop_pct\"", "\"shortest_edge\"", "\"size\"",
            "\"crop_size\"", "1e-9", "16384", "18446744073709551621", "\"ConvNextImageProcessor\"",
            "\"CLIPImageProcessorFast\"", "\"resample\""})
    @FuzzTest(maxDuration = "3s")
    void parse(byte[] json) {
        PreprocessorConfig config = FuzzChecks.resultOrRefusal(
                () -> PreprocessorConfig.fromJson(Json.parseObject(json, FILE), FILE));
        if (config == null) {
            return;
        }
        for (int[] image : new int[][] {{640, 480}, {480, 640}, {224, 224}}) {
            int[] hw = config.outputSize(image[0], image[1]);
            assertTrue(hw[0] >= 1 && hw[0] <= MAX_SIDE && hw[1] >= 1 && hw[1] <= MAX_SIDE,
                    config + " makes " + hw[0] + "x" + hw[1] + " from " + image[0] + "x" + image[1]);
            if (config.doResize()) {
                int[] resized = config.resizeSize(image[0], image[1]);
                assertTrue(resized[0] >= 1 && resized[0] <= MAX_SIDE && resized[1] >= 1 && resized[1] <= MAX_SIDE,
                        config + " resizes " + image[0] + "x" + image[1] + " to " + resized[0] + "x" + resized[1]);
            }
        }
    }
}
