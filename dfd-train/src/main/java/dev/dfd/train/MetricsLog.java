package dev.dfd.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.DfdException;
import dev.dfd.internal.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The per-epoch metrics of a run, as JSON Lines and as CSV with the same columns, appended as epochs end. */
final class MetricsLog {
    private MetricsLog() {
    }

    /** Appends one epoch's row to metrics.jsonl and metrics.csv (the header first when the CSV is new). */
    static void append(Path out, ObjectNode row) {
        try {
            Path jsonl = out.resolve("metrics.jsonl");
            Files.writeString(jsonl, Json.write(row) + "\n", java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
            Path csv = out.resolve("metrics.csv");
            StringBuilder line = new StringBuilder();
            if (!Files.exists(csv)) {
                row.fieldNames().forEachRemaining(n -> line.append(line.length() == 0 ? "" : ",").append(n));
                line.append('\n');
            }
            StringBuilder values = new StringBuilder();
            row.elements().forEachRemaining(v -> values.append(values.length() == 0 ? "" : ",").append(v.asText()));
            Files.writeString(csv, line.append(values).append('\n').toString(), java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new DfdException(out + ": cannot write metrics (" + e.getMessage() + ")");
        }
    }
}
