package dev.dfd.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.dfd.DetectionResult.Detection;
import dev.dfd.DetectionResult.Failure;
import dev.dfd.DetectionResult;
import dev.dfd.DfdException;
import dev.dfd.Prediction;
import dev.dfd.internal.Json;
import dev.dfd.internal.report.DetectionJson;
import static dev.dfd.internal.Csv.quote;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** Writes detection results as an aligned table, JSON lines or CSV, one image per line, as they arrive. */
abstract class ResultWriter {
    enum Format { TABLE, JSON, CSV }

    protected final PrintWriter out;

    ResultWriter(PrintWriter out) {
        this.out = out;
    }

    static ResultWriter of(Format format, PrintWriter out, List<String> labels, String positive) {
        return of(format, out, labels, positive, true);
    }

    /** A writer in {@code format}; without {@code header} it continues a file that already has one. */
    static ResultWriter of(Format format, PrintWriter out, List<String> labels, String positive, boolean header) {
        return switch (format) {
            case TABLE -> new Table(out, labels, positive);
            case JSON -> new JsonLines(out);
            case CSV -> new Csv(out, labels, header);
        };
    }

    /** The image a written record is about (its path), for resuming; a record dfd did not write is refused. */
    static String sourceOf(Format format, String record) {
        if (format == Format.JSON) {
            try {
                JsonNode o = Json.MAPPER.readTree(record);
                if (o != null && o.path("path").isTextual()) {
                    return o.get("path").textValue();
                }
            } catch (JsonProcessingException e) {
                // refused below
            }
            throw new DfdException("a line that is not a dfd JSON result: " + Json.oneLine(record));
        }
        return dev.dfd.internal.Csv.parseLine(record).get(0);
    }

    abstract void write(DetectionResult r);

    void finish() {
        out.flush();
    }

    static final class JsonLines extends ResultWriter {
        JsonLines(PrintWriter out) {
            super(out);
        }

        @Override
        void write(DetectionResult r) {
            out.println(Json.write(DetectionJson.of(r)));
            out.flush();
        }
    }

    static final class Table extends ResultWriter {
        private final int labelWidth;

        Table(PrintWriter out, List<String> labels, String positive) {
            super(out);
            int w = "ERROR".length();
            for (String l : labels) {
                w = Math.max(w, l.length());
            }
            labelWidth = Math.min(w, 24);
            out.printf(Locale.ROOT, "%-" + labelWidth + "s  %-10s  %-32s  %s%n", "LABEL", trim(positive, 10),
                    "TOP PREDICTIONS", "PATH");
        }

        private static String trim(String s, int n) {
            return s.length() <= n ? s : s.substring(0, n);
        }

        @Override
        void write(DetectionResult r) {
            if (r instanceof Failure f) {
                out.printf(Locale.ROOT, "%-" + labelWidth + "s  %-10s  %-32s  %s: %s%n", "ERROR", "-", "-",
                        f.source(), f.error());
            } else if (r instanceof Detection d) {
                Prediction p = d.prediction();
                String top = p.predictions().stream()
                        .map(ls -> String.format(Locale.ROOT, "%s %.4f", ls.label(), ls.score()))
                        .collect(Collectors.joining(", "));
                String faces = d.faces().isEmpty() ? "" : String.format(Locale.ROOT, " (%d face%s)", d.faces().size(),
                        d.faces().size() == 1 ? "" : "s");
                out.printf(Locale.ROOT, "%-" + labelWidth + "s  %-10.4f  %-32s  %s%s%n", p.label(), p.positiveScore(),
                        top, r.source(), faces);
            } else {
                out.printf(Locale.ROOT, "%-" + labelWidth + "s  %-10s  %-32s  %s: no face found, no verdict%n",
                        "NO FACE", "-", "-", r.source());
            }
            out.flush();
        }
    }

    static final class Csv extends ResultWriter {
        private final List<String> labels;

        Csv(PrintWriter out, List<String> labels, boolean header) {
            super(out);
            this.labels = labels;
            if (header) {
                out.println(header(labels));
                out.flush();
            }
        }

        static String header(List<String> labels) {
            StringBuilder header = new StringBuilder("path,label,score");
            for (String l : labels) {
                header.append(',').append(quote("score_" + l));
            }
            return header.append(",error,status,faces").toString();
        }

        @Override
        void write(DetectionResult r) {
            StringBuilder line = new StringBuilder(quote(r.source()));
            if (r instanceof Failure f) {
                line.append(",,").append(",".repeat(labels.size())).append(',').append(quote(f.error()))
                        .append(",error,");
            } else if (r instanceof Detection d) {
                Prediction p = d.prediction();
                line.append(',').append(quote(p.label())).append(',').append(p.positiveScore());
                for (float s : p.scores()) {
                    line.append(',').append(s);
                }
                line.append(",,ok,").append(d.faces().isEmpty() ? "" : Integer.toString(d.faces().size()));
            } else {
                line.append(",,").append(",".repeat(labels.size())).append(",,no_face,0");
            }
            out.println(line);
            out.flush();
        }
    }
}
