package dev.dfd.internal.report;

import java.util.List;
import java.util.Locale;

/** Small, dependency-free SVG charts on [0, 1] x [0, 1] axes, for reports that open without a network. */
final class Svg {
    static final int W = 360;
    static final int H = 300;
    private static final int LEFT = 48;
    private static final int RIGHT = 16;
    private static final int TOP = 28;
    private static final int BOTTOM = 44;

    /** One line of a chart: points (x[i], y[i]) in [0, 1]. */
    record Series(String name, double[] x, double[] y, String color, boolean markers) {
    }

    private Svg() {
    }

    private static double px(double x) {
        return LEFT + x * (W - LEFT - RIGHT);
    }

    private static double py(double y) {
        return H - BOTTOM - y * (H - TOP - BOTTOM);
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static StringBuilder frame(String id, String title, String xLabel, String yLabel) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg class=\"plot\" id=\"%s\" viewBox=\"0 0 %d %d\" role=\"img\""
                + " aria-label=\"%s\" xmlns=\"http://www.w3.org/2000/svg\">", id, W, H, esc(title)));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"18\" class=\"t\">%s</text>", W / 2, esc(title)));
        for (int i = 0; i <= 5; i++) {
            double v = i / 5.0;
            sb.append(String.format(Locale.ROOT, "<line class=\"g\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
                    px(0), py(v), px(1), py(v)));
            sb.append(String.format(Locale.ROOT, "<line class=\"g\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
                    px(v), py(0), px(v), py(1)));
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\">%.1f</text>",
                    px(v), py(0) + 14, v));
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" class=\"tick ty\">%.1f</text>",
                    px(0) - 6, py(v) + 4, v));
        }
        sb.append(String.format(Locale.ROOT, "<rect class=\"axis\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>",
                px(0), py(1), px(1) - px(0), py(0) - py(1)));
        sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" class=\"lab\">%s</text>",
                (px(0) + px(1)) / 2, H - 8, esc(xLabel)));
        sb.append(String.format(Locale.ROOT, "<text class=\"lab\" transform=\"translate(12 %.1f) rotate(-90)\">%s</text>",
                (py(0) + py(1)) / 2, esc(yLabel)));
        return sb;
    }

    /** A line chart; {@code diagonal} draws y = x dashed (chance for ROC, perfect calibration). */
    static String lines(String id, String title, String xLabel, String yLabel, List<Series> series, boolean diagonal) {
        StringBuilder sb = frame(id, title, xLabel, yLabel);
        if (diagonal) {
            sb.append(String.format(Locale.ROOT, "<line class=\"diag\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
                    px(0), py(0), px(1), py(1)));
        }
        int legendY = TOP + 14;
        for (Series s : series) {
            StringBuilder points = new StringBuilder();
            for (int i = 0; i < s.x().length; i++) {
                if (Double.isFinite(s.x()[i]) && Double.isFinite(s.y()[i])) {
                    points.append(String.format(Locale.ROOT, "%.1f,%.1f ", px(clamp(s.x()[i])), py(clamp(s.y()[i]))));
                }
            }
            sb.append(String.format("<polyline class=\"series\" fill=\"none\" stroke=\"%s\" points=\"%s\"/>", s.color(),
                    points.toString().trim()));
            if (s.markers()) {
                for (int i = 0; i < s.x().length; i++) {
                    sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>",
                            px(clamp(s.x()[i])), py(clamp(s.y()[i])), s.color()));
                }
            }
            sb.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"12\" height=\"3\" fill=\"%s\"/>"
                    + "<text x=\"%.1f\" y=\"%d\" class=\"leg\">%s</text>", px(0.55), legendY - 3, s.color(), px(0.55) + 16,
                    legendY + 1, esc(s.name())));
            legendY += 15;
        }
        return sb.append("</svg>").toString();
    }

    /** Overlaid histograms of counts over equal-width bins on [0, 1], scaled to the largest bin. */
    static String histogram(String id, String title, String xLabel, List<String> names, long[][] counts,
                            List<String> colors) {
        long max = 1;
        for (long[] c : counts) {
            for (long v : c) {
                max = Math.max(max, v);
            }
        }
        StringBuilder sb = frame(id, title, xLabel, "fraction of the largest bin (" + max + " images)");
        int legendY = TOP + 14;
        for (int k = 0; k < counts.length; k++) {
            int bins = counts[k].length;
            for (int b = 0; b < bins; b++) {
                if (counts[k][b] == 0) {
                    continue;
                }
                double x0 = px((double) b / bins);
                double x1 = px((double) (b + 1) / bins);
                double y = py((double) counts[k][b] / max);
                sb.append(String.format(Locale.ROOT, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\""
                        + " height=\"%.1f\" fill=\"%s\"><title>%s: %d</title></rect>", x0 + 0.5, y, x1 - x0 - 1,
                        py(0) - y, colors.get(k % colors.size()), esc(names.get(k)), counts[k][b]));
            }
            sb.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"12\" height=\"8\" fill=\"%s\"/>"
                    + "<text x=\"%.1f\" y=\"%d\" class=\"leg\">true %s</text>", px(0.35), legendY - 7,
                    colors.get(k % colors.size()), px(0.35) + 16, legendY + 1, esc(names.get(k))));
            legendY += 15;
        }
        return sb.append("</svg>").toString();
    }

    private static double clamp(double v) {
        return Math.max(0, Math.min(1, v));
    }
}
