import dev.dfd.DetectionResult;
import dev.dfd.Detector;
import dev.dfd.DetectorOptions;
import dev.dfd.model.PixelBatch;

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
 * ratios (fp32 time / variant time). A model directory without dfd_faces.json is judged on the whole image.
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
        double[] endToEndRatio = new double[rounds];
        double[] modelRatio = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            double[] e2e = new double[2];
            double[] alone = new double[2];
            for (int v = 0; v < 2; v++) {
                long t0 = System.nanoTime();
                List<DetectionResult> results = detectors[v].detectAll(files);
                e2e[v] = (System.nanoTime() - t0) / 1e9;
                if (results.stream().anyMatch(x -> !(x instanceof DetectionResult.Detection))) {
                    throw new IllegalStateException("an image was not judged");
                }
                t0 = System.nanoTime();
                for (PixelBatch b : batches) {
                    detectors[v].runModel(b);
                }
                alone[v] = (System.nanoTime() - t0) / 1e9;
            }
            endToEndRatio[r] = e2e[0] / e2e[1];
            modelRatio[r] = alone[0] / alone[1];
            System.out.printf("round %d: end to end fp32 %.0f, %s %.0f images/s (x%.2f); model alone fp32 %.0f, %s %.0f"
                            + " images/s (x%.2f)%n", r + 1, files.size() / e2e[0], variant, files.size() / e2e[1],
                    endToEndRatio[r], batches.size() * 8 / alone[0], variant, batches.size() * 8 / alone[1],
                    modelRatio[r]);
        }
        System.out.printf("median ratio over %d rounds, %d images, %d threads: end to end x%.2f, model alone x%.2f%n",
                rounds, files.size(), threads, median(endToEndRatio), median(modelRatio));
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
