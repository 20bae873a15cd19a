package dev.dfd;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Headless Chromium for browser tests (Debian's chromium; .ci/run installs it). Tests skip without it. */
public final class Chromium {
    private Chromium() {
    }

    public static Path binary() {
        String configured = System.getenv("DFD_CHROMIUM");
        for (String candidate : new String[]{configured, "/usr/bin/chromium", "/usr/bin/chromium-browser",
                "/usr/bin/google-chrome"}) {
            if (candidate != null && Files.isExecutable(Path.of(candidate))) {
                return Path.of(candidate);
            }
        }
        Assumptions.abort("no Chromium found (install Debian's chromium or set DFD_CHROMIUM)");
        return null;
    }

    /** Renders a URL headless into a PNG screenshot of the given window size. */
    public static void screenshot(String url, Path png, int width, int height) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory("dfd-chromium");
        List<String> cmd = new ArrayList<>(List.of(binary().toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--hide-scrollbars", "--user-data-dir=" + profile,
                "--window-size=" + width + "," + height, "--screenshot=" + png.toAbsolutePath(), url));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("chromium did not finish in 90 s");
        }
        if (!Files.exists(png)) {
            throw new IOException("chromium wrote no screenshot (exit " + p.exitValue() + ")");
        }
    }
}
