package dev.dfd.spark;

import dev.dfd.Dfd;
import dev.dfd.DfdException;
import dev.dfd.eval.LabelMapping;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import static org.apache.spark.sql.functions.col;

/**
 * {@code spark-submit --class dev.dfd.spark.SparkMain dfd-spark.jar score|eval ...}: the command line of dfd on
 * Spark. Thin: it parses options and calls {@link DfdSpark}.
 */
@Command(name = "dfd-spark", mixinStandardHelpOptions = true, versionProvider = SparkMain.Version.class,
        subcommands = {SparkMain.Score.class, SparkMain.Eval.class},
        description = "Score and evaluate images with a dfd model on Apache Spark.")
public final class SparkMain implements Runnable {
    public static void main(String[] args) {
        if (!sparkPresent()) {
            System.err.println("dfd-spark: Apache Spark is not on the class path; run this jar with spark-submit"
                    + " (spark-submit --class dev.dfd.spark.SparkMain dfd-spark-<version>-all.jar score|eval ...)"
                    + " or add Spark's jars to the class path");
            System.exit(2);
        }
        System.exit(run(args));
    }

    /** Whether Spark's SQL classes can be loaded (the jar leaves them to the cluster). */
    static boolean sparkPresent() {
        try {
            Class.forName("org.apache.spark.sql.SparkSession", false, SparkMain.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** Runs the command line and returns its exit code (tests call this rather than main). */
    public static int run(String... args) {
        return new CommandLine(new SparkMain())
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    cmd.getErr().println("dfd-spark: " + oneLine(e));
                    if (System.getenv("DFD_DEBUG") != null) {
                        e.printStackTrace(cmd.getErr());
                    }
                    return 1;
                })
                .execute(args);
    }

    /**
     * One line for a user: our own messages as they are; Spark's (a missing input path, a task that failed on an
     * executor) as the first line of the innermost cause, which names the problem rather than the stage.
     */
    static String oneLine(Throwable e) {
        Throwable t = e;
        if (!(e instanceof DfdException)) {
            while (t.getCause() != null && t.getCause() != t) {
                t = t.getCause();
            }
        }
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        return m.lines().findFirst().orElse(m).trim();
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(new CommandLine(this), "choose a command: score or eval");
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[]{"dfd-spark " + Dfd.version()};
        }
    }

    static final String OPEN_COST = "spark.sql.files.openCostInBytes";
    /**
     * Spark counts 4 MB per file when it packs files into partitions, which for 10-100 kB images makes partitions of
     * about 30 images: per-task costs (a Parquet file per task, scheduling) then halved throughput. 64 kB packs
     * partitions up to {@code spark.sql.files.maxPartitionBytes} (128 MB) while still splitting the input over
     * every core. Applies unless the job sets it.
     */
    static final String SMALL_FILE_OPEN_COST = "65536";

    /** Options both commands share: the model, how to run it, where images come from, Spark. */
    static final class Common {
        @Option(names = "--model", required = true, paramLabel = "DIR",
                description = "Model directory: a local path or a Hadoop URI (hdfs://, s3a://, file:).")
        String model;

        @Option(names = "--variant", paramLabel = "NAME", description = "ONNX variant: quantized, fp16, ...")
        String variant;

        @Option(names = "--input", paramLabel = "DIR", description = "Folder of images (recursive).")
        String input;

        @Option(names = "--manifest", paramLabel = "CSV",
                description = "CSV with a path column (and label for eval); paths relative to its folder.")
        String manifest;

        @Option(names = "--glob", paramLabel = "GLOB",
                description = "File-name filter for --input. Default: the image extensions dfd reads.")
        String glob;

        @Option(names = "--output", required = true, paramLabel = "URI", description = "Where to write.")
        String output;

        @Option(names = "--batch-size", defaultValue = "0", paramLabel = "N",
                description = "Images per inference call; 0 = auto: 8, or 1 for models over 64 MiB (as dfd detect).")
        int batchSize;

        @Option(names = {"--threads", "--threads-per-session"}, defaultValue = "1", paramLabel = "N",
                description = "ONNX Runtime threads of the executor's session; an executor runs one task per core,"
                        + " each calling the shared session. Default: ${DEFAULT-VALUE}.")
        int intraOpThreads;

        @Option(names = "--decode-threads", defaultValue = "0", paramLabel = "N",
                description = "Decoding threads per executor; 0 = one per core. Default: ${DEFAULT-VALUE}.")
        int decodeThreads;

        @Option(names = "--partitions", paramLabel = "N",
                description = "Repartition the images first (a shuffle of their bytes); default: as read.")
        Integer partitions;

        @Option(names = "--top-k", defaultValue = "5", paramLabel = "K", description = "Default: ${DEFAULT-VALUE}.")
        int topK;

        @Option(names = "--function", paramLabel = "FN", description = "softmax, sigmoid or none.")
        String function;

        @Option(names = {"--positive", "--positive-label"}, paramLabel = "LABEL",
                description = "The label the score and threshold are about. Default: the label that reads"
                        + " Fake/Deepfake/AI/Synthetic, else label 1.")
        String positiveLabel;

        @Option(names = "--threshold", paramLabel = "T", description = "Decide positive when its score >= T.")
        Double threshold;

        @Option(names = "--master", paramLabel = "URL",
                description = "Spark master when not set by spark-submit (e.g. local[*]).")
        String master;

        ModelRef modelRef() {
            return ModelRef.of(model).withVariant(variant).withThreads(intraOpThreads, decodeThreads)
                    .withBatchSize(batchSize).withDecision(topK, function, positiveLabel, threshold);
        }

        SparkSession session(String app) {
            SparkSession.Builder b = SparkSession.builder().appName(app);
            if (master != null) {
                b = b.master(master);
            }
            try {
                SparkSession spark = b.getOrCreate();
                if (!spark.sparkContext().getConf().contains(OPEN_COST)) {
                    spark.conf().set(OPEN_COST, SMALL_FILE_OPEN_COST);
                }
                return spark;
            } catch (Exception e) { // Spark throws SparkException undeclared
                throw new DfdException("cannot start Spark (" + oneLine(e)
                        + "); run with spark-submit or give --master local[*]");
            }
        }

        String source() {
            if ((input == null) == (manifest == null)) {
                throw new DfdException("give exactly one of --input DIR or --manifest CSV");
            }
            return input != null ? input : manifest;
        }

        Dataset<Row> repartitioned(Dataset<Row> images) {
            return partitions == null ? images : images.repartition(partitions);
        }
    }

    @Command(name = "score", mixinStandardHelpOptions = true,
            description = "Score every image; write path, label, score, scores, predictions, logits, error, model_id"
                    + " and dfd_version per image.")
    static final class Score implements Callable<Integer> {
        @Mixin
        Common common;

        @Option(names = "--format", defaultValue = "parquet", paramLabel = "FMT",
                description = "parquet or csv (nested columns as JSON). Default: ${DEFAULT-VALUE}.")
        String format;

        @Override
        public Integer call() {
            String source = common.source();
            SparkSession spark = common.session("dfd score");
            long start = System.nanoTime();
            Dataset<Row> images = common.input != null ? DfdSpark.readImages(spark, common.input, common.glob)
                    : DfdSpark.readManifest(spark, common.manifest);
            DfdSpark.write(DfdSpark.score(common.repartitioned(images), common.modelRef()), common.output, format);
            double seconds = (System.nanoTime() - start) / 1e9;
            Dataset<Row> written = format.toLowerCase(Locale.ROOT).equals("csv")
                    ? spark.read().option("header", "true").csv(common.output) : spark.read().parquet(common.output);
            long rows = written.count();
            long errors = written.filter(col("error").isNotNull()).count();
            System.out.printf(Locale.ROOT, "scored %d images from %s (%d errors) in %.1f s, %.1f images/s -> %s%n",
                    rows, source, errors, seconds, rows / seconds, common.output);
            return 0;
        }
    }

    @Command(name = "eval", mixinStandardHelpOptions = true,
            description = "Evaluate on labelled images (folders named by label, or a manifest with a label column):"
                    + " predictions, report.txt and report.json under --output.")
    static final class Eval implements Callable<Integer> {
        @Mixin
        Common common;

        @Option(names = "--split", paramLabel = "NAME", description = "train, val or test: a sub-folder of --input,"
                + " or the manifest's split column.")
        String split;

        @Option(names = "--label-map", paramLabel = "SPEC", description = "Data label to model label, e.g."
                + " real=Real,fake=Fake.")
        String labelMap;

        @Option(names = "--target-precision", paramLabel = "P",
                description = "Also find the lowest threshold reaching this precision.")
        Double targetPrecision;

        @Override
        public Integer call() {
            String source = common.source();
            SparkSession spark = common.session("dfd eval");
            Dataset<Row> labelled;
            if (common.input != null) {
                String root = split == null ? common.input : common.input.replaceAll("/+$", "") + "/" + split;
                labelled = DfdSpark.readImageFolder(spark, root, common.glob);
            } else {
                labelled = DfdSpark.readManifest(spark, common.manifest);
                if (split != null) {
                    if (!java.util.List.of(labelled.columns()).contains("split")) {
                        throw new DfdException(common.manifest + ": --split " + split
                                + " given but the manifest has no split column");
                    }
                    labelled = labelled.filter(col("split").equalTo(split));
                }
            }
            Map<String, String> map = labelMap == null ? Map.of() : LabelMapping.parse(labelMap);
            DfdSpark.EvalOutcome outcome = DfdSpark.evaluate(spark, common.repartitioned(labelled), common.modelRef(),
                    common.output, source, split, map, targetPrecision);
            System.out.print(outcome.reportText());
            System.out.printf(Locale.ROOT, "%nevaluated %d images (%d failed) in %.1f s, %.1f images/s -> %s%n",
                    outcome.images(), outcome.failures().size(), outcome.seconds(),
                    outcome.images() / outcome.seconds(), common.output);
            return 0;
        }
    }
}
