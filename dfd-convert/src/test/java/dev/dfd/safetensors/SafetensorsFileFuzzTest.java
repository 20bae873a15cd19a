package dev.dfd.safetensors;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.dfd.DfdException;
import dev.dfd.FuzzChecks;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A safetensors file of any bytes, opened and every tensor read: a one-line refusal, or tensors whose byte ranges
 * lie inside the file and read back at the size their dtype and shape say.
 */
class SafetensorsFileFuzzTest {
    private static Path file;

    @BeforeAll
    static void scratchFile() throws IOException {
        file = Files.createTempFile("fuzz", ".safetensors");
    }

    @AfterAll
    static void removeScratchFile() throws IOException {
        Files.deleteIfExists(file);
    }

    @FuzzTest(maxDuration = "3s")
    void openAndRead(byte[] bytes) throws IOException {
        Files.write(file, bytes);
        try (SafetensorsFile st = FuzzChecks.resultOrRefusal(() -> SafetensorsFile.open(file))) {
            if (st == null) {
                return;
            }
            long dataSize = bytes.length - 8 - ByteBuffer.wrap(bytes, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                    .getLong();
            for (TensorInfo t : st.tensors().values()) {
                assertTrue(0 <= t.begin() && t.begin() <= t.end() && t.end() <= dataSize, t + " outside the data");
                assertEquals(t.end() - t.begin(), t.elements() * t.dtype().bytes, t.toString());
                assertEquals(t.end() - t.begin(), st.bytes(t.name()).remaining(), t.toString());
                if (t.dtype().isFloat()) {
                    assertEquals(t.elements(), st.floats(t.name()).length, t.toString());
                } else {
                    try {
                        st.floats(t.name());
                        throw new AssertionError(t + ": floats() read a " + t.dtype() + " tensor");
                    } catch (DfdException refused) {
                        FuzzChecks.requireOneLine(refused.getMessage(), refused);
                    }
                }
            }
        }
    }
}
