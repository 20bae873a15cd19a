package dev.dfd.cli;

import dev.dfd.DfdException;
import dev.dfd.ImageSource;
import dev.dfd.internal.io.ImageFormat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Turns command-line arguments (files, directories, "-") into image sources, in a stable order. */
final class ImageFiles {
    private ImageFiles() {
    }

    /**
     * Files are taken as given (whatever their extension: the decoder recognises formats by content),
     * directories walked recursively for image files in sorted order, following symbolic links, "-" is standard
     * input. What cannot be listed (an unreadable folder, a symbolic-link loop) becomes one failed entry in its place,
     * so the run goes on and reports it.
     */
    static List<ImageSource> sources(List<String> args, InputStream stdin, long maxBytes) {
        List<ImageSource> out = new ArrayList<>();
        for (String arg : args) {
            if (arg.equals("-")) {
                out.add(stdinSource(stdin));
                continue;
            }
            Path p = Path.of(arg);
            if (Files.isDirectory(p)) { // follows a link to a directory too
                out.addAll(walk(p));
            } else {
                out.add(ImageSource.of(p)); // a missing file becomes that image's error, not the run's
            }
        }
        return out;
    }

    /** The image files under {@code dir} in path order, with an entry that fails for each place that cannot be read. */
    static List<ImageSource> walk(Path dir) {
        java.util.TreeMap<String, ImageSource> found = new java.util.TreeMap<>();
        try {
            Files.walkFileTree(dir, java.util.EnumSet.of(java.nio.file.FileVisitOption.FOLLOW_LINKS),
                    Integer.MAX_VALUE, new java.nio.file.SimpleFileVisitor<>() {
                        @Override
                        public java.nio.file.FileVisitResult visitFile(Path file,
                                                                       java.nio.file.attribute.BasicFileAttributes a) {
                            if (a.isRegularFile() && ImageFormat.isImageFileName(file)) {
                                found.put(file.toString(), ImageSource.of(file));
                            }
                            return java.nio.file.FileVisitResult.CONTINUE;
                        }

                        @Override
                        public java.nio.file.FileVisitResult visitFileFailed(Path file, IOException e) {
                            found.put(file.toString(), failed(file, e));
                            return java.nio.file.FileVisitResult.CONTINUE;
                        }
                    });
        } catch (IOException | UncheckedIOException e) {
            throw new DfdException(dir + ": cannot list directory (" + e.getMessage() + ")");
        }
        return new ArrayList<>(found.values());
    }

    /** An entry for a place the walk could not read: reading it fails with a one-line reason. */
    static ImageSource failed(Path place, IOException e) {
        String why = e instanceof java.nio.file.FileSystemLoopException ? "symbolic link loop, not followed"
                : e instanceof java.nio.file.AccessDeniedException ? "permission denied, skipped"
                : "cannot read, skipped (" + ImageSource.describe(e) + ")";
        return new ImageSource() {
            @Override
            public String name() {
                return place.toString();
            }

            @Override
            public byte[] read(long maxBytes) throws IOException {
                throw new IOException(why);
            }
        };
    }

    private static ImageSource stdinSource(InputStream stdin) {
        return new ImageSource() {
            @Override
            public String name() {
                return "-";
            }

            @Override
            public byte[] read(long maxBytes) throws IOException {
                return ImageSource.readBounded(stdin, maxBytes);
            }
        };
    }
}
