package dev.dfd.internal.model;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.dfd.FuzzChecks;
import dev.dfd.internal.Json;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** {@code config.json} bytes as {@link ModelConfig#read} reads them: a config with labels, or a one-line refusal. */
class ModelConfigFuzzTest {
    private static final Path FILE = Path.of("model", ModelConfig.FILE_NAME);

    @DictionaryEntries({"\"\\n\"", "\"\\u2028\"", "\"id2label\"", "\"num_labels\"", "\"problem_type\"",
            "\"architectures\"", "2147483648", "-1", "1e308"})
    @FuzzTest(maxDuration = "3s")
    void parse(byte[] json) {
        ModelConfig config = FuzzChecks.resultOrRefusal(() -> ModelConfig.parse(Json.parseObject(json, FILE), FILE));
        if (config != null) {
            assertFalse(config.labels().isEmpty());
            config.labels().forEach(label -> assertNotNull(label, "a null label"));
        }
    }
}
