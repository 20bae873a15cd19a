package dev.dfd.eval;

import dev.dfd.DfdException;
import dev.dfd.internal.Csv;
import dev.dfd.internal.io.ImageFormat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * A labelled image set: an ImageFolder ({@code root/<Label>/...}, optionally split as
 * {@code root/{train,val,test}/<Label>/...}) or a CSV manifest ({@code path,label[,group,split]} with a header,
 * paths relative to the CSV's folder). Only paths and labels are held, never pixels.
 *
 * <pre>{@code
 * Dataset test = Dataset.open(Path.of("faces"), "test");   // faces/test/{Real,Fake}/*.jpg
 * System.out.println(test.images().size() + " images, labels " + test.labels());
 * }</pre>
 *
 * @param source      the folder or CSV it came from
 * @param split       the split chosen, or null
 * @param images      every image, in a stable order (sorted by label folder, then path; or the CSV's order)
 */
public record Dataset(Path source, String split, List<LabeledImage> images) {
    public static final List<String> SPLITS = List.of("train", "val", "test");

    /** One image with its label as the data set names it. */
    public record LabeledImage(Path path, String label, String group, String split) {
    }

    public Dataset {
        images = List.copyOf(images);
    }

    /** Distinct labels, sorted. */
    public List<String> labels() {
        Set<String> s = new TreeSet<>();
        images.forEach(i -> s.add(i.label()));
        return new ArrayList<>(s);
    }

    /** Opens a folder or CSV; {@code split} selects train/val/test (required when the folder is split). */
    public static Dataset open(Path source, String split) {
        if (Files.isRegularFile(source) && source.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".csv")) {
            return csv(source, split);
        }
        if (!Files.isDirectory(source)) {
            throw new DfdException(source + ": data set not found (expected an ImageFolder directory or a .csv manifest)");
        }
        boolean isSplitRoot = SPLITS.stream().anyMatch(s -> Files.isDirectory(source.resolve(s)));
        if (isSplitRoot) {
            if (split == null) {
                throw new DfdException(source + ": this folder is split into " + presentSplits(source)
                        + "; choose one with --split");
            }
            Path dir = source.resolve(split);
            if (!Files.isDirectory(dir)) {
                throw new DfdException(source + ": has no " + split + "/ split (found " + presentSplits(source) + ")");
            }
            return imageFolder(dir, split);
        }
        return imageFolder(source, split);
    }

    private static List<String> presentSplits(Path root) {
        return SPLITS.stream().filter(s -> Files.isDirectory(root.resolve(s))).toList();
    }

    static Dataset imageFolder(Path root, String split) {
        List<LabeledImage> images = new ArrayList<>();
        List<Path> classDirs;
        try (Stream<Path> s = Files.list(root)) {
            classDirs = s.filter(Files::isDirectory).filter(p -> !p.getFileName().toString().startsWith("."))
                    .sorted().toList();
        } catch (IOException e) {
            throw new DfdException(root + ": cannot list (" + e.getMessage() + ")");
        }
        if (classDirs.isEmpty()) {
            throw new DfdException(root + ": no class folders (an ImageFolder has one folder per label:"
                    + " root/Real/*.jpg, root/Fake/*.jpg)");
        }
        for (Path dir : classDirs) {
            String label = dir.getFileName().toString();
            try (Stream<Path> walk = Files.walk(dir)) {
                walk.filter(Files::isRegularFile).filter(ImageFormat::isImageFileName).sorted()
                        .forEach(p -> images.add(new LabeledImage(p, label, null, split)));
            } catch (IOException | UncheckedIOException e) {
                throw new DfdException(dir + ": cannot list (" + e.getMessage() + ")");
            }
        }
        if (images.isEmpty()) {
            throw new DfdException(root + ": no image files under " + classDirs.size() + " class folders");
        }
        return new Dataset(root, split, images);
    }

    static Dataset csv(Path file, String split) {
        Path base = file.toAbsolutePath().getParent();
        List<LabeledImage> images = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String headerLine = in.readLine();
            if (headerLine == null) {
                throw new DfdException(file + ": empty CSV (expected a header path,label[,group,split])");
            }
            List<String> header = Csv.parseLine(headerLine.replace("\uFEFF", ""));
            int pathCol = header.indexOf("path");
            int labelCol = header.indexOf("label");
            int groupCol = header.indexOf("group");
            int splitCol = header.indexOf("split");
            if (pathCol < 0 || labelCol < 0) {
                throw new DfdException(file + ": the header must name columns path and label, found " + header);
            }
            if (split != null && splitCol < 0) {
                throw new DfdException(file + ": --split " + split + " given but the CSV has no split column");
            }
            String line;
            int lineNo = 1;
            while ((line = in.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                List<String> cols = Csv.parseLine(line);
                if (cols.size() <= Math.max(pathCol, labelCol)) {
                    throw new DfdException(file + ":" + lineNo + ": expected at least " + (Math.max(pathCol, labelCol) + 1)
                            + " columns, found " + cols.size());
                }
                String rowSplit = splitCol >= 0 && splitCol < cols.size() ? cols.get(splitCol) : null;
                if (split != null && !split.equals(rowSplit)) {
                    continue;
                }
                String label = cols.get(labelCol).trim();
                if (label.isEmpty()) {
                    throw new DfdException(file + ":" + lineNo + ": empty label");
                }
                Path p = base.resolve(cols.get(pathCol).trim()).normalize();
                String group = groupCol >= 0 && groupCol < cols.size() ? cols.get(groupCol) : null;
                images.add(new LabeledImage(p, label, group, rowSplit));
            }
        } catch (IOException e) {
            throw new DfdException(file + ": cannot read (" + e.getMessage() + ")");
        }
        if (images.isEmpty()) {
            throw new DfdException(file + ": no rows" + (split != null ? " with split " + split : ""));
        }
        return new Dataset(file, split, images);
    }
}
