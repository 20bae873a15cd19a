package dev.dfd.cli;

import dev.dfd.internal.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.dfd.cli.MainTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** dfd import-tfjs on dfd-convert's TensorFlow.js MobileNet fixture, then detect on the result; bad input in one line. */
class ImportTfjsCommandTest {
    static final Path FIXTURE = Path.of("../dfd-convert/src/test/resources/tfjs-mobilenet");

    @TempDir
    Path tmp;

    @Test
    void importThenDetect() throws IOException {
        Path out = tmp.resolve("imported");
        MainTest.Run r = run("import-tfjs", FIXTURE.resolve("model.json").toString(), out.toString(), "--image-size", "48");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("MobileNet V1 (depth multiplier 0.125, 128 features, labels [Real, Fake])"), r.err());
        assertEquals("mobilenet_v1", Json.readObject(out.resolve("config.json")).get("model_type").asText());
        assertTrue(Files.isRegularFile(out.resolve("onnx/model.onnx")));
        MainTest.Run d = run("detect", "--model", out.toString(), "--faces", "off", "--format", "json",
                FIXTURE.resolve("image0.png").toString());
        assertEquals(0, d.code(), d.err());
        assertTrue(d.out().contains("\"status\":\"ok\""), d.out());
    }

    /** Two steps of fine-tuning from an import: the card says where the weights came from, not "from scratch". */
    @Test
    void fineTuningAnImportNamesItsSourceInTheCard() throws IOException {
        Path imported = tmp.resolve("imported");
        assertEquals(0, run("import-tfjs", FIXTURE.resolve("model.json").toString(), imported.toString(),
                "--image-size", "48").code());
        Path data = tmp.resolve("data");
        for (String split : new String[]{"train", "val"}) {
            for (String label : new String[]{"Real", "Fake"}) {
                Path dir = Files.createDirectories(data.resolve(split).resolve(label));
                for (int i = 0; i < 3; i++) {
                    Files.copy(FIXTURE.resolve("image" + i + ".png"), dir.resolve(label + i + ".png"));
                }
            }
        }
        Path out = tmp.resolve("run");
        MainTest.Run r = run("train", "--init", imported.toString(), "--whole-images", "--data", data.toString(),
                "--out", out.toString(), "--image-size", "48", "--epochs", "1", "--max-steps-per-epoch", "2",
                "--batch-size", "4", "--workers", "1");
        assertEquals(0, r.code(), r.err());
        String card = Files.readString(out.resolve("best/README.md"));
        assertTrue(card.contains("Fine-tuned from `imported` (imported with `dfd import-tfjs` from the TensorFlow.js"
                + " model `model.json`, sha256 "), card);
        assertFalse(card.contains("from scratch"), card);
    }

    @Test
    void badInputIsOneLine() throws IOException {
        Path layers = Files.writeString(tmp.resolve("model.json"), "{\"format\": \"layers-model\"}");
        MainTest.Run r = run("import-tfjs", layers.toString(), tmp.resolve("out").toString());
        assertEquals(2, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains(layers + ": format \"layers-model\" is not a TensorFlow.js graph model"), r.err());
        MainTest.Run range = run("import-tfjs", FIXTURE.resolve("model.json").toString(), tmp.resolve("o2").toString(),
                "--input-range", "0-9");
        assertEquals(2, range.code());
        assertTrue(range.err().contains("input range \"0-9\" is not one of 0-255, 0-1, -1-1"), range.err());
        assertFalse(Files.exists(tmp.resolve("o2/config.json")));
    }
}
