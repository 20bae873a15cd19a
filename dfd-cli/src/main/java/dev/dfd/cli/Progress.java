package dev.dfd.cli;

import java.io.PrintStream;
import java.util.Locale;

/** A one-line progress bar on stderr (count, percent, images/s, ETA), redrawn at most ten times a second. */
final class Progress {
    private final PrintStream err;
    private final String what;
    private final long total;
    private final boolean enabled;
    private final long start = System.nanoTime();
    private long lastDraw;
    private long done;

    Progress(PrintStream err, String what, long total, boolean enabled) {
        this.err = err;
        this.what = what;
        this.total = total;
        this.enabled = enabled;
    }

    /** Shown only on a terminal, unless silenced. */
    static boolean wanted(boolean quiet) {
        return !quiet && System.console() != null;
    }

    void step() {
        done++;
        long now = System.nanoTime();
        if (enabled && (now - lastDraw > 100_000_000L || done == total)) {
            lastDraw = now;
            double seconds = (now - start) / 1e9;
            double rate = done / Math.max(seconds, 1e-9);
            long eta = rate > 0 ? Math.round((total - done) / rate) : 0;
            err.printf(Locale.ROOT, "\r%s %d/%d %5.1f%% %7.1f img/s ETA %d:%02d ", what, done, total,
                    100.0 * done / Math.max(total, 1), rate, eta / 60, eta % 60);
            err.flush();
        }
    }

    void finish() {
        if (enabled) {
            err.println();
        }
    }
}
