package dev.dfd.cli;

import dev.dfd.Dfd;
import dev.dfd.DfdException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** The {@code dfd} command. Subcommands are thin shells over the library; only this class exits the JVM. */
@Command(name = "dfd", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Deepfake image detection with Hugging Face image-classification models, on the JVM.",
        subcommands = {DetectCommand.class, EvalCommand.class, ConvertCommand.class, InitCommand.class,
                TrainCommand.class, ServeCommand.class, LoadTestCommand.class, BenchCommand.class,
                PreprocessCommand.class, CommandLine.HelpCommand.class})
public final class Main {
    /** Exit codes: every image succeeded / some images failed / usage or model error / internal error. */
    public static final int OK = 0;
    public static final int SOME_FAILED = 1;
    public static final int USAGE = 2;
    public static final int INTERNAL = 3;

    public static void main(String[] args) {
        int code = run(args);
        if (Boolean.getBoolean("dfd.report.peak.rss")) { // dfd bench measures child runs this way
            System.err.println("dfd: peak RSS kB " + BenchCommand.peakRssKb());
        }
        System.exit(code);
    }

    /** Runs the command line and returns the exit code (tests call this). */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(Main::handle);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        return cl;
    }

    /** User-facing failures become one line on stderr; a stack trace only with DFD_DEBUG=1. */
    private static int handle(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        PrintWriter err = cl.getErr();
        if (e instanceof DfdException || e instanceof IllegalArgumentException) {
            err.println("dfd: " + e.getMessage());
            debug(e, err);
            return USAGE;
        }
        err.println("dfd: internal error: " + e + " (set DFD_DEBUG=1 for details)");
        debug(e, err);
        return INTERNAL;
    }

    private static void debug(Exception e, PrintWriter err) {
        if ("1".equals(System.getenv("DFD_DEBUG"))) {
            e.printStackTrace(err);
        }
        err.flush();
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[]{"dfd " + Dfd.version() + " (Java " + System.getProperty("java.version") + ", "
                    + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ")"};
        }
    }
}
