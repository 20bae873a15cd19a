package dev.dfd.server;

/**
 * Admission by memory: a request reserves the bytes it is about to allocate (its body, then each image's decode)
 * before allocating them, and gets them only if they fit beside what running requests hold. Nothing waits: a
 * reservation that does not fit now is refused at once, so the server answers 503 instead of running out of heap.
 *
 * <pre>{@code
 * try (MemoryBudget.Reservation r = budget.tryReserve(bytes)) { // null: not now
 *     ... allocate up to bytes ...
 * }
 * }</pre>
 */
final class MemoryBudget {
    private final long capacity;
    private long reserved;
    private long peak;

    MemoryBudget(long capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("memory budget must be positive, got " + capacity);
        }
        this.capacity = capacity;
    }

    long capacity() {
        return capacity;
    }

    synchronized long reserved() {
        return reserved;
    }

    /** The most ever reserved at once. */
    synchronized long peak() {
        return peak;
    }

    /**
     * True when {@code bytes} could be reserved on an idle server, beside {@code held}: what the asking request
     * holds already (its body) and what the server holds for its whole life (the inference queue).
     */
    boolean fitsAtAll(long bytes, long held) {
        return bytes <= capacity - held;
    }

    /** A reservation of {@code bytes}, or null when they do not fit beside what is reserved now. */
    synchronized Reservation tryReserve(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("negative reservation " + bytes);
        }
        if (bytes > capacity - reserved) {
            return null;
        }
        reserved += bytes;
        peak = Math.max(peak, reserved);
        return new Reservation(bytes);
    }

    private synchronized void release(long bytes) {
        reserved -= bytes;
    }

    /** Bytes held until closed (closing twice releases once). */
    final class Reservation implements AutoCloseable {
        private long bytes;

        private Reservation(long bytes) {
            this.bytes = bytes;
        }

        synchronized long bytes() {
            return bytes;
        }

        /** Keeps only {@code keep} bytes (what outlives a step, such as a queued model input). */
        synchronized void shrinkTo(long keep) {
            if (keep < bytes) {
                release(bytes - keep);
                bytes = keep;
            }
        }

        @Override
        public synchronized void close() {
            release(bytes);
            bytes = 0;
        }
    }
}
