package dev.dfd.internal.report;

import dev.dfd.DetectionResult.Failure;
import dev.dfd.Face;
import dev.dfd.RgbImage;
import dev.dfd.eval.EvalMetrics;
import dev.dfd.eval.Evaluation;
import dev.dfd.internal.Provenance;
import dev.dfd.internal.io.ImageDecoder;
import dev.dfd.internal.preprocess.Resample;
import dev.dfd.internal.preprocess.Resampler;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * The evaluation as one self-contained HTML file: inline CSS and SVG, thumbnails as data URIs, no script and no
 * network. Sections: summary, classification report, confusion matrix, ROC and PR curves, score histograms,
 * calibration, robustness, the most confident mistakes, unreadable images, provenance.
 */
public final class HtmlReport {
    static final int GALLERY_SIZE = 12;
    static final int THUMBNAIL = 112;
    private static final List<String> COLORS = List.of("#2a6fdb", "#d9480f", "#2b8a3e", "#7048e8", "#c2255c",
            "#e67700");

    private HtmlReport() {
    }

    public static String render(Evaluation.Result result, Map<String, Object> provenance, int digits) {
        EvalMetrics m = result.metrics();
        String positive = m.positiveLabel();
        StringBuilder h = new StringBuilder(64 * 1024);
        h.append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
                .append("<title>dfd evaluation: ").append(esc(name(provenance.get("model_dir")))).append(" on ")
                .append(esc(name(result.dataset().source().toString()))).append("</title><style>").append(CSS)
                .append("</style></head><body><main>");
        h.append("<h1>Evaluation of <code>").append(esc(name(provenance.get("model_dir")))).append("</code></h1>");
        h.append("<p class=\"sub\">on <code>").append(esc(result.dataset().source().toString())).append("</code>")
                .append(result.dataset().split() != null ? " (split " + esc(result.dataset().split()) + ")" : "")
                .append(", ").append(result.scored().size()).append(" images evaluated")
                .append(result.failures().isEmpty() ? "" : ", " + result.failures().size() + " unreadable")
                .append(", positive label <b>").append(esc(positive)).append("</b></p>");

        h.append("<section class=\"cards\">");
        card(h, "Accuracy", TextReport.f(m.accuracy(), 4), "");
        card(h, "ROC AUC", TextReport.f(m.rocAuc(), 4), positive + " vs rest");
        card(h, "Average precision", TextReport.f(m.averagePrecision(), 4), "");
        card(h, positive + " precision", TextReport.f(m.report().precision()[m.positive()], 4),
                "a false " + positive + " accuses a real image");
        card(h, positive + " recall", TextReport.f(m.report().recall()[m.positive()], 4), "");
        card(h, "Equal error rate", TextReport.f(m.equalErrorRate(), 4), "");
        h.append("</section>");

        h.append("<section><h2>Classification report</h2>").append(reportTable(m, digits))
                .append("<details><summary>as scikit-learn prints it</summary><pre>")
                .append(esc(m.report().format(digits))).append("</pre></details></section>");

        h.append("<section><h2>Confusion matrix</h2><p class=\"note\">rows = true label, columns = predicted</p>")
                .append(confusion(m)).append("</section>");

        h.append("<section><h2>Curves</h2><div class=\"plots\">");
        h.append(Svg.lines("roc", "ROC curve (AUC " + TextReport.f(m.rocAuc(), 4) + ")", "false positive rate",
                "true positive rate (" + positive + " recall)",
                List.of(new Svg.Series(positive, thin(m.roc().fpr()), thin(m.roc().tpr()), COLORS.get(0), false)),
                true));
        h.append(Svg.lines("pr", "Precision-recall (AP " + TextReport.f(m.averagePrecision(), 4) + ")",
                positive + " recall", positive + " precision",
                List.of(new Svg.Series(positive, thin(m.pr().recall()), thin(m.pr().precision()), COLORS.get(1), false)),
                false));
        h.append(Svg.histogram("hist", "Scores by true label", positive + " score", m.labels(), m.histograms(),
                COLORS));
        h.append(Svg.lines("calibration", "Calibration (ECE " + TextReport.f(m.ece(), 4) + ")",
                "mean predicted " + positive + " score", "fraction truly " + positive,
                List.of(new Svg.Series(positive, m.calibration().meanPredicted(), m.calibration().fractionPositive(),
                        COLORS.get(2), true)), true));
        h.append("</div></section>");

        h.append("<section><h2>Metrics and thresholds</h2><table class=\"kv\">");
        kv(h, "Log loss", TextReport.f(m.logLoss(), 4));
        kv(h, "Brier score", TextReport.f(m.brier(), 4));
        kv(h, positive + " recall at 1% false positives", TextReport.f(m.tprAtFpr1(), 4));
        kv(h, positive + " recall at 5% false positives", TextReport.f(m.tprAtFpr5(), 4));
        if (m.bestF1() != null) {
            kv(h, "Threshold with the best F1", point(m.bestF1()));
        }
        if (m.targetPrecision() != null) {
            kv(h, "Lowest threshold with precision &ge; " + TextReport.f(m.targetPrecision(), 4),
                    m.targetPoint() == null ? "none reaches it on this data" : point(m.targetPoint()));
        }
        Object threshold = provenance.get("threshold");
        kv(h, "Decision rule used above", threshold == null ? "top label (argmax)"
                : esc(positive) + " when its score &ge; " + threshold);
        h.append("</table></section>");

        if (!result.robustness().isEmpty()) {
            h.append("<section><h2>Robustness</h2><p class=\"note\">each perturbation applied to every image before"
                    + " preprocessing</p><table class=\"num\"><tr><th>perturbation</th><th>accuracy</th>"
                    + "<th>ROC AUC</th><th>").append(esc(positive)).append(" recall</th><th>images</th></tr>");
            Evaluation.RobustnessRow base = result.robustness().get(0);
            for (Evaluation.RobustnessRow r : result.robustness()) {
                h.append("<tr><td>").append(esc(r.perturbation())).append("</td><td>")
                        .append(TextReport.f(r.accuracy(), 4)).append(delta(r.accuracy(), base.accuracy()))
                        .append("</td><td>").append(TextReport.f(r.rocAuc(), 4)).append(delta(r.rocAuc(), base.rocAuc()))
                        .append("</td><td>").append(TextReport.f(r.positiveRecall(), 4))
                        .append(delta(r.positiveRecall(), base.positiveRecall())).append("</td><td>")
                        .append(r.evaluated()).append(r.failed() > 0 ? " (" + r.failed() + " failed)" : "")
                        .append("</td></tr>");
            }
            h.append("</table></section>");
        }

        h.append("<section><h2>Most confident mistakes</h2>").append(gallery(result)).append("</section>");

        if (!result.noFace().isEmpty()) {
            h.append("<section><h2>No face found (").append(result.noFace().size())
                    .append(" images, excluded: no verdict, never counted as Real)</h2><ul class=\"fail\">");
            for (String source : result.noFace()) {
                h.append("<li><code>").append(esc(source)).append("</code></li>");
            }
            h.append("</ul></section>");
        }

        if (!result.failures().isEmpty()) {
            h.append("<section><h2>Unreadable images (excluded)</h2><ul class=\"fail\">");
            for (Failure f : result.failures()) {
                h.append("<li><code>").append(esc(f.source())).append("</code>: ").append(esc(f.error())).append("</li>");
            }
            h.append("</ul></section>");
        }

        h.append("<section><h2>Provenance</h2><table class=\"kv\">");
        for (Map.Entry<String, Object> e : provenance.entrySet()) {
            kv(h, esc(e.getKey()), "<code>" + esc(String.valueOf(e.getValue())) + "</code>");
        }
        kv(h, "data set", "<code>" + esc(result.dataset().source().toAbsolutePath().normalize().toString()) + "</code>");
        StringBuilder counts = new StringBuilder();
        for (int i = 0; i < m.labels().size(); i++) {
            counts.append(i > 0 ? ", " : "").append(esc(m.labels().get(i))).append(' ').append(m.report().support()[i]);
        }
        kv(h, "images per true label", counts.toString());
        kv(h, "speed", String.format(Locale.ROOT, "%.1f images/s (%.1f s)", result.imagesPerSecond(), result.seconds()));
        h.append("</table></section></main></body></html>\n");
        return h.toString();
    }

    private static String name(Object path) {
        String s = String.valueOf(path);
        Path p = Path.of(s).getFileName();
        return p == null ? s : p.toString();
    }

    private static String esc(String s) {
        return Svg.esc(s);
    }

    private static void card(StringBuilder h, String title, String value, String note) {
        h.append("<div class=\"card\"><div class=\"ct\">").append(esc(title)).append("</div><div class=\"cv\">")
                .append(value).append("</div><div class=\"cn\">").append(esc(note)).append("</div></div>");
    }

    private static void kv(StringBuilder h, String key, String value) {
        h.append("<tr><th>").append(key).append("</th><td>").append(value).append("</td></tr>");
    }

    private static String point(dev.dfd.eval.BinaryMetrics.OperatingPoint p) {
        return String.format(Locale.ROOT, "<b>%s</b> (precision %s, recall %s, F1 %s, false positive rate %s)",
                TextReport.f(p.threshold(), 4), TextReport.f(p.precision(), 4), TextReport.f(p.recall(), 4),
                TextReport.f(p.f1(), 4), TextReport.f(p.fpr(), 4));
    }

    private static String delta(double v, double base) {
        double d = v - base;
        if (Double.isNaN(d) || Math.abs(d) < 5e-5) {
            return ""; // nothing that shows at four digits
        }
        return String.format(Locale.ROOT, " <span class=\"%s\">(%+.4f)</span>", d < 0 ? "down" : "up", d);
    }

    private static String reportTable(EvalMetrics m, int digits) {
        StringBuilder t = new StringBuilder("<table class=\"num\"><tr><th></th><th>precision</th><th>recall</th>"
                + "<th>f1-score</th><th>support</th></tr>");
        var r = m.report();
        for (int i = 0; i < r.names().size(); i++) {
            t.append("<tr><th>").append(esc(r.names().get(i))).append("</th>");
            for (double v : new double[]{r.precision()[i], r.recall()[i], r.f1()[i]}) {
                t.append("<td>").append(TextReport.f(v, digits)).append("</td>");
            }
            t.append("<td>").append(r.support()[i]).append("</td></tr>");
        }
        t.append("<tr class=\"sep\"><th>accuracy</th><td></td><td></td><td>").append(TextReport.f(r.accuracy(), digits))
                .append("</td><td>").append(r.total()).append("</td></tr>");
        for (String avg : List.of("macro avg", "weighted avg")) {
            double[] v = avg.startsWith("macro") ? r.macro() : r.weighted();
            t.append("<tr><th>").append(avg).append("</th>");
            for (double x : v) {
                t.append("<td>").append(TextReport.f(x, digits)).append("</td>");
            }
            t.append("<td>").append(r.total()).append("</td></tr>");
        }
        return t.append("</table>").toString();
    }

    private static String confusion(EvalMetrics m) {
        long[][] cm = m.confusion();
        StringBuilder t = new StringBuilder("<table class=\"cm\"><tr><th>true \\ predicted</th>");
        for (String l : m.labels()) {
            t.append("<th>").append(esc(l)).append("</th>");
        }
        t.append("</tr>");
        for (int i = 0; i < cm.length; i++) {
            long rowSum = 0;
            for (long v : cm[i]) {
                rowSum += v;
            }
            t.append("<tr><th>").append(esc(m.labels().get(i))).append("</th>");
            for (int j = 0; j < cm[i].length; j++) {
                double share = rowSum == 0 ? 0 : (double) cm[i][j] / rowSum;
                String color = i == j ? "42,111,219" : "217,72,15";
                t.append(String.format(Locale.ROOT, "<td style=\"background:rgba(%s,%.2f)\">%d<span>%.1f%%</span></td>",
                        color, 0.08 + 0.6 * share, cm[i][j], 100 * share));
            }
            t.append("</tr>");
        }
        return t.append("</table>").toString();
    }

    /** Wrong predictions, most confident first, with thumbnails read from the data set. */
    private static String gallery(Evaluation.Result result) {
        EvalMetrics m = result.metrics();
        List<Evaluation.Scored> mistakes = new ArrayList<>();
        for (Evaluation.Scored s : result.scored()) {
            if (s.predId() != s.trueId()) {
                mistakes.add(s);
            }
        }
        if (mistakes.isEmpty()) {
            return "<p>No mistakes.</p>";
        }
        mistakes.sort(Comparator.comparingDouble((Evaluation.Scored s) -> s.scores()[s.predId()]).reversed());
        StringBuilder g = new StringBuilder("<p class=\"note\">").append(mistakes.size())
                .append(" mistakes in all; the ").append(Math.min(GALLERY_SIZE, mistakes.size()))
                .append(" the model was surest of:</p><div class=\"gallery\">");
        ImageDecoder decoder = new ImageDecoder();
        for (Evaluation.Scored s : mistakes.subList(0, Math.min(GALLERY_SIZE, mistakes.size()))) {
            Path path = result.dataset().images().get(s.index()).path();
            g.append("<figure>").append(thumbnail(decoder, path, s.face())).append("<figcaption><b>")
                    .append(esc(m.labels().get(s.predId()))).append(' ')
                    .append(TextReport.f(s.scores()[s.predId()], 3)).append("</b><br>true ")
                    .append(esc(m.labels().get(s.trueId())));
            if (s.faces() > 1) {
                g.append(", boxed face of ").append(s.faces());
            }
            g.append("<br><code>").append(esc(path.getFileName().toString())).append("</code></figcaption></figure>");
        }
        return g.append("</div>").toString();
    }

    /** A JPEG data-URI thumbnail; with a face box, the box drawn on it (the face the verdict is about). */
    private static String thumbnail(ImageDecoder decoder, Path path, Face.Box face) {
        try {
            RgbImage img = decoder.decode(Files.readAllBytes(path));
            double scale = Math.min(1.0, (double) THUMBNAIL / Math.max(img.width(), img.height()));
            RgbImage t = Resampler.resize(img, Math.max(1, (int) Math.round(img.width() * scale)),
                    Math.max(1, (int) Math.round(img.height() * scale)), Resample.BILINEAR);
            BufferedImage bi = t.toBufferedImage();
            if (face != null) {
                java.awt.Graphics2D gr = bi.createGraphics();
                gr.setColor(new java.awt.Color(0xF5, 0xC2, 0x18));
                gr.setStroke(new java.awt.BasicStroke(2f));
                gr.drawRect((int) Math.round(face.x() * scale), (int) Math.round(face.y() * scale),
                        (int) Math.round(face.width() * scale), (int) Math.round(face.height() * scale));
                gr.dispose();
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(bi, "jpeg", out);
            return "<img alt=\"\" src=\"data:image/jpeg;base64," + Base64.getEncoder().encodeToString(out.toByteArray())
                    + "\">";
        } catch (IOException | RuntimeException e) {
            return "<div class=\"noimg\">(image unavailable)</div>";
        }
    }

    /** Curves with one point per image are thinned for drawing; the end points are kept. */
    private static double[] thin(double[] v) {
        int max = 800;
        if (v.length <= max) {
            return v;
        }
        int step = (int) Math.ceil(v.length / (double) max);
        double[] out = new double[(v.length - 1) / step + 2];
        int k = 0;
        for (int i = 0; i < v.length; i += step) {
            out[k++] = v[i];
        }
        out[k++] = v[v.length - 1];
        return java.util.Arrays.copyOf(out, k);
    }

    private static final String CSS = """
            :root{--fg:#1d2330;--muted:#5c6677;--line:#dde2ea;--bg:#f6f7fa}
            *{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);
            font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
            main{max-width:1120px;margin:0 auto;padding:24px 16px 48px}
            h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:0 0 10px}.sub,.note{color:var(--muted)}
            section{background:#fff;border:1px solid var(--line);border-radius:10px;padding:16px 18px;margin:16px 0}
            .cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:10px;background:none;
            border:0;padding:0}.card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:12px 14px}
            .ct{color:var(--muted);font-size:13px}.cv{font-size:26px;font-weight:600}.cn{color:var(--muted);font-size:12px}
            table{border-collapse:collapse}th,td{padding:5px 10px;border-bottom:1px solid var(--line);text-align:left}
            table.num td{text-align:right;font-variant-numeric:tabular-nums}tr.sep th,tr.sep td{border-top:2px solid var(--line)}
            table.kv th{font-weight:500;color:var(--muted);vertical-align:top}
            table.cm td{text-align:center;font-size:18px;font-weight:600;min-width:110px}
            table.cm td span{display:block;font-size:12px;font-weight:400;color:var(--muted)}
            .plots{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:12px}
            svg.plot{width:100%;height:auto;background:#fff}svg .t{font-size:13px;font-weight:600;text-anchor:middle}
            svg .g{stroke:#eef1f5}svg .axis{fill:none;stroke:#9aa3b2}svg .tick{font-size:10px;fill:#5c6677;text-anchor:middle}
            svg .ty{text-anchor:end}svg .lab{font-size:11px;fill:#5c6677;text-anchor:middle}
            svg .diag{stroke:#9aa3b2;stroke-dasharray:4 4}svg .series{stroke-width:2.2}svg .leg{font-size:11px}
            svg .bar{opacity:.55}.gallery{display:grid;grid-template-columns:repeat(auto-fill,minmax(130px,1fr));gap:10px}
            figure{margin:0;background:var(--bg);border-radius:8px;padding:8px;text-align:center;font-size:12px}
            figure img{max-width:112px;max-height:112px;border-radius:4px}figcaption code{word-break:break-all}
            .noimg{height:112px;display:flex;align-items:center;justify-content:center;color:var(--muted)}
            .down{color:#c92a2a}.up{color:#2b8a3e}pre{overflow:auto;background:var(--bg);padding:10px;border-radius:6px}
            code{font-size:13px;word-break:break-all}ul.fail{padding-left:18px}
            @media (max-width:600px){body{font-size:14px}.cv{font-size:22px}table.cm td{min-width:70px}}
            """;
}
