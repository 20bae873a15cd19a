import dev.dfd.DetectionResult;
import dev.dfd.Detector;
import dev.dfd.DetectorOptions;
import dev.dfd.internal.model.PixelBatch;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * A dev tool, not a test: fp32 against another variant of one model, in one JVM, alternating pass by pass so that both
 * see the same moment of a shared machine. Each round times, per variant, (a) end to end: every image file decoded,
 * preprocessed, run and postprocessed by Detector.detectAll (the model's batch size and threads), and (b) the model
 * alone: the same images as ready pixel_values tensors, batch 8. Prints every round and the median of the per-round
 * ratios (fp32 time / variant time). On a shared machine wall time follows the neighbours' load, so the process CPU
 * time of each pass is measured too (all threads: decoding, preprocessing, ONNX Runtime, JIT and GC), the work the
 * variant costs whoever else runs. A model directory without dfd_faces.json is judged on the whole image.
 *
 * <pre>
 * java -cp 'dfd-cli/target/dfd-cli-0.1.0-SNAPSHOT.jar:dfd-cli/target/lib/*' bench/QuantizedSpeed.java \
 *     MODEL_DIR VARIANT ROUNDS THREADS IMAGE_DIR
 * </pre>
 */
public class QuantizedSpeed {
    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        String variant = args[1];
        int rounds = Integer.parseInt(args[2]);
        int threads = Integer.parseInt(args[3]);
        List<Path> files;
        try (Stream<Path> s = Files.walk(Path.of(args[4]))) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        String[] variants = {null, variant};
        Detector[] detectors = new Detector[2];
        List<List<PixelBatch>> tensors = new ArrayList<>();
        for (int v = 0; v < 2; v++) {
            detectors[v] = Detector.load(model, DetectorOptions.DEFAULTS.withVariant(variants[v]).withThreads(threads)
                    .withExpectedImages(files.size()));
        }
        List<PixelBatch> batches = new ArrayList<>();
        for (int i = 0; i + 8 <= files.size(); i += 8) {
            float[][] images = new float[8][];
            for (int k = 0; k < 8; k++) {
                images[k] = detectors[0].preprocess(detectors[0].decode(Files.readAllBytes(files.get(i + k))));
            }
            int per = images[0].length;
            float[] data = new float[8 * per]; // (8, 3, H, W)
            for (int k = 0; k < 8; k++) {
                System.arraycopy(images[k], 0, data, k * per, per);
            }
            int side = (int) Math.round(Math.sqrt(per / 3.0));
            batches.add(new PixelBatch(data, 8, 3, side, per / 3 / side));
        }
        for (int v = 0; v < 2; v++) { // warm-up
            detectors[v].detectAll(files);
            for (PixelBatch b : batches) {
                detectors[v].runModel(b);
            }
        }
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean();
        double[] endToEndRatio = new double[rounds];
        double[] modelRatio = new double[rounds];
        double[] endToEndCpuRatio = new double[rounds];
        double[] modelCpuRatio = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            double[] e2e = new double[2];
            double[] alone = new double[2];
            double[] e2eCpu = new double[2];
            double[] aloneCpu = new double[2];
            for (int v = 0; v < 2; v++) {
                long c0 = os.getProcessCpuTime();
                long t0 = System.nanoTime();
                List<DetectionResult> results = detectors[v].detectAll(files);
                e2e[v] = (System.nanoTime() - t0) / 1e9;
                e2eCpu[v] = (os.getProcessCpuTime() - c0) / 1e9;
                if (results.stream().anyMatch(x -> !(x instanceof DetectionResult.Detection))) {
                    throw new IllegalStateException("an image was not judged");
                }
                c0 = os.getProcessCpuTime();
                t0 = System.nanoTime();
                for (PixelBatch b : batches) {
                    detectors[v].runModel(b);
                }
                alone[v] = (System.nanoTime() - t0) / 1e9;
                aloneCpu[v] = (os.getProcessCpuTime() - c0) / 1e9;
            }
            // what both variants share, on this thread: decoding, then resizing and normalising
            List<dev.dfd.RgbImage> decoded = new ArrayList<>();
            long c0 = os.getProcessCpuTime();
            for (Path f : files) {
                decoded.add(detectors[0].decode(Files.readAllBytes(f)));
            }
            double decodeCpu = (os.getProcessCpuTime() - c0) / 1e9;
            c0 = os.getProcessCpuTime();
            for (dev.dfd.RgbImage image : decoded) {
                detectors[0].preprocess(image);
            }
            double preprocessCpu = (os.getProcessCpuTime() - c0) / 1e9;
            endToEndRatio[r] = e2e[0] / e2e[1];
            modelRatio[r] = alone[0] / alone[1];
            endToEndCpuRatio[r] = e2eCpu[0] / e2eCpu[1];
            modelCpuRatio[r] = aloneCpu[0] / aloneCpu[1];
            System.out.printf("round %d: end to end fp32 %.0f, %s %.0f images/s (x%.2f); model alone fp32 %.0f, %s %.0f"
                            + " images/s (x%.2f)%n", r + 1, files.size() / e2e[0], variant, files.size() / e2e[1],
                    endToEndRatio[r], batches.size() * 8 / alone[0], variant, batches.size() * 8 / alone[1],
                    modelRatio[r]);
            System.out.printf("         CPU ms per image: end to end fp32 %.2f, %s %.2f (x%.2f); model alone fp32 %.2f,"
                            + " %s %.2f (x%.2f)%n", 1e3 * e2eCpu[0] / files.size(), variant,
                    1e3 * e2eCpu[1] / files.size(), endToEndCpuRatio[r], 1e3 * aloneCpu[0] / (batches.size() * 8),
                    variant, 1e3 * aloneCpu[1] / (batches.size() * 8), modelCpuRatio[r]);
            System.out.printf("         CPU ms per image on one thread, both variants: decode %.2f, resize and normalise"
                    + " %.2f%n", 1e3 * decodeCpu / files.size(), 1e3 * preprocessCpu / files.size());
        }
        System.out.printf("median ratio over %d rounds, %d images, %d threads: wall time end to end x%.2f, model alone"
                        + " x%.2f; CPU time end to end x%.2f, model alone x%.2f%n", rounds, files.size(), threads,
                median(endToEndRatio), median(modelRatio), median(endToEndCpuRatio), median(modelCpuRatio));
        for (Detector d : detectors) {
            d.close();
        }
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
