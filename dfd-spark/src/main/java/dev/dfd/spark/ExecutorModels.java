package dev.dfd.spark;

import dev.dfd.DfdException;
import dev.dfd.Detector;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One detector per JVM (driver or executor) and model settings: loaded on first use, then shared by every
 * partition and task that runs in this JVM, for the JVM's life (its native memory goes with the process; closing it
 * from a shutdown hook could pull it from under a task still running). A model on a Hadoop file system is copied to
 * local disk once, because ONNX Runtime reads a local file. Settings that differ only in their decision share one
 * session: the decision is given per call.
 */
public final class ExecutorModels {
    private static final Map<ModelRef, Detector> DETECTORS = new ConcurrentHashMap<>();
    private static final Map<String, Path> LOCAL_COPIES = new ConcurrentHashMap<>();

    private ExecutorModels() {
    }

    /** The detector for these settings in this JVM, loading it the first time. */
    public static Detector get(ModelRef ref, Map<String, String> hadoopSettings) {
        return DETECTORS.computeIfAbsent(ref.session(), r -> Detector.load(localDir(r.uri(), hadoopSettings),
                r.options()));
    }

    /**
     * A local directory holding the model: the path itself when it is a local directory without a URI scheme,
     * else a copy of the remote directory's files (configs and ONNX files) in a temporary folder, made once.
     */
    static Path localDir(String uri, Map<String, String> hadoopSettings) {
        if (!hasScheme(uri)) {
            Path local = Path.of(uri);
            if (Files.isDirectory(local) || Files.isRegularFile(local)) {
                return local;
            }
        }
        return LOCAL_COPIES.computeIfAbsent(uri, u -> copyToLocal(u, hadoopSettings));
    }

    /** A URI scheme prefix such as {@code hdfs:} or {@code s3a:}; two letters at least, so C: is a drive. */
    static final String SCHEME = "[A-Za-z][A-Za-z0-9+.-]+:";

    private static boolean hasScheme(String uri) {
        return uri.matches(SCHEME + ".*");
    }

    private static Path copyToLocal(String uri, Map<String, String> hadoopSettings) {
        org.apache.hadoop.fs.Path remote = new org.apache.hadoop.fs.Path(uri);
        try {
            FileSystem fs = remote.getFileSystem(hadoopConf(hadoopSettings));
            if (!fs.exists(remote)) {
                throw new DfdException(uri + ": model not found");
            }
            boolean isFile = fs.getFileStatus(remote).isFile(); // an .onnx file beside its configs
            org.apache.hadoop.fs.Path folder = isFile ? remote.getParent() : remote;
            // keep the folder's name: the model id is made from it
            Path dir = Files.createDirectories(Files.createTempDirectory("dfd-model-").resolve(folder.getName()));
            copyFolder(fs, folder, dir);
            return isFile ? dir.resolve(remote.getName()) : dir;
        } catch (IOException e) {
            throw new DfdException(uri + ": cannot copy the model to local disk (" + e.getMessage() + ")");
        }
    }

    /** Copies the files directly in {@code remote} and in its onnx/ folder (the Hugging Face layout). */
    private static void copyFolder(FileSystem fs, org.apache.hadoop.fs.Path remote, Path local) throws IOException {
        for (FileStatus f : fs.listStatus(remote)) {
            if (f.isFile()) {
                copyFile(fs, f, local.resolve(f.getPath().getName()));
            } else if (f.getPath().getName().equals("onnx")) {
                Path sub = Files.createDirectories(local.resolve("onnx"));
                for (FileStatus g : fs.listStatus(f.getPath())) {
                    if (g.isFile()) {
                        copyFile(fs, g, sub.resolve(g.getPath().getName()));
                    }
                }
            }
        }
    }

    private static void copyFile(FileSystem fs, FileStatus f, Path target) throws IOException {
        Path partial = target.resolveSibling(target.getFileName() + ".partial");
        try (InputStream in = fs.open(f.getPath())) {
            Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
        target.toFile().deleteOnExit();
    }

    /** The driver's Hadoop settings as a plain map, to ship to executors (credentials set at run time included). */
    static Map<String, String> settingsOf(Configuration conf) {
        Map<String, String> m = new java.util.HashMap<>();
        conf.forEach(e -> m.put(e.getKey(), e.getValue()));
        return m;
    }

    /** A Hadoop configuration with the driver's settings. */
    static Configuration hadoopConf(Map<String, String> settings) {
        Configuration conf = new Configuration(false);
        settings.forEach(conf::set);
        return conf;
    }
}
