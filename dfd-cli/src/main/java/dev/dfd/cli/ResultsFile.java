package dev.dfd.cli;

import dev.dfd.DfdException;

import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A results file ({@code detect --output}, {@code eval --predictions}) that a killed run leaves whole and a rerun
 * continues. Every record (one line, flushed) goes to the file in a single write(), so {@code kill -9} between
 * records leaves complete lines; only a kill inside that write can leave a partial last record. With resume,
 * {@link #open} keeps the whole records already there, cuts a partial last one off and appends after them.
 */
final class ResultsFile {
    /** How records are told apart: JSON lines escape line breaks; CSV fields may hold them inside quotes. */
    enum Records { JSON_LINES, CSV }

    /**
     * @param out     where new records go; each flush hands what was written since the last one to the file at once
     * @param header  the first record found when resuming a CSV file, else null
     * @param records the whole records already in the file, header excluded, in file order (empty when fresh)
     * @param fresh   the file is new or empty: a CSV header is still to be written
     */
    record Opened(PrintWriter out, String header, List<String> records, boolean fresh) {
    }

    private ResultsFile() {
    }

    /** Opens {@code file} for writing: truncated, or with {@code resume} its whole records kept and appended to. */
    static Opened open(Path file, boolean resume, Records kind) {
        String header = null;
        List<String> records = new ArrayList<>();
        try {
            if (resume) {
                byte[] bytes;
                try {
                    bytes = Files.readAllBytes(file);
                } catch (NoSuchFileException e) {
                    bytes = new byte[0];
                }
                String text = new String(bytes, StandardCharsets.UTF_8);
                int whole = split(text, kind, records);
                if (whole < text.length()) { // a partial last record: cut it off, its image runs again
                    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                        ch.truncate(text.substring(0, whole).getBytes(StandardCharsets.UTF_8).length);
                    }
                }
                if (kind == Records.CSV && !records.isEmpty()) {
                    header = records.remove(0);
                }
            }
            boolean fresh = header == null && records.isEmpty();
            OutputStream stream = new FileOutputStream(file.toFile(), resume);
            return new Opened(new PrintWriter(new OutputStreamWriter(new RecordAtOnce(stream), StandardCharsets.UTF_8)),
                    header, records, fresh);
        } catch (IOException e) {
            throw new DfdException(file + ": cannot " + (resume ? "resume" : "write") + " (" + e.getMessage() + ")");
        }
    }

    /** Adds the whole records of {@code text} to {@code records}; returns where the last whole record ends. */
    static int split(String text, Records kind, List<String> records) {
        int start = 0;
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (kind == Records.CSV && c == '"') {
                quoted = !quoted; // an escaped "" toggles twice
            } else if (c == '\n' && !quoted) {
                int end = i > start && text.charAt(i - 1) == '\r' ? i - 1 : i;
                records.add(text.substring(start, end));
                start = i + 1;
            }
        }
        return start;
    }

    /** Collects what is written and passes it on in one write() per flush. */
    private static final class RecordAtOnce extends OutputStream {
        private final OutputStream file;
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

        RecordAtOnce(OutputStream file) {
            this.file = file;
        }

        @Override
        public void write(int b) {
            pending.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            pending.write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            if (pending.size() > 0) {
                file.write(pending.toByteArray());
                pending.reset();
            }
        }

        @Override
        public void close() throws IOException {
            flush();
            file.close();
        }
    }
}
