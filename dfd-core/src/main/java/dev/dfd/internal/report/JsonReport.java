package dev.dfd.internal.report;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.DetectionResult.Failure;
import dev.dfd.eval.BinaryMetrics;
import dev.dfd.eval.ClassificationReport;
import dev.dfd.eval.EvalMetrics;
import dev.dfd.eval.Evaluation;
import dev.dfd.internal.Json;

import java.util.List;
import java.util.Map;

/** The evaluation as one JSON document: provenance, counts, every metric, thresholds, robustness, failures. */
public final class JsonReport {
    /** Curves are thinned to at most this many points (the full curves can have one point per image). */
    static final int MAX_CURVE_POINTS = 1000;

    private JsonReport() {
    }

    public static ObjectNode render(Evaluation.Result result, Map<String, Object> provenance) {
        ObjectNode root = render(result.metrics(), new Source(result.dataset().source().toAbsolutePath().normalize()
                        .toString(), result.dataset().split(), result.dataset().images().size()), result.failures(),
                result.robustness(), result.seconds(), provenance);
        com.fasterxml.jackson.databind.node.ArrayNode noFace = root.putArray("no_face");
        result.noFace().forEach(noFace::add);
        return root;
    }

    /** What was evaluated: a folder, manifest or URI, the split chosen (or null) and how many images it holds. */
    public record Source(String location, String split, long images) {
    }

    /** The same document from metrics alone (distributed evaluation has no local {@link Evaluation.Result}). */
    public static ObjectNode render(EvalMetrics m, Source source, List<Failure> failureList,
                                    List<Evaluation.RobustnessRow> robustnessRows, double seconds,
                                    Map<String, Object> provenance) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.set("provenance", Json.MAPPER.valueToTree(provenance));
        ObjectNode data = root.putObject("dataset");
        data.put("source", source.location());
        data.put("split", source.split());
        data.put("images", source.images());
        long evaluated = m.report().total();
        data.put("evaluated", evaluated);
        data.put("failed", failureList.size());
        ObjectNode support = data.putObject("support");
        for (int i = 0; i < m.labels().size(); i++) {
            support.put(m.labels().get(i), m.report().support()[i]);
        }
        root.put("images_per_second", (evaluated + failureList.size()) / Math.max(seconds, 1e-9));
        root.put("seconds", seconds);
        root.put("positive_label", m.positiveLabel());
        root.put("classification_report_text", m.report().format(4));
        root.set("classification_report", reportDict(m.report()));
        ArrayNode cm = root.putArray("confusion_matrix");
        for (long[] row : m.confusion()) {
            ArrayNode r = cm.addArray();
            for (long v : row) {
                r.add(v);
            }
        }
        ObjectNode metrics = root.putObject("metrics");
        number(metrics, "accuracy", m.accuracy());
        number(metrics, "roc_auc", m.rocAuc());
        number(metrics, "average_precision", m.averagePrecision());
        number(metrics, "equal_error_rate", m.equalErrorRate());
        number(metrics, "tpr_at_fpr_0.01", m.tprAtFpr1());
        number(metrics, "tpr_at_fpr_0.05", m.tprAtFpr5());
        number(metrics, "log_loss", m.logLoss());
        number(metrics, "brier", m.brier());
        number(metrics, "expected_calibration_error", m.ece());
        ObjectNode thresholds = root.putObject("thresholds");
        if (m.bestF1() != null) {
            thresholds.set("best_f1", point(m.bestF1()));
        }
        if (m.targetPrecision() != null) {
            ObjectNode t = thresholds.putObject("target_precision");
            t.put("target", m.targetPrecision());
            t.set("point", m.targetPoint() == null ? null : point(m.targetPoint()));
        }
        ObjectNode curves = root.putObject("curves");
        BinaryMetrics.Roc roc = m.roc();
        curves.set("roc", thinned(new String[]{"fpr", "tpr", "threshold"}, roc.fpr(), roc.tpr(), roc.thresholds()));
        BinaryMetrics.PrCurve pr = m.pr();
        curves.set("pr", thinned(new String[]{"precision", "recall", "threshold"}, pr.precision(), pr.recall(),
                pr.thresholds()));
        ObjectNode cal = curves.putObject("calibration");
        cal.set("mean_predicted", Json.MAPPER.valueToTree(m.calibration().meanPredicted()));
        cal.set("fraction_positive", Json.MAPPER.valueToTree(m.calibration().fractionPositive()));
        cal.set("count", Json.MAPPER.valueToTree(m.calibration().count()));
        ObjectNode hist = curves.putObject("score_histograms");
        for (int i = 0; i < m.labels().size(); i++) {
            hist.set(m.labels().get(i), Json.MAPPER.valueToTree(m.histograms()[i]));
        }
        ArrayNode rob = root.putArray("robustness");
        for (Evaluation.RobustnessRow r : robustnessRows) {
            ObjectNode o = rob.addObject();
            o.put("perturbation", r.perturbation());
            o.put("evaluated", r.evaluated());
            o.put("failed", r.failed());
            number(o, "accuracy", r.accuracy());
            number(o, "roc_auc", r.rocAuc());
            number(o, "positive_recall", r.positiveRecall());
        }
        ArrayNode failures = root.putArray("failures");
        for (Failure f : failureList) {
            failures.addObject().put("path", f.source()).put("error", f.error());
        }
        return root;
    }

    /** scikit-learn's {@code output_dict=True} form. */
    static ObjectNode reportDict(ClassificationReport r) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        for (int i = 0; i < r.names().size(); i++) {
            o.set(r.names().get(i), row(r.precision()[i], r.recall()[i], r.f1()[i], r.support()[i]));
        }
        o.put("accuracy", r.accuracy());
        o.set("macro avg", row(r.macro()[0], r.macro()[1], r.macro()[2], r.total()));
        o.set("weighted avg", row(r.weighted()[0], r.weighted()[1], r.weighted()[2], r.total()));
        return o;
    }

    private static ObjectNode row(double p, double r, double f, long support) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("precision", p);
        o.put("recall", r);
        o.put("f1-score", f);
        o.put("support", support);
        return o;
    }

    private static ObjectNode point(BinaryMetrics.OperatingPoint p) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("threshold", p.threshold());
        o.put("precision", p.precision());
        o.put("recall", p.recall());
        o.put("f1", p.f1());
        o.put("fpr", p.fpr());
        return o;
    }

    /** NaN is not JSON: undefined metrics are null. */
    private static void number(ObjectNode o, String field, double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            o.putNull(field);
        } else {
            o.put(field, v);
        }
    }

    private static ObjectNode thinned(String[] names, double[]... columns) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        int n = columns[0].length;
        int step = Math.max(1, (int) Math.ceil(n / (double) MAX_CURVE_POINTS));
        for (int c = 0; c < names.length; c++) {
            ArrayNode a = o.putArray(names[c]);
            for (int i = 0; i < n; i += step) {
                add(a, columns[c][i]);
            }
            if ((n - 1) % step != 0 && n > 0) {
                add(a, columns[c][n - 1]); // keep the end point
            }
        }
        return o;
    }

    private static void add(ArrayNode a, double v) {
        if (Double.isInfinite(v) || Double.isNaN(v)) {
            a.addNull();
        } else {
            a.add(v);
        }
    }
}
