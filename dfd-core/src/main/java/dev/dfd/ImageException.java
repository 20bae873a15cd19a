package dev.dfd;

/**
 * An image could not be read: empty, truncated, corrupt, not an image, or over a size limit.
 *
 * <pre>{@code
 * DetectionResult r = detector.detect(bytes, "upload.jpg");
 * if (r instanceof DetectionResult.Failure f) {
 *     System.err.println(f.source() + ": " + f.error());   // the ImageException's one-line message
 * }
 * }</pre>
 */
public class ImageException extends DfdException {
    public ImageException(String message) {
        super(message);
    }

    public ImageException(String message, Throwable cause) {
        super(message, cause);
    }
}
