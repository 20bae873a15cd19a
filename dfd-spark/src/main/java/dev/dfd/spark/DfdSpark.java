package dev.dfd.spark;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.DetectionResult.Failure;
import dev.dfd.Detector;
import dev.dfd.Dfd;
import dev.dfd.DfdException;
import dev.dfd.eval.EvalMetrics;
import dev.dfd.eval.LabelMapping;
import dev.dfd.internal.Json;
import dev.dfd.internal.Provenance;
import dev.dfd.internal.io.ImageFormat;
import dev.dfd.internal.report.JsonReport;
import dev.dfd.internal.report.TextReport;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.regexp_extract;
import static org.apache.spark.sql.functions.to_json;
import static org.apache.spark.sql.functions.when;

/**
 * dfd on Apache Spark: the same decoding, preprocessing, model and post-processing as {@code dfd detect} and
 * {@code dfd eval}, run inside Spark tasks, with one ONNX Runtime session per executor JVM.
 *
 * <pre>{@code
 * Dataset<Row> images = DfdSpark.readImages(spark, "s3a://bucket/images/", null);   // path, content, ...
 * Dataset<Row> verdicts = DfdSpark.score(images, ModelRef.of("hdfs:///models/detector"));
 * verdicts.write().parquet("s3a://bucket/verdicts.parquet");
 * }</pre>
 */
public final class DfdSpark {
    private DfdSpark() {
    }

    /** A {@code pathGlobFilter} matching the image extensions dfd reads, in lower and upper case. */
    public static String imageGlob() {
        List<String> ext = new ArrayList<>();
        ImageFormat.EXTENSIONS.stream().sorted().forEach(e -> {
            ext.add(e);
            ext.add(e.toUpperCase(Locale.ROOT));
        });
        return "*.{" + String.join(",", ext) + "}";
    }

    /**
     * Every image file under {@code input} (any Hadoop file system; recursive), as Spark's {@code binaryFile}
     * source reads it: {@code path}, {@code modificationTime}, {@code length}, {@code content}.
     *
     * @param glob a file-name glob, or null for {@link #imageGlob()}
     */
    public static Dataset<Row> readImages(SparkSession spark, String input, String glob) {
        return spark.read().format("binaryFile")
                .option("recursiveFileLookup", "true")
                .option("pathGlobFilter", glob == null ? imageGlob() : glob)
                .load(input);
    }

    /**
     * A CSV manifest with a header naming at least {@code path} (and for evaluation {@code label}; optional
     * {@code group}, {@code split}, and any other columns, which are passed through). Relative paths are taken
     * relative to the manifest's folder. The images are read by the scoring tasks, so a missing file is an error
     * row, not a failed job.
     */
    public static Dataset<Row> readManifest(SparkSession spark, String manifest) {
        Dataset<Row> rows = spark.read().option("header", "true").option("mode", "FAILFAST").csv(manifest);
        if (!List.of(rows.columns()).contains("path")) {
            throw new DfdException(manifest + ": the manifest's header must name a path column, found "
                    + List.of(rows.columns()));
        }
        org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(manifest);
        String base = qualify(spark, file.getParent().toString());
        Column absolute = col("path").rlike("^(" + ExecutorModels.SCHEME + "|/)");
        return rows.filter(col("path").isNotNull())
                .withColumn("path", when(absolute, col("path")).otherwise(concat(lit(base + "/"), col("path"))));
    }

    /**
     * Scores images. Input: a {@code path} column and, optionally, {@code content} (encoded bytes; without it the
     * tasks read {@code path} through Hadoop); other columns are passed through. Output: {@code path, label, score,
     * scores (label -> score), predictions (top-k label/score), logits, error, model_id, dfd_version}, then the
     * passed-through columns. A row with {@code error} set is an image that could not be decoded or run.
     */
    public static Dataset<Row> score(Dataset<Row> images, ModelRef model) {
        if (!List.of(images.columns()).contains("path")) {
            throw new DfdException("the images to score need a path column, found " + List.of(images.columns()));
        }
        SparkSession spark = images.sparkSession();
        ModelRef resolved = resolve(spark, model);
        Map<String, String> settings = ExecutorModels.settingsOf(spark.sparkContext().hadoopConfiguration());
        Detector detector = ExecutorModels.get(resolved, settings); // on the driver: fails fast, gives the id
        ImageScorer scorer = new ImageScorer(resolved,
                JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(settings),
                detector.model().id(), Dfd.version(), images.schema());
        return images.mapPartitions(scorer, Encoders.row(ImageScorer.outputSchema(images.schema())));
    }

    /** Writes scored rows as Parquet, or as CSV with the nested columns as JSON text. */
    public static void write(Dataset<Row> scored, String output, String format) {
        switch (format.toLowerCase(Locale.ROOT)) {
            case "parquet" -> scored.write().mode(SaveMode.Overwrite).parquet(output);
            case "csv" -> scored.withColumn("scores", to_json(col("scores")))
                    .withColumn("predictions", to_json(col("predictions")))
                    .withColumn("logits", to_json(col("logits")))
                    .withColumn("faces", to_json(col("faces")))
                    .write().mode(SaveMode.Overwrite).option("header", "true").csv(output);
            default -> throw new DfdException("unknown output format '" + format + "' (parquet or csv)");
        }
    }

    /**
     * An ImageFolder (one folder per label under {@code root}, images anywhere below it) as labelled images:
     * the {@code binaryFile} columns plus {@code label}, the name of the first folder under the root.
     */
    public static Dataset<Row> readImageFolder(SparkSession spark, String root, String glob) {
        String qualified = qualify(spark, root);
        Dataset<Row> images = readImages(spark, qualified, glob);
        Column label = regexp_extract(col("path"), "^" + Pattern.quote(qualified) + "/([^/]+)/", 1);
        return images.withColumn("label", label).filter(col("label").notEqual(""));
    }

    /** The outcome of {@link #evaluate}: the metrics, failures and the report as text and JSON. */
    public record EvalOutcome(EvalMetrics metrics, long images, List<Failure> failures, double seconds,
                              String reportText, ObjectNode reportJson) {
    }

    /**
     * Evaluates the model on labelled images ({@code path}, {@code label}, optional {@code content}): scores them
     * on the cluster and writes the rows (with {@code true_label}) to {@code output/predictions} as Parquet, then
     * computes the same metrics and report as {@code dfd eval} from the written rows, and writes {@code
     * output/report.txt} and {@code output/report.json}. The driver keeps about 40 bytes per image (label ids and
     * scores), never pixels.
     *
     * @param source          how the report names the data (a folder, manifest or URI)
     * @param split           the split evaluated, or null
     * @param labelMap        data label -> model label, for names that differ (empty: match by name)
     * @param targetPrecision find the lowest threshold reaching it (null: don't)
     */
    public static EvalOutcome evaluate(SparkSession spark, Dataset<Row> labelled, ModelRef model, String output,
                                       String source, String split, Map<String, String> labelMap,
                                       Double targetPrecision) {
        if (!List.of(labelled.columns()).contains("label")) {
            throw new DfdException(source + ": labelled input needs a label column, found "
                    + List.of(labelled.columns()));
        }
        long start = System.nanoTime();
        Detector detector = ExecutorModels.get(resolve(spark, model),
                ExecutorModels.settingsOf(spark.sparkContext().hadoopConfiguration()));
        List<String> modelLabels = detector.model().labels();
        if (modelLabels.size() < 2) {
            throw new DfdException(detector.model().files().config() + ": evaluation needs a model with at least 2 labels");
        }
        Dataset<Row> input = labelled.withColumnRenamed("label", "true_label");
        List<Row> unlabelled = input.filter(col("true_label").isNull().or(col("true_label").equalTo("")))
                .select("path").limit(1).collectAsList();
        if (!unlabelled.isEmpty()) {
            throw new DfdException(source + ": an image has no label (" + unlabelled.get(0).getString(0)
                    + "); every row needs one");
        }
        List<String> dataLabels = input.select("true_label").distinct().filter(col("true_label").isNotNull())
                .as(Encoders.STRING()).collectAsList().stream().sorted().toList();
        if (dataLabels.isEmpty()) {
            throw new DfdException(source + ": no labelled images found");
        }
        LabelMapping mapping = LabelMapping.of(dataLabels, modelLabels, labelMap);

        String predictions = output + "/predictions";
        score(input, model).write().mode(SaveMode.Overwrite).parquet(predictions);

        // The metrics need every image's ids and positive score; they come back in path order, as dfd eval has them.
        Dataset<Row> back = spark.read().parquet(predictions)
                .select(col("path"), col("true_label"), col("label"), col("scores"), col("error"))
                .orderBy(col("path"));
        IntStream.Builder yTrue = IntStream.builder();
        IntStream.Builder yPred = IntStream.builder();
        List<float[]> scores = new ArrayList<>();
        List<Failure> failures = new ArrayList<>();
        long images = 0;
        for (Iterator<Row> it = back.toLocalIterator(); it.hasNext(); ) {
            Row r = it.next();
            images++;
            if (!r.isNullAt(4)) {
                failures.add(new Failure(r.getString(0), r.getString(4)));
                continue;
            }
            yTrue.add(mapping.id(r.getString(1)));
            yPred.add(modelLabels.indexOf(r.getString(2)));
            scala.collection.Map<String, Float> m = r.getMap(3);
            float[] s = new float[modelLabels.size()];
            for (int i = 0; i < s.length; i++) {
                s[i] = m.apply(modelLabels.get(i));
            }
            scores.add(s);
        }
        if (scores.isEmpty()) {
            throw new DfdException(source + ": no image could be evaluated (" + failures.size() + " failed, first: "
                    + (failures.isEmpty() ? "none" : failures.get(0).source() + ": " + failures.get(0).error()) + ")");
        }
        EvalMetrics metrics = EvalMetrics.compute(modelLabels,
                modelLabels.indexOf(detector.postprocess(new float[modelLabels.size()], model.decision()).positiveLabel()),
                yTrue.build().toArray(), yPred.build().toArray(), scores.toArray(new float[0][]), targetPrecision);
        double seconds = (System.nanoTime() - start) / 1e9;

        String text = TextReport.render(metrics, List.of(), 4);
        Map<String, Object> provenance = new LinkedHashMap<>(Provenance.of(detector));
        provenance.put("model_uri", model.uri());
        provenance.put("model_id", detector.model().id());
        provenance.put("spark_version", spark.version());
        provenance.put("spark_master", spark.sparkContext().master());
        provenance.put("predictions", predictions);
        ObjectNode json = JsonReport.render(metrics, new JsonReport.Source(source, split, images), failures,
                List.of(), seconds, provenance);
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        writeText(conf, output + "/report.txt", text);
        try {
            writeText(conf, output + "/report.json",
                    Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(json) + "\n");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        return new EvalOutcome(metrics, images, failures, seconds, text, json);
    }

    /**
     * Decode threads default to the executor's task slots (its cores), so one executor neither idles nor
     * oversubscribes its cores: N for local[N], {@code spark.executor.cores} when set, else the executor's cores.
     */
    static ModelRef resolve(SparkSession spark, ModelRef model) {
        if (model.decodeThreads() > 0) {
            return model;
        }
        String master = spark.sparkContext().master();
        int slots = master.startsWith("local") ? spark.sparkContext().defaultParallelism()
                : spark.sparkContext().getConf().getInt("spark.executor.cores", 0);
        return slots > 0 ? model.withThreads(model.intraOpThreads(), slots) : model;
    }

    /** A path made absolute and given its file system's scheme, as Spark's file sources name files. */
    static String qualify(SparkSession spark, String path) {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
        try {
            FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
            String q = fs.makeQualified(p).toString();
            return q.endsWith("/") ? q.substring(0, q.length() - 1) : q;
        } catch (IOException e) {
            throw new DfdException(path + ": " + e.getMessage());
        }
    }

    private static void writeText(Configuration conf, String file, String text) {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(file);
        try (FSDataOutputStream out = p.getFileSystem(conf).create(p, true)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new DfdException(file + ": cannot write (" + e.getMessage() + ")");
        }
    }
}
