package dev.dfd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dfd.internal.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line as a user meets it: exit codes, formats, errors on stderr in one line. */
class MainTest {
    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {
    }

    static Path fixtures() {
        return dev.dfd.Fixtures.dir();
    }

    static Path model() {
        return fixtures().resolve("tiny-cnn");
    }

    static Run run(byte[] stdin, String... args) {
        CommandLine cl = Main.commandLine(args);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        if (stdin != null) {
            ((DetectCommand) cl.getSubcommands().get("detect").getCommand()).stdin = new ByteArrayInputStream(stdin);
        }
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    static Run run(String... args) {
        return run(null, args);
    }

    @Test
    void jsonLinesCarryTheDocumentedFields() throws IOException {
        Path img = fixtures().resolve("images/grad_37x23.png");
        Run r = run("detect", "--model", model().toString(), "--format", "json", "--top-k", "1", img.toString());
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(1, lines.size());
        JsonNode o = Json.MAPPER.readTree(lines.get(0));
        assertEquals(img.toString(), o.get("path").asText());
        assertEquals(List.of("path", "status", "label", "score", "predictions", "logits"), fieldNames(o));
        assertEquals(1, o.get("predictions").size());
        assertEquals(2, o.get("logits").size());
        JsonNode expected = Json.MAPPER.readTree(fixtures().resolve("tiny-cnn/expected.json").toFile())
                .get("results").get(0);
        assertEquals(expected.at("/softmax/1").asDouble(), o.get("score").asDouble(), 1e-5);
    }

    private static List<String> fieldNames(JsonNode o) {
        List<String> names = new java.util.ArrayList<>();
        o.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void directoriesAreWalkedAndFailuresGiveExitOne() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("photos/sub"));
        Files.copy(fixtures().resolve("images/tiny_5x3.png"), dir.resolve("b.png"));
        Files.copy(fixtures().resolve("images/grad_37x23.png"), tmp.resolve("photos/a.png"));
        Files.writeString(tmp.resolve("photos/readme.txt"), "skipped: not an image name");
        Files.writeString(tmp.resolve("photos/broken.jpg"), "truncated");
        Run r = run("detect", "-m", model().toString(), "--format", "csv", tmp.resolve("photos").toString());
        assertEquals(1, r.code());
        List<String> lines = r.out().lines().toList();
        assertEquals("path,label,score,score_Real,score_Fake,error,status,faces", lines.get(0));
        assertEquals(4, lines.size(), r.out());
        assertTrue(lines.get(1).startsWith(tmp.resolve("photos/a.png") + ",Fake,"), lines.get(1));
        assertTrue(lines.get(2).startsWith(tmp.resolve("photos/broken.jpg") + ",,,,,"), lines.get(2));
        assertTrue(lines.get(3).startsWith(tmp.resolve("photos/sub/b.png").toString()), lines.get(3));
        assertEquals("dfd: 1 of 3 images failed", r.err().trim());
    }

    @Test
    void standardInputAndTableFormat() throws IOException {
        byte[] png = Files.readAllBytes(fixtures().resolve("images/noise_64x48.png"));
        Run r = run(png, "detect", "-m", model().toString(), "-", "--threshold", "0.99");
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(0).startsWith("LABEL"), lines.get(0));
        assertTrue(lines.get(1).startsWith("Real "), lines.get(1)); // Fake 0.53 < 0.99
        assertTrue(lines.get(1).endsWith(" -"), lines.get(1));
    }

    @Test
    void usageAndModelErrorsExitTwoWithOneLine() {
        Run noArgs = run("detect", "-m", model().toString());
        assertEquals(2, noArgs.code());
        Run badModel = run("detect", "-m", tmp.resolve("nowhere").toString(), "x.png");
        assertEquals(2, badModel.code());
        assertEquals("dfd: " + tmp.resolve("nowhere") + ": model directory not found", badModel.err().trim());
        Run badLabel = run("detect", "-m", model().toString(), "--positive", "Forged", "x.png");
        assertEquals(2, badLabel.code());
        assertTrue(badLabel.err().contains("unknown label 'Forged'"), badLabel.err());
        Run badFunction = run("detect", "-m", model().toString(), "--function", "tanh", "x.png");
        assertEquals(2, badFunction.code());
        assertFalse(badFunction.err().contains("\tat "), "no stack trace");
    }

    @Test
    void onlyTheNamedCommandIsBuiltAndHelpStillListsAll() {
        assertEquals(List.of("detect"), List.copyOf(Main.commandLine(new String[]{"detect", "x.png"})
                .getSubcommands().keySet()));
        Run help = run("--help");
        assertEquals(0, help.code());
        for (String command : List.of("detect", "eval", "convert", "import-tfjs", "init", "optimize", "train", "serve", "loadtest",
                "bench", "preprocess", "help")) {
            assertTrue(help.out().contains("  " + command + " "), command + " in\n" + help.out());
        }
        Run helpDetect = run("help", "detect");
        assertEquals(0, helpDetect.code());
        assertTrue(helpDetect.out().contains("--prepack"), helpDetect.out());
        Run detectHelp = run("detect", "--help");
        assertEquals(helpDetect.out(), detectHelp.out());
        Run typo = run("detec", "x.png");
        assertEquals(2, typo.code());
        assertTrue(typo.err().contains("detect"), "suggests the command: " + typo.err());
        Run version = run("--version");
        assertEquals(0, version.code());
        assertTrue(version.out().startsWith("dfd "), version.out());
    }

    @Test
    void workersAndBatchSizesDoNotChangeTheOutput() {
        String images = fixtures().resolve("images").toString();
        Run reference = run("detect", "-m", model().toString(), "--format", "csv", "--threads", "1", images);
        assertEquals(0, reference.code(), reference.err());
        for (String[] args : new String[][]{{"--workers", "2", "--threads", "2"}, {"--workers", "3", "--batch-size", "1"},
                {"--workers", "2", "--batch-size", "2", "--threads", "4"}}) {
            List<String> cmd = new java.util.ArrayList<>(List.of("detect", "-m", model().toString(), "--format", "csv"));
            cmd.addAll(List.of(args));
            cmd.add(images);
            Run r = run(cmd.toArray(new String[0]));
            assertEquals(0, r.code(), r.err());
            assertEquals(reference.out(), r.out(), String.join(" ", args));
        }
        Run badWorkers = run("detect", "-m", model().toString(), "--workers", "-1", images);
        assertEquals(2, badWorkers.code());
        assertTrue(badWorkers.err().contains("--workers must be"), badWorkers.err());
        Run badBatch = run("detect", "-m", model().toString(), "--batch-size", "-2", images);
        assertEquals(2, badBatch.code());
        assertTrue(badBatch.err().contains("--batch-size must be"), badBatch.err());
    }

    @Test
    void noDefaultModelIsExplained() {
        String home = System.getProperty("dfd.home");
        System.setProperty("dfd.home", tmp.toString());
        try {
            Run r = run("detect", "photo.jpg");
            assertEquals(2, r.code());
            assertTrue(r.err().startsWith("dfd: no default model is installed"), r.err());
            assertTrue(r.err().contains("--model DIR"), r.err());
        } finally {
            if (home == null) {
                System.clearProperty("dfd.home");
            } else {
                System.setProperty("dfd.home", home);
            }
        }
    }

    @Test
    void preprocessWritesTheSameTensorAsTransformers() throws IOException {
        Path npy = tmp.resolve("pv.npy");
        Run r = run("preprocess", "-m", model().toString(), fixtures().resolve("images/grad_37x23.png").toString(),
                "--out", npy.toString());
        assertEquals(0, r.code(), r.err());
        byte[] file = Files.readAllBytes(npy);
        int headerLength = (file[8] & 0xFF) | ((file[9] & 0xFF) << 8);
        String header = new String(file, 10, headerLength, StandardCharsets.US_ASCII);
        assertTrue(header.contains("'descr': '<f4'") && header.contains("'shape': (1, 3, 16, 16)"), header);
        assertEquals(0, (10 + headerLength) % 64, "numpy aligns data to 64 bytes");
        byte[] data = java.util.Arrays.copyOfRange(file, 10 + headerLength, file.length);
        assertEquals(3 * 16 * 16 * 4, data.length);
        JsonNode expected = Json.MAPPER.readTree(fixtures().resolve("tiny-cnn/expected.json").toFile())
                .get("results").get(0);
        assertEquals(expected.get("pixel_values_sha256").asText(), dev.dfd.Golden.sha256(data));
    }
}
