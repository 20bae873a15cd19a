package dev.dfd.convert;

import ai.onnx.proto.OnnxMl;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.Detector;
import dev.dfd.DetectorOptions;
import dev.dfd.family.vit.VitInit;
import dev.dfd.graph.WeightEncoding;
import dev.dfd.internal.Json;
import dev.dfd.internal.Provenance;
import dev.dfd.internal.model.ModelFiles;
import dev.dfd.internal.model.OnnxClassifier;
import dev.dfd.internal.model.PixelBatch;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Self-contained: a small model from {@code dfd init}, converted with and without external data. */
class ExternalDataTest {
    @TempDir
    Path dir;
    Path src;

    @BeforeEach
    void model() {
        ObjectNode user = Json.MAPPER.createObjectNode();
        user.put("image_size", 16).put("patch_size", 4).put("hidden_size", 24).put("num_hidden_layers", 2)
                .put("num_attention_heads", 3).put("intermediate_size", 40);
        src = dir.resolve("src");
        VitInit.writeModelDir(user, src, 3);
    }

    @Test
    void externalDataGivesTheSameLogitsAsOneFile() throws Exception {
        Converter.Result one = Converter.convert(src, dir.resolve("one"), WeightEncoding.FP32, false, ExternalData.Mode.NEVER);
        Converter.Result ext = Converter.convert(src, dir.resolve("ext"), WeightEncoding.FP32, false, ExternalData.Mode.ALWAYS);
        assertNull(one.externalData());
        assertEquals(dir.resolve("ext/onnx/model.onnx_data"), ext.externalData());
        assertTrue(Files.size(ext.onnx()) < Files.size(one.onnx()) / 4, "the graph file keeps only small tensors");
        assertEquals(Files.size(ext.onnx()) + Files.size(ext.externalData()), ext.bytes());

        float[] pixels = new float[2 * 3 * 16 * 16];
        Random r = new Random(4);
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (float) (r.nextDouble() * 2 - 1);
        }
        for (boolean prepack : new boolean[]{true, false}) {
            float[][] a;
            float[][] b;
            try (OnnxClassifier c = OnnxClassifier.open(one.onnx(), 1, prepack)) {
                a = c.run(new PixelBatch(pixels, 2, 3, 16, 16));
            }
            try (OnnxClassifier c = OnnxClassifier.open(ext.onnx(), 1, prepack)) {
                b = c.run(new PixelBatch(pixels, 2, 3, 16, 16));
            }
            for (int i = 0; i < 2; i++) {
                assertArrayEquals(a[i], b[i], 1e-6f, "prepack " + prepack + ", image " + i);
            }
        }
    }

    @Test
    void everyExternalTensorIsPageAlignedAndHoldsItsBytes() throws Exception {
        Converter.Result one = Converter.convert(src, dir.resolve("one"), WeightEncoding.FP32, false, ExternalData.Mode.NEVER);
        Converter.Result ext = Converter.convert(src, dir.resolve("ext"), WeightEncoding.FP32, false, ExternalData.Mode.ALWAYS);
        Map<String, OnnxMl.TensorProto> inline = new HashMap<>();
        for (OnnxMl.TensorProto t : read(one.onnx()).getGraph().getInitializerList()) {
            inline.put(t.getName(), t);
        }
        int external = 0;
        try (FileChannel data = FileChannel.open(ext.externalData())) {
            for (OnnxMl.TensorProto t : read(ext.onnx()).getGraph().getInitializerList()) {
                byte[] expected = inline.get(t.getName()).getRawData().toByteArray();
                if (t.getDataLocation() != OnnxMl.TensorProto.DataLocation.EXTERNAL) {
                    assertTrue(expected.length < ExternalData.MIN_TENSOR_BYTES, t.getName() + " stayed inline");
                    continue;
                }
                external++;
                Map<String, String> kv = new HashMap<>();
                t.getExternalDataList().forEach(e -> kv.put(e.getKey(), e.getValue()));
                assertEquals("model.onnx_data", kv.get("location"));
                long offset = Long.parseLong(kv.get("offset"));
                int length = Integer.parseInt(kv.get("length"));
                assertEquals(0, offset % ExternalData.ALIGNMENT, t.getName());
                assertEquals(expected.length, length, t.getName());
                ByteBuffer got = ByteBuffer.allocate(length);
                data.read(got, offset);
                assertArrayEquals(expected, got.array(), t.getName());
            }
        }
        assertTrue(external > 10, "the weight matrices went out: " + external);
    }

    @Test
    void autoKeepsSmallModelsInOneFileAndReconversionRemovesAStaleDataFile() throws Exception {
        Path out = dir.resolve("out");
        Converter.Result ext = Converter.convert(src, out, WeightEncoding.FP32, false, ExternalData.Mode.ALWAYS);
        assertTrue(Files.exists(ext.externalData()));
        JsonNode record = Json.MAPPER.readTree(out.resolve(Converter.PROVENANCE_FILE).toFile()).get("onnx/model.onnx");
        assertEquals("onnx/model.onnx_data", record.get("external_data").asText());
        assertEquals(Provenance.sha256(ext.externalData()), record.get("external_data_sha256").asText());

        Files.writeString(out.resolve("onnx/model.onnx.data"), "left by another exporter");
        Converter.Result auto = Converter.convert(src, out, WeightEncoding.FP32, false); // a few kB of weights
        assertNull(auto.externalData());
        assertFalse(Files.exists(out.resolve("onnx/model.onnx_data")), "a data file no graph points at is removed");
        assertFalse(Files.exists(out.resolve("onnx/model.onnx.data")), "under either name");
        assertFalse(Files.exists(out.resolve("onnx/model.onnx_data.tmp")), "no temporary file left");
        assertFalse(Json.MAPPER.readTree(out.resolve(Converter.PROVENANCE_FILE).toFile())
                .get("onnx/model.onnx").has("external_data"));
    }

    @Test
    void detectorAndModelIdCoverTheDataFile() throws Exception {
        Path out = dir.resolve("out");
        Converter.convert(src, out, WeightEncoding.FP32, false, ExternalData.Mode.ALWAYS);
        ModelFiles files = ModelFiles.locate(out, null);
        assertEquals(out.resolve("onnx/model.onnx_data"), files.externalData());
        assertEquals(Files.size(files.onnx()) + Files.size(files.externalData()), files.weightBytes());
        String withData;
        try (Detector d = Detector.load(out, DetectorOptions.DEFAULTS.withThreads(1))) {
            withData = d.model().id();
            assertEquals("out@" + Provenance.weightsSha256(files).substring(0, 12), withData);
            assertNotEquals(Provenance.sha256(files.onnx()), Provenance.weightsSha256(files),
                    "the id changes when only the weights change");
            assertTrue(Provenance.of(d).containsKey("onnx_external_data_sha256"));
        }
        // without its data file the graph cannot load: a one-line error naming the file, not a crash
        Files.delete(out.resolve("onnx/model.onnx_data"));
        var e = assertThrows(dev.dfd.DfdException.class, () -> OnnxClassifier.open(files.onnx(), 1));
        assertTrue(e.getMessage().startsWith(files.onnx().toString()), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void modesParse() {
        assertEquals(ExternalData.Mode.AUTO, ExternalData.Mode.parse("auto"));
        assertEquals(ExternalData.Mode.ALWAYS, ExternalData.Mode.parse("ALWAYS"));
        assertEquals(ExternalData.Mode.NEVER, ExternalData.Mode.parse("never"));
        assertThrows(IllegalArgumentException.class, () -> ExternalData.Mode.parse("sometimes"));
    }

    private static OnnxMl.ModelProto read(Path onnx) throws Exception {
        try (InputStream in = Files.newInputStream(onnx)) {
            return OnnxMl.ModelProto.parseFrom(in);
        }
    }
}
