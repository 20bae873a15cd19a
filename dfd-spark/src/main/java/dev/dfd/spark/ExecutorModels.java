package dev.dfd.spark;

import dev.dfd.DfdException;
import dev.dfd.Detector;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import scala.Tuple2;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One detector per JVM (driver or executor) and model settings: loaded on first use, then shared by every
 * partition and task that runs in this JVM, and closed when the JVM exits. A model on a Hadoop file system is
 * copied to local disk once, because ONNX Runtime reads a local file.
 */
public final class ExecutorModels {
    private static final Map<ModelRef, Detector> DETECTORS = new ConcurrentHashMap<>();
    private static final Map<String, Path> LOCAL_COPIES = new ConcurrentHashMap<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> DETECTORS.values().forEach(Detector::close),
                "dfd-close-models"));
    }

    private ExecutorModels() {
    }

    /** The detector for these settings in this JVM, loading it the first time. */
    public static Detector get(ModelRef ref) {
        return DETECTORS.computeIfAbsent(ref, r -> Detector.load(localDir(r.uri()), r.options()));
    }

    /**
     * A local directory holding the model: the path itself when it is a local directory without a URI scheme,
     * else a copy of the remote directory's files (configs and ONNX files) in a temporary folder, made once.
     */
    static Path localDir(String uri) {
        if (!hasScheme(uri)) {
            Path local = Path.of(uri);
            if (Files.isDirectory(local) || Files.isRegularFile(local)) {
                return local;
            }
        }
        return LOCAL_COPIES.computeIfAbsent(uri, ExecutorModels::copyToLocal);
    }

    private static boolean hasScheme(String uri) {
        int colon = uri.indexOf(':');
        return colon > 1 && uri.substring(0, colon).matches("[A-Za-z][A-Za-z0-9+.-]*");
    }

    private static Path copyToLocal(String uri) {
        org.apache.hadoop.fs.Path remote = new org.apache.hadoop.fs.Path(uri);
        try {
            FileSystem fs = remote.getFileSystem(hadoopConf());
            if (!fs.exists(remote)) {
                throw new DfdException(uri + ": model not found");
            }
            Path dir = Files.createTempDirectory("dfd-model-");
            dir.toFile().deleteOnExit();
            FileStatus status = fs.getFileStatus(remote);
            if (status.isFile()) { // an .onnx file beside its configs: copy the folder, keep the file name
                copyFolder(fs, remote.getParent(), dir);
                return dir.resolve(remote.getName());
            }
            copyFolder(fs, remote, dir);
            return dir;
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

    /**
     * The Hadoop configuration of this JVM: the cluster's files on the class path plus every {@code spark.hadoop.*}
     * setting of the Spark configuration (credentials for s3a and the like travel that way).
     */
    static Configuration hadoopConf() {
        Configuration conf = new Configuration();
        SparkEnv env = SparkEnv.get();
        if (env != null) {
            SparkConf sparkConf = env.conf();
            for (Tuple2<String, String> kv : sparkConf.getAll()) {
                if (kv._1().startsWith("spark.hadoop.")) {
                    conf.set(kv._1().substring("spark.hadoop.".length()), kv._2());
                }
            }
        }
        return conf;
    }
}
