package dev.dfd;

/**
 * The one exception type dfd lets out of its library API. Its message is a single line meant for a user: it names
 * the file (image, config, model) and says what is wrong with it, so shells can print it as is, without a trace.
 *
 * <pre>{@code
 * try (Detector detector = Detector.load(Path.of(args[0]))) {
 *     ...
 * } catch (DfdException e) {
 *     System.err.println("dfd: " + e.getMessage());   // one line, e.g. "models/x/config.json: file not found ..."
 * }
 * }</pre>
 */
public class DfdException extends RuntimeException {
    public DfdException(String message) {
        super(message);
    }

    public DfdException(String message, Throwable cause) {
        super(message, cause);
    }
}
