package dev.dfd;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * An image to detect: a name for reports and a way to get its bytes, read only when a decoder thread needs them.
 *
 * <pre>{@code
 * List<ImageSource> sources = List.of(ImageSource.of(Path.of("a.jpg")),
 *         ImageSource.of("upload-17", uploadedBytes));
 * detector.detectAll(sources.iterator(), r -> System.out.println(r.source()));
 * }</pre>
 */
public interface ImageSource {
    /** How results and errors name this image (a path, "-" for stdin, an upload's file name). */
    String name();

    /** The encoded bytes; at most {@code maxBytes}, else an error naming the limit. */
    byte[] read(long maxBytes) throws IOException;

    static ImageSource of(Path file) {
        return new ImageSource() {
            @Override
            public String name() {
                return file.toString();
            }

            @Override
            public byte[] read(long maxBytes) throws IOException {
                if (Files.isDirectory(file)) {
                    throw new IOException("is a directory");
                }
                long size = Files.size(file);
                if (size > maxBytes) {
                    throw new IOException("file is " + size + " bytes, over the limit of " + maxBytes);
                }
                return Files.readAllBytes(file);
            }
        };
    }

    static ImageSource of(String name, byte[] bytes) {
        return new ImageSource() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public byte[] read(long maxBytes) throws IOException {
                if (bytes.length > maxBytes) {
                    throw new IOException("image is " + bytes.length + " bytes, over the limit of " + maxBytes);
                }
                return bytes;
            }
        };
    }

    /** Reads a stream to its end, refusing more than {@code maxBytes}. */
    static byte[] readBounded(InputStream in, long maxBytes) throws IOException {
        byte[] data = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
        if (data.length > maxBytes) {
            throw new IOException("input is over the limit of " + maxBytes + " bytes");
        }
        return data;
    }

    /** A one-line description of an I/O failure. */
    static String describe(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "file not found";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m.replaceAll("\\s+", " ").trim();
    }
}
