package dev.dfd.train;

import ai.djl.engine.Engine;
import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * Prepares PyTorch's native library before it loads.
 *
 * <p>oneDNN's AVX-512 convolution kernels in PyTorch 2.7.1 return NaN for about 1 forward pass in 150 on this
 * project's machines (AMD EPYC with AVX-512): measured with a fixed input and nothing else running, 1 NaN output in
 * 153 forwards with 2 threads and 12 in 149 with one; capped at AVX2, 0 in 251, and faster. So unless the user chose
 * otherwise, dfd sets {@code ONEDNN_MAX_CPU_ISA=AVX2} in the process environment (oneDNN reads it with getenv when
 * it first runs) through libc's setenv, before the engine starts.
 */
public final class NativeSetup {
    private static boolean done;

    private NativeSetup() {
    }

    interface LibC extends Library {
        int setenv(String name, String value, int overwrite);

        String getenv(String name);
    }

    /** The process environment's value as native code (oneDNN) sees it; Java's System.getenv is a startup copy. */
    static String nativeEnv(String name) {
        return Native.load("c", LibC.class).getenv(name);
    }

    /** A manager on the PyTorch engine, prepared as {@link #pytorch()} does: every model array starts here. */
    public static ai.djl.ndarray.NDManager newManager() {
        return pytorch().newBaseManager();
    }

    /** Sets the oneDNN ISA cap (if unset) and loads the PyTorch engine, once per process. */
    public static synchronized Engine pytorch() {
        if (!done) {
            System.setProperty("ai.djl.offline", "true");
            if (System.getenv("ONEDNN_MAX_CPU_ISA") == null && System.getenv("DNNL_MAX_CPU_ISA") == null) {
                try {
                    LibC libc = Native.load("c", LibC.class);
                    libc.setenv("ONEDNN_MAX_CPU_ISA", "AVX2", 0);
                    libc.setenv("DNNL_MAX_CPU_ISA", "AVX2", 0);
                } catch (UnsatisfiedLinkError | RuntimeException e) {
                    // not a glibc system: oneDNN keeps its own choice
                }
            }
            done = true;
        }
        return Engine.getEngine("PyTorch");
    }
}
