package dev.dfd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dfd.Fixtures;
import dev.dfd.Json;
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
}
