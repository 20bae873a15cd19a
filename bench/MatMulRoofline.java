import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.dfd.graph.OnnxBuilder;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A dev tool, not a test: how fast ONNX Runtime's MLAS kernels multiply matrices on this machine, fp32 (MatMul) and
 * int8 (com.microsoft::DynamicQuantizeMatMul, what dfd's dynamic int8 graphs run), for the GEMMs of a ViT-base layer
 * at batch 1 and 8 and for one large square GEMM (the practical peak), at 1 and 2 threads. Each shape is a one-node
 * graph with a constant weight, run after warm-up; the best and median of ROUNDS runs are turned into GFLOP/s
 * (2 M K N / time). It also estimates the core clock from a dependent chain of 1-cycle integer operations, so the
 * rates can be read as FLOPs per cycle against the core's peak (2 FMA pipes x 16 fp32 lanes x 2 = 64 per cycle for
 * a full-width AVX-512 core, 32 for Zen 4's double-pumped 512-bit FMAs).
 *
 * <pre>
 * java -cp 'dfd-cli/target/dfd-cli-0.1.0-SNAPSHOT.jar:dfd-cli/target/lib/*' \
 *     -Donnxruntime.native.path=dfd-cli/target/native/ai/onnxruntime/native/linux-x64 bench/MatMulRoofline.java [ROUNDS]
 * </pre>
 */
public class MatMulRoofline {
    record Shape(String what, int m, int k, int n) {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        System.out.printf("core clock estimate: %.2f GHz (dependent 1-cycle integer ops)%n", clockGhz());
        List<Shape> shapes = List.of(
                new Shape("QKV projection, batch 1", 197, 768, 2304),
                new Shape("output projection, batch 1", 197, 768, 768),
                new Shape("MLP up, batch 1", 197, 768, 3072),
                new Shape("MLP down, batch 1", 197, 3072, 768),
                new Shape("MLP up, batch 8", 8 * 197, 768, 3072),
                new Shape("square 2048", 2048, 2048, 2048));
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Path dir = Files.createTempDirectory("matmul-roofline");
        System.out.printf("%-28s %-6s %7s %14s %14s%n", "GEMM (M x K x N)", "type", "threads", "GFLOP/s best",
                "GFLOP/s median");
        for (Shape s : shapes) {
            for (boolean int8 : new boolean[]{false, true}) {
                Path file = dir.resolve(s.m + "x" + s.k + "x" + s.n + (int8 ? "-int8" : "") + ".onnx");
                Files.write(file, graph(s, int8).toByteArray());
                for (int threads : new int[]{1, 2}) {
                    double[] seconds = time(env, file, s, threads, rounds);
                    double flops = 2.0 * s.m * s.k * s.n;
                    System.out.printf("%-28s %-6s %7d %14.1f %14.1f   (%s)%n", s.m + " x " + s.k + " x " + s.n,
                            int8 ? "int8" : "fp32", threads, flops / seconds[0] / 1e9, flops / seconds[1] / 1e9,
                            s.what);
                }
            }
        }
    }

    /** One MatMul of a [M, K] input by a constant [K, N] weight: fp32, or int8 weights as dfd's int8 graphs hold. */
    static OnnxMl.ModelProto graph(Shape s, boolean int8) {
        OnnxBuilder b = new OnnxBuilder("matmul");
        b.input("a", OnnxMl.TensorProto.DataType.FLOAT, new long[]{s.m, s.k});
        SplittableRandom r = new SplittableRandom(7);
        String out;
        if (int8) {
            byte[] w = new byte[s.k * s.n]; // (K, N) int8, symmetric
            for (int i = 0; i < w.length; i++) {
                w[i] = (byte) (r.nextInt(255) - 127);
            }
            float[] scale = new float[s.n]; // per output column
            Arrays.fill(scale, 0.01f);
            out = b.contribNode("DynamicQuantizeMatMul", "y", List.of("a", b.int8s("w", w, s.k, s.n),
                    b.floats("w_scale", scale, s.n), b.int8s("w_zero", new byte[s.n], s.n)));
        } else {
            float[] w = new float[s.k * s.n]; // (K, N)
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) r.nextGaussian() * 0.02f;
            }
            out = b.node("MatMul", "y", List.of("a", b.floats("w", w, s.k, s.n)));
        }
        b.output(out, OnnxMl.TensorProto.DataType.FLOAT, new long[]{s.m, s.n});
        return b.build("roofline", Map.of());
    }

    /** Best and median seconds per run. */
    static double[] time(OrtEnvironment env, Path file, Shape s, int threads, int rounds) throws Exception {
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            o.setIntraOpNumThreads(threads);
            try (OrtSession session = env.createSession(file.toString(), o)) {
                float[] a = new float[s.m * s.k];
                SplittableRandom r = new SplittableRandom(1);
                for (int i = 0; i < a.length; i++) {
                    a[i] = (float) r.nextGaussian();
                }
                try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(a), new long[]{s.m, s.k})) {
                    Map<String, OnnxTensor> in = Map.of("a", t);
                    for (int i = 0; i < 3; i++) {
                        session.run(in).close();
                    }
                    double[] sec = new double[rounds];
                    for (int i = 0; i < rounds; i++) {
                        long t0 = System.nanoTime();
                        session.run(in).close();
                        sec[i] = (System.nanoTime() - t0) / 1e9;
                    }
                    Arrays.sort(sec);
                    return new double[]{sec[0], sec[rounds / 2]};
                }
            }
        }
    }

    /** Cycles per second from a chain of dependent shift, xor and add (one cycle each), best of 5. */
    static double clockGhz() {
        long best = Long.MAX_VALUE;
        long x = 1;
        final long n = 200_000_000L;
        for (int rep = 0; rep < 5; rep++) {
            long t0 = System.nanoTime();
            for (long i = 0; i < n; i++) {
                x = (x ^ (x >>> 7)) + i;
            }
            best = Math.min(best, System.nanoTime() - t0);
        }
        if (x == 42) {
            System.out.print(""); // keeps x alive
        }
        return 3.0 * n / best; // three dependent 1-cycle operations per iteration
    }
}
