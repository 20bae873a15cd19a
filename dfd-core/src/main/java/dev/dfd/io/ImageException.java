package dev.dfd.io;

import dev.dfd.DfdException;

/** An image could not be read: empty, truncated, corrupt, not an image, or over a size limit. */
public class ImageException extends DfdException {
    public ImageException(String message) {
        super(message);
    }

    public ImageException(String message, Throwable cause) {
        super(message, cause);
    }
}
