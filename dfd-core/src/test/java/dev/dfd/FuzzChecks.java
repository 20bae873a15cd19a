package dev.dfd;

import java.util.function.Supplier;

/**
 * The contract every fuzz target checks: untrusted bytes give a result or a {@link DfdException} whose message is
 * one non-blank line. Any other exception, an assertion failure, a hang (the target's timeout) or running out of
 * the fork's heap is a finding that Jazzer reports and keeps as a regression input.
 */
public final class FuzzChecks {
    private FuzzChecks() {
    }

    /** The call's result, or null when it refused the input with a one-line DfdException. */
    public static <T> T resultOrRefusal(Supplier<T> call) {
        try {
            return call.get();
        } catch (DfdException e) {
            requireOneLine(e.getMessage(), e);
            return null;
        }
    }

    /** Fails (a finding) unless {@code message} is a single non-blank line. */
    public static void requireOneLine(String message, Throwable refusal) {
        if (message == null || message.isBlank() || message.indexOf('\n') >= 0 || message.indexOf('\r') >= 0) {
            throw new AssertionError("refusal without a one-line message: " + message, refusal);
        }
    }
}
