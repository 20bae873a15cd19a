package dev.dfd.spark;

import dev.dfd.DetectionResult.Detection;
import dev.dfd.DetectionResult.Failure;
import dev.dfd.DetectionResult;
import dev.dfd.Detector;
import dev.dfd.ImageSource;
import dev.dfd.LabelScore;
import dev.dfd.Prediction;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * Scores one partition: rows of {@code path} and, optionally, {@code content} (the encoded image, as Spark's
 * {@code binaryFile} source gives it; without it the bytes are read from {@code path} through Hadoop). Rows are
 * taken in chunks of a few batches; within a chunk the executor's decode threads prepare images while the shared
 * ONNX session runs, exactly as {@code dfd detect} does. A bad image becomes a row with {@code error} set.
 *
 * <p>Deterministic: the same partition gives the same rows (same chunks, same batches), so re-run and speculative
 * tasks write identical output.
 */
final class ImageScorer implements MapPartitionsFunction<Row, Row> {
    /** Columns every scored row starts with, in this order; the input's other columns follow. */
    static final StructType RESULT_SCHEMA = new StructType(new StructField[]{
            DataTypes.createStructField("path", DataTypes.StringType, false),
            DataTypes.createStructField("label", DataTypes.StringType, true),
            DataTypes.createStructField("score", DataTypes.FloatType, true),
            DataTypes.createStructField("scores", DataTypes.createMapType(DataTypes.StringType, DataTypes.FloatType,
                    false), true),
            DataTypes.createStructField("predictions", DataTypes.createArrayType(new StructType(new StructField[]{
                    DataTypes.createStructField("label", DataTypes.StringType, false),
                    DataTypes.createStructField("score", DataTypes.FloatType, false)}), false), true),
            DataTypes.createStructField("logits", DataTypes.createArrayType(DataTypes.FloatType, false), true),
            DataTypes.createStructField("error", DataTypes.StringType, true),
            DataTypes.createStructField("model_id", DataTypes.StringType, false),
            DataTypes.createStructField("dfd_version", DataTypes.StringType, false),
            DataTypes.createStructField("status", DataTypes.StringType, false),
            DataTypes.createStructField("faces", DataTypes.createArrayType(new StructType(new StructField[]{
                    DataTypes.createStructField("box", DataTypes.createArrayType(DataTypes.FloatType, false), false),
                    DataTypes.createStructField("face_score", DataTypes.FloatType, false),
                    DataTypes.createStructField("label", DataTypes.StringType, false),
                    DataTypes.createStructField("score", DataTypes.FloatType, false)}), false), true)});

    /** Input columns that are consumed, not passed through. */
    static final List<String> CONSUMED = List.of("path", "content", "modificationTime", "length");

    private final ModelRef model;
    /** The driver's Hadoop settings (file systems, credentials), for manifests and remote models. */
    private final Broadcast<Map<String, String>> hadoopSettings;
    private final String modelId;
    private final String version;
    private final int pathIndex;
    private final int contentIndex;
    private final int[] passThrough;

    ImageScorer(ModelRef model, Broadcast<Map<String, String>> hadoopSettings, String modelId, String version,
                StructType input) {
        this.model = model;
        this.hadoopSettings = hadoopSettings;
        this.modelId = modelId;
        this.version = version;
        this.pathIndex = input.fieldIndex("path");
        this.contentIndex = List.of(input.fieldNames()).contains("content") ? input.fieldIndex("content") : -1;
        List<Integer> keep = new ArrayList<>();
        for (int i = 0; i < input.fields().length; i++) {
            if (!CONSUMED.contains(input.fields()[i].name())) {
                keep.add(i);
            }
        }
        this.passThrough = keep.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * The schema of the rows this function writes for that input: the result columns, then the input's other
     * columns, those whose names clash with a result column (a manifest's {@code label}) prefixed with
     * {@code input_}.
     */
    static StructType outputSchema(StructType input) {
        StructType out = RESULT_SCHEMA;
        for (StructField f : input.fields()) {
            if (!CONSUMED.contains(f.name())) {
                boolean clash = List.of(RESULT_SCHEMA.fieldNames()).contains(f.name());
                out = out.add(clash ? f.copy("input_" + f.name(), f.dataType(), f.nullable(), f.metadata()) : f);
            }
        }
        return out;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        Map<String, String> settings = hadoopSettings.value();
        Detector detector = ExecutorModels.get(model, settings);
        Configuration conf = ExecutorModels.hadoopConf(settings);
        List<String> labels = detector.model().labels();
        int chunk = detector.model().policy().batchSize() * 4;
        return new Iterator<>() {
            private Iterator<Row> ready = List.<Row>of().iterator();

            @Override
            public boolean hasNext() {
                while (!ready.hasNext() && rows.hasNext()) {
                    List<Row> inputs = new ArrayList<>(chunk);
                    while (inputs.size() < chunk && rows.hasNext()) {
                        inputs.add(rows.next());
                    }
                    ready = score(detector, labels, conf, inputs).iterator();
                }
                return ready.hasNext();
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return ready.next();
            }
        };
    }

    private List<Row> score(Detector detector, List<String> labels, Configuration conf, List<Row> inputs) {
        List<ImageSource> sources = new ArrayList<>(inputs.size());
        for (Row row : inputs) {
            String path = row.getString(pathIndex);
            byte[] content = contentIndex >= 0 && !row.isNullAt(contentIndex) ? row.getAs(contentIndex) : null;
            sources.add(content != null ? ImageSource.of(path, content) : new HadoopSource(path, conf));
        }
        List<Row> out = new ArrayList<>(inputs.size());
        int[] next = {0};
        detector.detectAll(sources.iterator(), model.decision(), null, result -> out.add(toRow(result, labels, inputs.get(next[0]++))));
        return out;
    }

    private Row toRow(DetectionResult result, List<String> labels, Row input) {
        Object[] values = new Object[RESULT_SCHEMA.size() + passThrough.length];
        values[0] = result.source();
        if (result instanceof Detection d) {
            Prediction p = d.prediction();
            values[1] = p.label();
            values[2] = p.positiveScore();
            Map<String, Float> scores = new LinkedHashMap<>();
            for (int i = 0; i < labels.size(); i++) {
                scores.put(labels.get(i), p.scores()[i]);
            }
            values[3] = scala.jdk.javaapi.CollectionConverters.asScala(scores); // the row encoder takes Scala maps
            List<Row> top = new ArrayList<>(p.predictions().size());
            for (LabelScore ls : p.predictions()) {
                top.add(RowFactory.create(ls.label(), ls.score()));
            }
            values[4] = scala.jdk.javaapi.CollectionConverters.asScala(top);
            List<Float> logits = new ArrayList<>(p.logits().length);
            for (float v : p.logits()) {
                logits.add(v);
            }
            values[5] = scala.jdk.javaapi.CollectionConverters.asScala(logits);
            values[9] = "ok";
            if (!d.faces().isEmpty()) {
                List<Row> faces = new ArrayList<>(d.faces().size());
                for (DetectionResult.FaceVerdict v : d.faces()) {
                    var b = v.face().box();
                    faces.add(RowFactory.create(scala.jdk.javaapi.CollectionConverters.asScala(
                            List.of(b.x(), b.y(), b.width(), b.height())), v.face().score(), v.prediction().label(),
                            v.prediction().positiveScore()));
                }
                values[10] = scala.jdk.javaapi.CollectionConverters.asScala(faces);
            }
        } else if (result instanceof Failure f) {
            values[6] = f.error();
            values[9] = "error";
        } else {
            values[9] = "no_face";
        }
        values[7] = modelId;
        values[8] = version;
        for (int i = 0; i < passThrough.length; i++) {
            values[RESULT_SCHEMA.size() + i] = input.get(passThrough[i]);
        }
        return RowFactory.create(values);
    }

    /** An image named by a manifest: its bytes are read through Hadoop, on a decode thread, when needed. */
    private record HadoopSource(String path, Configuration conf) implements ImageSource {
        @Override
        public String name() {
            return path;
        }

        @Override
        public byte[] read(long maxBytes) throws IOException {
            org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
            try (InputStream in = p.getFileSystem(conf).open(p)) {
                return ImageSource.readBounded(in, maxBytes);
            } catch (FileNotFoundException e) {
                throw new java.nio.file.NoSuchFileException(path);
            }
        }
    }
}
