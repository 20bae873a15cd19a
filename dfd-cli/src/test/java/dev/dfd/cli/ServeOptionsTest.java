package dev.dfd.cli;

import dev.dfd.DfdException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sizes and durations serve's and loadtest's options take. */
class ServeOptionsTest {
    @Test
    void memorySizes() {
        assertEquals(0, ServeCommand.parseSize("auto"));
        assertEquals(512L << 20, ServeCommand.parseSize("512m"));
        assertEquals(2L << 30, ServeCommand.parseSize("2G"));
        assertEquals(1000, ServeCommand.parseSize("1000"));
        assertEquals(64L << 10, ServeCommand.parseSize("64k"));
        for (String bad : new String[]{"", "m", "-1g", "0", "1.5g", "lots", "99999999999g"}) {
            assertTrue(assertThrows(DfdException.class, () -> ServeCommand.parseSize(bad)).getMessage()
                    .startsWith("--max-memory takes auto or a size"), bad);
        }
    }

    @Test
    void soakDurations() {
        assertEquals(120, LoadTestCommand.seconds("120"));
        assertEquals(120, LoadTestCommand.seconds("120s"));
        assertEquals(600, LoadTestCommand.seconds("10m"));
        assertEquals(5400, LoadTestCommand.seconds("1.5h"));
        for (String bad : new String[]{"", "0s", "-3m", "ten"}) {
            assertThrows(DfdException.class, () -> LoadTestCommand.seconds(bad), bad);
        }
    }
}
