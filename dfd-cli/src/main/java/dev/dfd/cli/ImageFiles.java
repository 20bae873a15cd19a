package dev.dfd.cli;

import dev.dfd.DfdException;
import dev.dfd.ImageSource;
import dev.dfd.io.ImageFormat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;

/** Turns command-line arguments (files, directories, "-") into image sources, in a stable order. */
final class ImageFiles {
    private ImageFiles() {
    }

    /**
     * Files are taken as given (whatever their extension: the decoder recognises formats by content),
     * directories walked recursively for image files in sorted order, "-" is standard input.
     */
    static List<ImageSource> sources(List<String> args, InputStream stdin, long maxBytes) {
        List<ImageSource> out = new ArrayList<>();
        for (String arg : args) {
            if (arg.equals("-")) {
                out.add(stdinSource(stdin));
                continue;
            }
            Path p = Path.of(arg);
            if (Files.isDirectory(p)) {
                try (Stream<Path> walk = Files.walk(p)) {
                    walk.filter(Files::isRegularFile).filter(ImageFormat::isImageFileName).sorted()
                            .forEach(f -> out.add(ImageSource.of(f)));
                } catch (IOException | UncheckedIOException e) {
                    throw new DfdException(p + ": cannot list directory (" + e.getMessage() + ")");
                }
            } else {
                out.add(ImageSource.of(p)); // a missing file becomes that image's error, not the run's
            }
        }
        return out;
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
