package dev.dfd.spark;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SparkMainWithoutSparkTest {
    /** spark-submit is the way to run it; plain java without Spark's jars gets one line, not a stack trace. */
    @Test
    void saysInOneLineThatSparkIsMissing() throws Exception {
        String cp = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> !e.matches(".*(spark|scala|hadoop).*\\.jar"))
                .collect(Collectors.joining(File.pathSeparator));
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", cp,
                SparkMain.class.getName(), "score", "--model", "m", "--output", "o").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(2, p.waitFor(), out);
        assertEquals(1, out.lines().count(), out);
        assertTrue(out.startsWith("dfd-spark: Apache Spark is not on the class path"), out);
    }
}
