package dev.dfd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dfd.Fixtures;
import dev.dfd.internal.Json;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchCommandTest {
    @Test
    void reportsEveryStageAsJson() throws Exception {
        MainTest.Run r = MainTest.run("bench", "-m", Fixtures.tinyModel().toString(), "--repeats", "2",
                "--batch-sizes", "1,4", "--no-cold-start", "--json", Fixtures.dir().resolve("images").toString());
        assertEquals(0, r.code(), r.err());
        JsonNode o = Json.MAPPER.readTree(r.out());
        assertEquals(5, o.get("images").asInt());
        assertTrue(o.at("/decode_images_per_second/median").asDouble() > 0);
        assertTrue(o.at("/preprocess_images_per_second/median").asDouble() > 0);
        assertEquals(2, o.get("batch_sizes").size());
        for (JsonNode b : o.get("batch_sizes")) {
            assertTrue(b.at("/end_to_end_images_per_second/median").asDouble() > 0);
            assertTrue(b.at("/inference_images_per_second/min").asDouble()
                    <= b.at("/inference_images_per_second/max").asDouble());
        }
        assertTrue(o.get("peak_rss_mb").asDouble() > 0);
    }

    @Test
    void refusesBadBatchSizesInOneLine() {
        MainTest.Run r = MainTest.run("bench", "-m", Fixtures.tinyModel().toString(), "--batch-sizes", "1,0",
                Fixtures.dir().resolve("images").toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--batch-sizes expects comma-separated sizes"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    @Test
    void measuresFreshJvmRunsWithTheirPeakRss() throws Exception {
        MainTest.Run r = MainTest.run("bench", "-m", Fixtures.tinyModel().toString(), "--repeats", "1",
                "--batch-sizes", "2", "--json", Fixtures.dir().resolve("images").toString());
        assertEquals(0, r.code(), r.err());
        JsonNode o = Json.MAPPER.readTree(r.out());
        double first = o.get("cold_start_first_verdict_seconds").asDouble();
        assertTrue(first > 0.1 && first < 60, "first verdict " + first);
        assertEquals(first, o.at("/cold_start_first_verdict/median").asDouble(), 0.0);
        assertEquals("1.28.0", o.get("onnxruntime_version").asText());
        assertEquals(dev.dfd.Dfd.version(), o.get("dfd_version").asText());
        assertTrue(o.get("detect_all_seconds").asDouble() > 0.1);
        double rss = o.get("detect_all_peak_rss_mb").asDouble();
        assertTrue(rss > 30 && rss < 4096, "a JVM with ONNX Runtime has a peak RSS of tens to hundreds of MB: " + rss);
    }
}
