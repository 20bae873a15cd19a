package dev.dfd.spark;

import dev.dfd.DetectionResult.Detection;
import dev.dfd.DetectionResult.Failure;
import dev.dfd.DetectionResult;
import dev.dfd.Detector;
import dev.dfd.DetectorOptions;
import dev.dfd.Dfd;
import dev.dfd.Fixtures;
import dev.dfd.Golden;
import dev.dfd.LabelScore;
import dev.dfd.eval.Dataset;
import dev.dfd.eval.Evaluation;
import dev.dfd.eval.LabelMapping;
import dev.dfd.internal.Provenance;
import dev.dfd.internal.report.TextReport;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * dfd on Spark in local[2] mode: scored rows equal what the library (and so {@code dfd detect}) gives for the same
 * images, bad images are error rows in a job that succeeds, and eval prints the same report as {@code dfd eval}.
 */
class DfdSparkTest {
    private static SparkSession spark;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void startSpark() {
        spark = SparkSession.builder().master("local[2]").appName("dfd-spark-test")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2")
                .config("spark.driver.host", "127.0.0.1")
                .getOrCreate();
    }

    @AfterAll
    static void stopSpark() {
        spark.stop();
    }

    /** Images of several sizes and formats, some corrupt, made deterministically. */
    private static Path makeImages(Path dir, int count, long seed) throws IOException {
        Files.createDirectories(dir);
        Random random = new Random(seed);
        for (int i = 0; i < count; i++) {
            int w = 16 + random.nextInt(200);
            int h = 16 + random.nextInt(200);
            BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
            int base = random.nextInt(0xFFFFFF);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    img.setRGB(x, y, base ^ (x * 7 + y * 13 + random.nextInt(40)) * 0x010203);
                }
            }
            String format = i % 2 == 0 ? "png" : "jpg";
            ImageIO.write(img, format, dir.resolve(String.format("img_%03d.%s", i, format)).toFile());
        }
        return dir;
    }

    private static Map<String, Row> byName(List<Row> rows) {
        Map<String, Row> m = new HashMap<>();
        for (Row r : rows) {
            String path = r.getAs("path");
            m.put(path.substring(path.lastIndexOf('/') + 1), r);
        }
        return m;
    }

    /** The row Spark wrote equals the library's result for the same file, float for float. */
    private static void assertSameAsLibrary(DetectionResult expected, Row row, String modelId) {
        String name = expected.source();
        assertEquals(modelId, row.getAs("model_id"), name);
        assertEquals(Dfd.version(), row.getAs("dfd_version"), name);
        if (expected instanceof Failure f) {
            assertEquals(f.error(), row.getAs("error"), name);
            assertTrue(row.isNullAt(row.fieldIndex("label")), name);
            return;
        }
        Detection d = (Detection) expected;
        assertNull(row.getAs("error"), name);
        assertEquals(d.label(), row.getAs("label"), name);
        assertEquals(d.score(), (float) row.getAs("score"), 0f, name);
        List<Float> logits = row.getList(row.fieldIndex("logits"));
        float[] got = new float[logits.size()];
        for (int i = 0; i < got.length; i++) {
            got[i] = logits.get(i);
        }
        assertArrayEquals(d.prediction().logits(), got, 0f, name);
        List<Row> predictions = row.getList(row.fieldIndex("predictions"));
        assertEquals(d.prediction().predictions().size(), predictions.size(), name);
        for (int i = 0; i < predictions.size(); i++) {
            LabelScore ls = d.prediction().predictions().get(i);
            assertEquals(ls.label(), predictions.get(i).getString(0), name);
            assertEquals(ls.score(), predictions.get(i).getFloat(1), 0f, name);
        }
        scala.collection.Map<String, Float> scores = row.getMap(row.fieldIndex("scores"));
        assertEquals(d.prediction().scores().length, scores.size(), name);
        for (LabelScore ls : d.prediction().predictions()) {
            assertEquals(ls.score(), scores.apply(ls.label()), 0f, name + " " + ls.label());
        }
    }

    private static void scoreAndCompare(Path model, Path images, int expectedErrors) {
        ModelRef ref = ModelRef.of(model.toString());
        List<Row> rows = DfdSpark.score(DfdSpark.readImages(spark, images.toString(), null), ref).collectAsList();
        List<Path> files;
        try (Stream<Path> s = Files.list(images)) {
            files = s.sorted().toList();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        assertEquals(files.size(), rows.size(), "one row per image file");
        Map<String, Row> got = byName(rows);
        int errors = 0;
        try (Detector detector = Detector.load(model, DetectorOptions.DEFAULTS.withThreads(1))) {
            String id = detector.model().id();
            for (DetectionResult expected : detector.detectAll(files)) {
                String name = Path.of(expected.source()).getFileName().toString();
                Row row = got.get(name);
                assertNotNull(row, "no row for " + name);
                assertSameAsLibrary(withName(expected, name), row, id);
                errors += expected instanceof Failure ? 1 : 0;
            }
        }
        assertEquals(expectedErrors, errors);
    }

    private static DetectionResult withName(DetectionResult r, String name) {
        return r instanceof Detection d ? new Detection(name, d.prediction()) : new Failure(name, ((Failure) r).error());
    }

    @Test
    void scoredRowsEqualTheLibraryAndBadImagesAreErrorRows() throws IOException {
        Path images = makeImages(tmp.resolve("mixed"), 24, 1);
        Files.write(images.resolve("truncated.jpg"), java.util.Arrays.copyOf(Files.readAllBytes(images.resolve(
                "img_001.jpg")), 300));
        Files.write(images.resolve("garbage.png"), "not an image at all".getBytes(StandardCharsets.UTF_8));
        scoreAndCompare(Fixtures.tinyModel(), images, 2);
    }

    @Test
    void goldenImagesGiveTheRowsDfdDetectGives() throws IOException {
        Path images = Golden.dir().resolve("images");
        for (String model : List.of("vit-tiny-seed0", "vit-tiny64-seed1-imagenet-single")) {
            scoreAndCompare(Golden.model(model), images, 0);
        }
    }

    @Test
    void manifestRowsWithMissingFilesAreErrorRowsAndRelativePathsResolve() throws IOException {
        Path dir = makeImages(tmp.resolve("manifest"), 4, 2);
        Path csv = dir.resolve("manifest.csv");
        Files.write(dir.resolve("empty.png"), new byte[0]); // Spark's file sources skip empty files; a manifest doesn't
        Files.writeString(csv, "path,label,note\nimg_000.png,Real,a\n" + dir.resolve("img_001.jpg") + ",Fake,b\n"
                + "missing.png,Fake,c\nempty.png,Real,d\n");
        List<Row> rows = DfdSpark.score(DfdSpark.readManifest(spark, csv.toString()),
                ModelRef.of(Fixtures.tinyModel().toString())).collectAsList();
        Map<String, Row> got = byName(rows);
        assertEquals(4, rows.size());
        assertEquals("file not found", got.get("missing.png").getAs("error"));
        assertEquals("empty file (0 bytes)", got.get("empty.png").getAs("error"));
        assertNull(got.get("img_000.png").getAs("error"));
        assertEquals("b", got.get("img_001.jpg").getAs("note"), "other manifest columns pass through");

        // evaluation refuses an unlabelled row before scoring anything, naming it
        Path partly = dir.resolve("partly-labelled.csv");
        Files.writeString(partly, "path,label\nimg_000.png,Real\nimg_001.jpg,\n");
        dev.dfd.DfdException e = org.junit.jupiter.api.Assertions.assertThrows(dev.dfd.DfdException.class,
                () -> DfdSpark.evaluate(spark, DfdSpark.readManifest(spark, partly.toString()),
                        ModelRef.of(Fixtures.tinyModel().toString()), tmp.resolve("unlabelled").toString(),
                        partly.toString(), null, Map.of(), null));
        assertTrue(e.getMessage().contains("img_001.jpg") && e.getMessage().contains("no label"), e.getMessage());
        assertEquals("Real", got.get("img_000.png").getAs("input_label"), "a clashing column is renamed");
    }

    @Test
    void modelOnAHadoopUriIsCopiedToLocalDiskOnceAndGivesTheSameRows() throws IOException {
        Path images = makeImages(tmp.resolve("uri"), 6, 3);
        String uri = Fixtures.tinyModel().toAbsolutePath().toUri().toString(); // file:/... goes through Hadoop
        Path local = ExecutorModels.localDir(uri, Map.of());
        assertTrue(local.startsWith(Path.of(System.getProperty("java.io.tmpdir"))), local.toString());
        assertEquals(Fixtures.tinyModel().getFileName(), local.getFileName(), "the copy keeps the folder's name");
        assertTrue(Files.isRegularFile(local.resolve("config.json")) && Files.isDirectory(local.resolve("onnx")));
        List<Row> viaUri = DfdSpark.score(DfdSpark.readImages(spark, images.toString(), null), ModelRef.of(uri))
                .orderBy("path").collectAsList();
        List<Row> viaPath = DfdSpark.score(DfdSpark.readImages(spark, images.toString(), null),
                ModelRef.of(Fixtures.tinyModel().toString())).orderBy("path").collectAsList();
        assertEquals(viaPath.size(), viaUri.size());
        for (int i = 0; i < viaPath.size(); i++) {
            assertEquals(viaPath.get(i).<Object>getAs("logits"), viaUri.get(i).getAs("logits"));
            assertEquals(viaPath.get(i).<String>getAs("model_id"), viaUri.get(i).getAs("model_id"),
                    "the same model has the same id wherever it is read from");
        }
    }

    @Test
    void evalPrintsTheReportDfdEvalPrints() throws IOException {
        Path root = tmp.resolve("folder");
        makeImages(root.resolve("Real"), 10, 4);
        makeImages(root.resolve("Fake").resolve("nested"), 9, 5);
        Files.write(root.resolve("Fake").resolve("broken.png"), new byte[]{(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        Path out = tmp.resolve("eval-out");
        DfdSpark.EvalOutcome outcome = DfdSpark.evaluate(spark, DfdSpark.readImageFolder(spark, root.toString(), null),
                ModelRef.of(Fixtures.tinyModel().toString()), out.toString(), root.toString(), null, Map.of(), 0.9);

        String expected;
        try (Detector detector = Detector.load(Fixtures.tinyModel())) {
            Dataset dataset = Dataset.open(root, null);
            Evaluation.Result local = Evaluation.run(detector, dataset,
                    LabelMapping.of(dataset.labels(), detector.model().config().labels(), Map.of()),
                    new Evaluation.Options(0.9, List.of()), null);
            expected = TextReport.render(local, 4);
            assertEquals(local.failures().size(), outcome.failures().size());
        }
        assertEquals(expected, outcome.reportText());
        assertEquals(expected, Files.readString(out.resolve("report.txt")));
        assertEquals(20, outcome.images());
        assertEquals(1, outcome.failures().size());
        String json = Files.readString(out.resolve("report.json"));
        assertTrue(json.contains("\"classification_report_text\""), json);
        assertEquals(20, spark.read().parquet(out.resolve("predictions").toString()).count());
    }

    @Test
    void evalOnTheGoldenDataSetPrintsTheGoldenReport() throws IOException {
        Path expected = Golden.dir().resolve("expected");
        for (String model : List.of("vit-tiny-seed0", "vit-tiny64-seed1-imagenet-single")) {
            String reference = Files.readString(expected.resolve(model + ".dataset.txt"));
            String block = reference.substring(0, reference.indexOf("ROC AUC exact"));
            DfdSpark.EvalOutcome outcome = DfdSpark.evaluate(spark,
                    DfdSpark.readImageFolder(spark, Golden.dir().resolve("datasets/imagefolder-seed0").toString(), null),
                    ModelRef.of(Golden.model(model).toString()), tmp.resolve("golden-" + model).toString(), "golden",
                    null, Map.of(), null);
            assertTrue(outcome.reportText().startsWith(block), outcome.reportText());
        }
    }

    @Test
    void commandLineScoresToParquetAndCsvAndReportsBadModelsInOneLine() throws IOException {
        Path images = makeImages(tmp.resolve("cli"), 5, 6);
        Files.write(images.resolve("bad.jpg"), new byte[]{1, 2, 3});
        String out = tmp.resolve("cli-out.parquet").toString();
        assertEquals(0, SparkMain.run("score", "--master", "local[2]", "--model", Fixtures.tinyModel().toString(),
                "--input", images.toString(), "--output", out));
        List<Row> rows = spark.read().parquet(out).collectAsList();
        assertEquals(6, rows.size());
        assertEquals(SparkMain.SMALL_FILE_OPEN_COST, spark.conf().get(SparkMain.OPEN_COST),
                "the command line packs small image files into larger partitions");
        assertEquals(1, rows.stream().filter(r -> r.getAs("error") != null).count());

        String csv = tmp.resolve("cli-out.csv").toString();
        assertEquals(0, SparkMain.run("score", "--master", "local[2]", "--model", Fixtures.tinyModel().toString(),
                "--input", images.toString(), "--output", csv, "--format", "csv"));
        assertEquals(6, spark.read().option("header", "true").csv(csv).count());

        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = SparkMain.run("score", "--master", "local[2]", "--model", tmp.resolve("no-such-model").toString(),
                    "--input", images.toString(), "--output", out);
        } finally {
            System.setErr(err);
        }
        assertEquals(1, code);
        String message = captured.toString(StandardCharsets.UTF_8).trim();
        assertTrue(message.startsWith("dfd-spark: ") && message.contains("no-such-model") && !message.contains("\n"),
                message);

        // a Spark error (the input folder does not exist) is one line too, not a stack trace
        captured.reset();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            code = SparkMain.run("score", "--master", "local[2]", "--model", Fixtures.tinyModel().toString(),
                    "--input", tmp.resolve("no-such-folder").toString(), "--output", out);
        } finally {
            System.setErr(err);
        }
        assertEquals(1, code);
        message = captured.toString(StandardCharsets.UTF_8).trim();
        assertTrue(message.startsWith("dfd-spark: ") && message.contains("no-such-folder") && !message.contains("\n"),
                message);
    }
}
