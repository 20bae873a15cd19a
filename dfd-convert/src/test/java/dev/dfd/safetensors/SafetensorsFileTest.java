package dev.dfd.safetensors;

import dev.dfd.DfdException;
import dev.dfd.internal.model.Half;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsFileTest {
    @TempDir
    Path dir;

    /** A file with this header JSON and data section. */
    private Path file(String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        Path f = dir.resolve("m" + System.nanoTime() + ".safetensors");
        Files.write(f, b.array());
        return f;
    }

    private String rejected(Path f) {
        DfdException e = assertThrows(DfdException.class, () -> SafetensorsFile.open(f).close());
        assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        return e.getMessage();
    }

    @Test
    void roundTripsWithTheWriter() {
        Map<String, SafetensorsWriter.FloatTensor> t = new LinkedHashMap<>();
        t.put("b.weight", new SafetensorsWriter.FloatTensor(new float[]{1.5f, -2f, 3.25f, 0f, 1e-8f, 7f}, 2, 3));
        t.put("a.bias", new SafetensorsWriter.FloatTensor(new float[]{42f}, 1));
        Path f = dir.resolve("w.safetensors");
        SafetensorsWriter.write(f, t, Map.of("format", "pt"));
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
            assertEquals(Map.of("format", "pt"), s.metadata());
            assertArrayEquals(new long[]{2, 3}, s.shape("b.weight"));
            assertArrayEquals(t.get("b.weight").values(), s.floats("b.weight"));
            assertArrayEquals(new float[]{42f}, s.floats("a.bias", 1));
            assertThrows(DfdException.class, () -> s.floats("b.weight", 3, 2));
        }
    }

    @Test
    void readsHalfAndBfloat16() throws IOException {
        ByteBuffer d = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        d.putShort(Half.fromFloat(0.5f)).putShort(Half.fromFloat(-3f));
        d.putShort((short) (Float.floatToIntBits(1.5f) >>> 16)).putShort((short) (Float.floatToIntBits(-0.25f) >>> 16));
        Path f = file("{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[4,8]}}", d.array());
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
            assertArrayEquals(new float[]{0.5f, -3f}, s.floats("h"));
            assertArrayEquals(new float[]{1.5f, -0.25f}, s.floats("b"));
        }
    }

    @Test
    void malformedFilesAreRejectedWithAReason() throws IOException {
        Path tiny = dir.resolve("tiny.safetensors");
        Files.write(tiny, new byte[]{1, 2, 3});
        assertTrue(rejected(tiny).contains("truncated: 3 bytes"));

        ByteBuffer huge = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(200_000_000L);
        Path tooLong = dir.resolve("long.safetensors");
        Files.write(tooLong, huge.array());
        assertTrue(rejected(tooLong).contains("header length 200000000 is outside"));

        ByteBuffer claims = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1000);
        Path cut = dir.resolve("cut.safetensors");
        Files.write(cut, claims.array());
        assertTrue(rejected(cut).contains("truncated: the header claims 1000 bytes"));

        assertTrue(rejected(file("{not json", new byte[0])).contains("not valid JSON"));
        assertTrue(rejected(file("[1,2]", new byte[0])).contains("must be a JSON object"));
        assertTrue(rejected(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[4]))
                .contains("outside the data section of 4 bytes"));
        assertTrue(rejected(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8])).contains("overlap"));
        assertTrue(rejected(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8]))
                .contains("needs 12 bytes but data_offsets give 8"));
        assertTrue(rejected(file("{\"x\":{\"dtype\":\"F8_E9\",\"shape\":[1],\"data_offsets\":[0,1]}}", new byte[1]))
                .contains("unknown dtype F8_E9"));
        assertTrue(rejected(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", new byte[4]))
                .contains("invalid shape"));
        assertTrue(rejected(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[1]}}", new byte[4])).contains("data_offsets"));
        Path pickle = Files.write(dir.resolve("pytorch_model.bin"), new byte[16]);
        assertTrue(rejected(pickle).contains("unpickling can run arbitrary code"));
    }

    @Test
    void integerTensorsAreRefusedWhenReadAsWeights() throws IOException {
        Path f = file("{\"ids\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", new byte[8]);
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
            DfdException e = assertThrows(DfdException.class, () -> s.floats("ids"));
            assertTrue(e.getMessage().contains("dfd reads F32, F16 and BF16"), e.getMessage());
        }
    }

    @Test
    void shardsAreJoinedThroughTheIndex() throws IOException {
        SafetensorsWriter.write(dir.resolve("model-00001-of-00002.safetensors"),
                Map.of("a", new SafetensorsWriter.FloatTensor(new float[]{1f}, 1)), Map.of());
        SafetensorsWriter.write(dir.resolve("model-00002-of-00002.safetensors"),
                Map.of("b", new SafetensorsWriter.FloatTensor(new float[]{2f, 3f}, 2)), Map.of());
        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"metadata\":{},\"weight_map\":{"
                + "\"a\":\"model-00001-of-00002.safetensors\",\"b\":\"model-00002-of-00002.safetensors\"}}");
        try (ShardedSafetensors s = ShardedSafetensors.open(dir)) {
            assertEquals(2, s.files().size());
            assertArrayEquals(new float[]{2f, 3f}, s.floats("b"));
            assertEquals(Arrays.asList("a", "b"), s.tensors().keySet().stream().toList());
        }
        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"weight_map\":{\"a\":\"../x.safetensors\"}}");
        assertThrows(DfdException.class, () -> ShardedSafetensors.open(dir));
    }
}
