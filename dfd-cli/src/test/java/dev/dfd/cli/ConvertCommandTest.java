package dev.dfd.cli;

import dev.dfd.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.dfd.cli.MainTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** dfd init -> dfd convert (every dtype) -> dfd detect, as a user runs them. */
class ConvertCommandTest {
    @TempDir
    Path tmp;

    @Test
    void initConvertDetect() throws IOException {
        Path config = Files.writeString(tmp.resolve("small.json"), "{\"image_size\": 32, \"patch_size\": 8,"
                + " \"hidden_size\": 24, \"num_hidden_layers\": 2, \"num_attention_heads\": 2, \"intermediate_size\": 48}");
        Path model = tmp.resolve("model");
        MainTest.Run init = run("init", "--config", config.toString(), model.toString(), "--seed", "3");
        assertEquals(0, init.code(), init.err());
        assertTrue(init.err().contains("hidden 24, 2 layers"), init.err());
        MainTest.Run noOnnx = run("detect", "-m", model.toString(), "x.png");
        assertEquals(2, noOnnx.code());
        assertTrue(noOnnx.err().contains("dfd convert " + model), noOnnx.err());
        for (String dtype : new String[]{"fp32", "fp16", "int8"}) {
            MainTest.Run r = run("convert", model.toString(), tmp.resolve("out").toString(), "--dtype", dtype);
            assertEquals(0, r.code(), r.err());
        }
        assertTrue(Files.exists(tmp.resolve("out/onnx/model_quantized.onnx")));
        assertTrue(Files.readString(tmp.resolve("out/dfd_conversion.json")).contains("\"model.safetensors\""));
        String image = Fixtures.dir().resolve("images/noise_64x48.png").toString();
        for (String variant : new String[]{"default", "fp16", "quantized"}) {
            MainTest.Run d = run("detect", "-m", tmp.resolve("out").toString(), "--variant", variant, image);
            assertEquals(0, d.code(), d.err());
        }
        assertEquals(2, run("convert", model.toString(), tmp.resolve("o2").toString(), "--dtype", "int4").code());
        assertEquals(2, run("convert", tmp.resolve("nothing").toString(), tmp.resolve("o3").toString()).code());
    }
}
