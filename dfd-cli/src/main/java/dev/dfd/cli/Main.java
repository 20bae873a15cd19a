package dev.dfd.cli;

import dev.dfd.Dfd;
import dev.dfd.DfdException;
import picocli.CommandLine.Command;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/** The {@code dfd} command. Subcommands are thin shells over the library; only this class exits the JVM. */
@Command(name = "dfd", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Deepfake image detection with Hugging Face image-classification models, on the JVM.")
public final class Main {
    /**
     * The subcommands, in help order. Only the one a command line names is built: picocli reflects over every
     * option of every command it is given, and building all of them took ~0.25 s of each start (#7 note).
     */
    private static final Map<String, Supplier<Object>> COMMANDS = new LinkedHashMap<>();

    static {
        COMMANDS.put("detect", DetectCommand::new);
        COMMANDS.put("eval", EvalCommand::new);
        COMMANDS.put("quality", QualityCommand::new);
        COMMANDS.put("convert", ConvertCommand::new);
        COMMANDS.put("import-tfjs", ImportTfjsCommand::new);
        COMMANDS.put("init", InitCommand::new);
        COMMANDS.put("optimize", OptimizeCommand::new);
        COMMANDS.put("train", TrainCommand::new);
        COMMANDS.put("serve", ServeCommand::new);
        COMMANDS.put("loadtest", LoadTestCommand::new);
        COMMANDS.put("bench", BenchCommand::new);
        COMMANDS.put("preprocess", PreprocessCommand::new);
        COMMANDS.put("info", InfoCommand::new);
        COMMANDS.put("help", CommandLine.HelpCommand::new);
    }

    /** Exit codes: every image succeeded / some images failed / usage or model error / internal error. */
    public static final int OK = 0;
    public static final int SOME_FAILED = 1;
    public static final int USAGE = 2;
    public static final int INTERNAL = 3;

    public static void main(String[] args) {
        int code = run(args);
        if (Boolean.getBoolean("dfd.report.peak.rss")) { // dfd bench measures child runs this way
            System.err.println("dfd: peak RSS kB " + BenchHarness.peakRssKb());
        }
        System.exit(code);
    }

    /**
     * Runs the command line and returns the exit code (tests call this). Output is UTF-8 whatever the locale: paths
     * and labels print as they are, never as '?'.
     */
    public static int run(String... args) {
        CommandLine cl = commandLine(args);
        cl.setOut(new PrintWriter(new java.io.OutputStreamWriter(new java.io.FileOutputStream(
                java.io.FileDescriptor.out), java.nio.charset.StandardCharsets.UTF_8), true));
        cl.setErr(new PrintWriter(new java.io.OutputStreamWriter(new java.io.FileOutputStream(
                java.io.FileDescriptor.err), java.nio.charset.StandardCharsets.UTF_8), true));
        return cl.execute(args);
    }

    /** The whole command tree (help, suggestions for a mistyped command). */
    static CommandLine commandLine() {
        return commandLine(new String[0]);
    }

    /** The tree for these arguments: just the named subcommand when the first argument is one, else all. */
    static CommandLine commandLine(String[] args) {
        CommandLine cl = new CommandLine(new Main());
        String first = args.length > 0 ? args[0] : "";
        if (COMMANDS.containsKey(first) && !first.equals("help")) {
            cl.addSubcommand(first, COMMANDS.get(first).get());
        } else {
            COMMANDS.forEach((name, command) -> cl.addSubcommand(name, command.get()));
        }
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
