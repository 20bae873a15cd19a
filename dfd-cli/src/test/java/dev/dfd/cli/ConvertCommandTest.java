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
        for (String dtype : new String[]{"fp32", "fp16", "int8", "q4"}) {
            MainTest.Run r = run("convert", model.toString(), tmp.resolve("out").toString(), "--dtype", dtype);
            assertEquals(0, r.code(), r.err());
        }
        assertTrue(Files.exists(tmp.resolve("out/onnx/model_quantized.onnx")));
        assertTrue(Files.readString(tmp.resolve("out/dfd_conversion.json")).contains("\"model.safetensors\""));
        String image = Fixtures.dir().resolve("images/noise_64x48.png").toString();
        for (String variant : new String[]{"default", "fp16", "quantized", "q4"}) {
            MainTest.Run d = run("detect", "-m", tmp.resolve("out").toString(), "--variant", variant, image);
            assertEquals(0, d.code(), d.err());
        }
        assertEquals(2, run("convert", model.toString(), tmp.resolve("o2").toString(), "--dtype", "int4").code());
        MainTest.Run badBlock = run("convert", model.toString(), tmp.resolve("o2").toString(), "--dtype", "q4",
                "--block-size", "24");
        assertEquals(2, badBlock.code());
        assertTrue(badBlock.err().contains("block size 24: expected a power of two"), badBlock.err());
        MainTest.Run missing = run("detect", "-m", tmp.resolve("out").toString(), "--variant", "bnb4", image);
        assertEquals(2, missing.code());
        assertEquals(1, missing.err().strip().lines().count(), missing.err());
        assertTrue(missing.err().contains("no model_bnb4.onnx (variant bnb4); this directory has default, quantized,"
                + " fp16, q4"), missing.err());
        assertEquals(2, run("convert", tmp.resolve("nothing").toString(), tmp.resolve("o3").toString()).code());
    }

    /** Static int8 of the golden zoo ResNet, calibrated on the fixture images, then judged by its int8 variant. */
    @Test
    void calibratedInt8OfAResNet() throws IOException {
        Path resnet = dev.dfd.Golden.zooModel("resnet-seed0"); // skipped without ../shared/golden (failed under CI)
        Path images = Fixtures.dir().resolve("images");
        Path out = tmp.resolve("resnet");
        MainTest.Run r = run("convert", resnet.toString(), out.toString(), "--dtype", "int8", "--calibrate",
                images.toString(), "--calibration-images", "4");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("(int8, static, calibrated on 4 images,"), r.err());
        String provenance = Files.readString(out.resolve("dfd_conversion.json"));
        assertTrue(provenance.contains("\"static_quantization\"") && provenance.contains("\"calibration_images\" : 4"),
                provenance);
        MainTest.Run d = run("detect", "-m", out.toString(), "--variant", "quantized", "--format", "csv",
                images.resolve("noise_64x48.png").toString());
        assertEquals(0, d.code(), d.err());

        MainTest.Run fp16 = run("convert", resnet.toString(), out.toString(), "--dtype", "fp16", "--calibrate",
                images.toString());
        assertEquals(2, fp16.code());
        assertTrue(fp16.err().contains("--calibrate applies to --dtype int8 only"), fp16.err());
        MainTest.Run count = run("convert", resnet.toString(), out.toString(), "--dtype", "int8",
                "--calibration-images", "8");
        assertEquals(2, count.code());
        assertTrue(count.err().contains("--calibration-images applies with --calibrate only"), count.err());
        MainTest.Run noImages = run("convert", resnet.toString(), out.toString(), "--dtype", "int8", "--calibrate",
                tmp.resolve("nowhere").toString());
        assertEquals(2, noImages.code());
        assertTrue(noImages.err().contains("calibration image directory not found"), noImages.err());

        Path config = Files.writeString(tmp.resolve("small.json"), "{\"image_size\": 32, \"patch_size\": 8,"
                + " \"hidden_size\": 24, \"num_hidden_layers\": 1, \"num_attention_heads\": 2, \"intermediate_size\": 48}");
        Path vit = tmp.resolve("vit");
        assertEquals(0, run("init", "--config", config.toString(), vit.toString(), "--seed", "1").code());
        MainTest.Run transformer = run("convert", vit.toString(), tmp.resolve("vit-out").toString(), "--dtype", "int8",
                "--calibrate", images.toString());
        assertEquals(2, transformer.code());
        assertTrue(transformer.err().contains("static int8 (--calibrate) applies to the convolutional families"),
                transformer.err());
    }

    @Test
    void externalDataAndPrepackChoicesGiveTheSameVerdicts() throws IOException {
        Path config = Files.writeString(tmp.resolve("small.json"), "{\"image_size\": 32, \"patch_size\": 8,"
                + " \"hidden_size\": 24, \"num_hidden_layers\": 2, \"num_attention_heads\": 2, \"intermediate_size\": 48}");
        Path model = tmp.resolve("model");
        assertEquals(0, run("init", "--config", config.toString(), model.toString(), "--seed", "5").code());
        MainTest.Run one = run("convert", model.toString(), tmp.resolve("one").toString());
        assertEquals(0, one.code(), one.err());
        assertTrue(!one.err().contains("_data"), "a small model stays one file by default: " + one.err());
        MainTest.Run ext = run("convert", model.toString(), tmp.resolve("ext").toString(), "--external-data", "always");
        assertEquals(0, ext.code(), ext.err());
        assertTrue(ext.err().contains("model.onnx + model.onnx_data"), ext.err());
        assertTrue(Files.exists(tmp.resolve("ext/onnx/model.onnx_data")));

        String image = Fixtures.dir().resolve("images/noise_64x48.png").toString();
        String expected = null;
        for (String dir : new String[]{"one", "ext"}) {
            for (String prepack : new String[]{"auto", "always", "never"}) {
                MainTest.Run d = run("detect", "-m", tmp.resolve(dir).toString(), "--prepack", prepack, "--format",
                        "csv", image);
                assertEquals(0, d.code(), d.err());
                if (expected == null) {
                    expected = d.out();
                }
                assertEquals(expected, d.out(), dir + ", prepack " + prepack);
            }
        }
        MainTest.Run badMode = run("convert", model.toString(), tmp.resolve("o4").toString(), "--external-data", "maybe");
        assertEquals(2, badMode.code());
        assertTrue(badMode.err().contains("unknown external-data mode 'maybe'"), badMode.err());
        MainTest.Run badPrepack = run("detect", "-m", tmp.resolve("one").toString(), "--prepack", "sometimes", image);
        assertEquals(2, badPrepack.code());
        assertTrue(badPrepack.err().contains("--prepack: unknown value 'sometimes'"), badPrepack.err());
    }
}
