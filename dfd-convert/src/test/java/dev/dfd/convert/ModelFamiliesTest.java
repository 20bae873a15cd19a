package dev.dfd.convert;

import dev.dfd.DfdException;
import dev.dfd.family.ModelFamily;
import dev.dfd.family.vit.VitFamily;
import dev.dfd.graph.WeightEncoding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The registry dispatches by model_type; every family's config errors are one line naming the file. */
class ModelFamiliesTest {
    @TempDir
    Path dir;

    @Test
    void everyModelTypeBelongsToOneFamily() {
        Set<String> seen = new HashSet<>();
        for (ModelFamily<?> f : ModelFamilies.ALL) {
            for (String t : f.modelTypes()) {
                assertTrue(seen.add(t), "model_type " + t + " claimed twice");
            }
        }
        assertTrue(seen.containsAll(Set.of("vit", "deit", "resnet", "convnext", "convnextv2", "clip", "siglip",
                "dinov2", "beit", "swin", "efficientnet")), seen.toString());
    }

    @Test
    void aConfigWithoutModelTypeIsFoundByItsArchitecture() throws IOException {
        Path config = write("{\"architectures\": [\"ViTForImageClassification\"]}");
        assertInstanceOf(VitFamily.class, ModelFamilies.of(config));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"model_type\": \"resnet\", \"layer_type\": \"preact\"}|\"layer_type\"",
            "{\"model_type\": \"resnet\", \"hidden_sizes\": [8, 16], \"depths\": [1]}|hidden_sizes",
            "{\"model_type\": \"convnext\", \"hidden_sizes\": \"wide\"}|\"hidden_sizes\"",
            "{\"model_type\": \"convnextv2\", \"num_stages\": 3}|num_stages",
            "{\"model_type\": \"siglip\", \"vision_config\": {\"hidden_act\": \"mish\"}}|hidden_act",
            "{\"model_type\": \"clip\", \"vision_config\": {\"hidden_size\": 10, \"num_attention_heads\": 3}}|hidden_size",
            "{\"model_type\": \"dinov2\", \"use_swiglu_ffn\": true}|use_swiglu_ffn",
            "{\"model_type\": \"beit\", \"image_size\": 30, \"patch_size\": 16}|image_size",
            "{\"model_type\": \"swin\", \"depths\": [2, 2], \"num_heads\": [3]}|num_heads",
            "{\"model_type\": \"efficientnet\", \"pooling_type\": \"avg\"}|pooling_type",
            "{\"model_type\": \"vit\", \"hidden_act\": \"mish\"}|hidden_act"})
    void badConfigsFailInOneLineNamingTheFile(String json, String mentioned) throws IOException {
        Path config = write(json);
        DfdException e = assertThrows(DfdException.class, () -> parse(ModelFamilies.of(config), config));
        assertTrue(e.getMessage().startsWith(config + ": ") && e.getMessage().contains(mentioned)
                && !e.getMessage().contains("\n"), e.getMessage());
    }

    private static <C> C parse(ModelFamily<C> family, Path config) {
        return family.parse(config);
    }

    @Test
    void onlyViTGetsDefaultPreprocessingTheOthersAreRefusedNamingTheMissingFile() throws IOException {
        write("{\"model_type\": \"convnext\"}");
        DfdException e = assertThrows(DfdException.class,
                () -> Converter.convert(dir, dir.resolve("out"), WeightEncoding.FP32, false));
        assertEquals(dir.resolve("preprocessor_config.json") + ": file not found (a ConvNextForImageClassification,"
                + " ConvNextV2ForImageClassification checkpoint needs its own image processor settings)",
                e.getMessage());
    }

    @Test
    void positionEmbeddingsForAnotherSizeAreRefusedAtConversion() throws IOException {
        write("{\"model_type\": \"dinov2\", \"image_size\": 518, \"patch_size\": 14}");
        Files.writeString(dir.resolve("preprocessor_config.json"), "{\"image_processor_type\": \"BitImageProcessor\","
                + " \"size\": {\"shortest_edge\": 256}, \"do_center_crop\": true,"
                + " \"crop_size\": {\"height\": 224, \"width\": 224}}");
        DfdException e = assertThrows(DfdException.class,
                () -> Converter.convert(dir, dir.resolve("out"), WeightEncoding.FP32, false));
        assertTrue(e.getMessage().startsWith(dir.resolve("preprocessor_config.json") + ": makes 224x224 images but"
                + " config.json has image_size 518x518"), e.getMessage());
    }

    private Path write(String json) throws IOException {
        Path f = dir.resolve("config.json");
        Files.writeString(f, json);
        return f;
    }
}
