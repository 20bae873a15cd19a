package dev.dfd.server;

/**
 * How the server runs.
 *
 * @param host                     address to bind (127.0.0.1 unless told otherwise)
 * @param port                     TCP port (0: any free port)
 * @param apiKey                   required key (Authorization: Bearer or X-API-Key), or null for none
 * @param maxBatch                 images per inference call
 * @param maxWaitMillis            how long a batch waits to fill
 * @param queueCapacity            images waiting for inference before requests are refused with 503
 * @param maxBodyBytes             largest request body (413 above)
 * @param maxBatchImages           images in one /v1/detect/batch request
 * @param allowUrlFetch            let JSON requests name an image URL (public addresses only)
 * @param idleTimeoutMillis        drop connections silent this long
 * @param inferenceTimeoutMillis   give up waiting for a queued image after this long (503)
 * @param maxMemoryBytes           memory budget for request bodies, decoding and queued model inputs; 0 for half of
 *                                 the JVM's maximum heap
 * @param requestReadTimeoutMillis time a request has to arrive whole, headers and body, from its first byte
 *                                 (however often bytes trickle in)
 * @param maxConnections           open connections at most; more wait in the operating system's backlog
 */
public record ServerConfig(String host, int port, String apiKey, int maxBatch, long maxWaitMillis, int queueCapacity,
                           long maxBodyBytes, int maxBatchImages, boolean allowUrlFetch, long idleTimeoutMillis,
                           long inferenceTimeoutMillis, long maxMemoryBytes, long requestReadTimeoutMillis,
                           int maxConnections) {
    public static final ServerConfig DEFAULTS = new ServerConfig("127.0.0.1", 8080, null, 8, 5, 64, 20L << 20, 32,
            false, 30_000, 30_000, 0, 30_000, 512);

    public ServerConfig {
        if (port < 0 || port > 65535 || maxBatch < 1 || maxWaitMillis < 0 || queueCapacity < 1 || maxBodyBytes < 1
                || maxBatchImages < 1 || idleTimeoutMillis < 1 || inferenceTimeoutMillis < 1 || maxMemoryBytes < 0
                || requestReadTimeoutMillis < 1 || maxConnections < 1) {
            throw new IllegalArgumentException("invalid server settings");
        }
        if (apiKey != null && apiKey.isBlank()) {
            throw new IllegalArgumentException("the API key is empty");
        }
    }

    /** The memory budget in bytes: {@code maxMemoryBytes}, or half of the heap the JVM may grow to. */
    public long memoryBudgetBytes() {
        return maxMemoryBytes > 0 ? maxMemoryBytes : Runtime.getRuntime().maxMemory() / 2;
    }

    public ServerConfig withPort(int p) {
        return new ServerConfig(host, p, apiKey, maxBatch, maxWaitMillis, queueCapacity, maxBodyBytes, maxBatchImages,
                allowUrlFetch, idleTimeoutMillis, inferenceTimeoutMillis, maxMemoryBytes, requestReadTimeoutMillis,
                maxConnections);
    }

    public ServerConfig withApiKey(String key) {
        return new ServerConfig(host, port, key, maxBatch, maxWaitMillis, queueCapacity, maxBodyBytes, maxBatchImages,
                allowUrlFetch, idleTimeoutMillis, inferenceTimeoutMillis, maxMemoryBytes, requestReadTimeoutMillis,
                maxConnections);
    }

    public ServerConfig withUrlFetch(boolean allow) {
        return new ServerConfig(host, port, apiKey, maxBatch, maxWaitMillis, queueCapacity, maxBodyBytes, maxBatchImages,
                allow, idleTimeoutMillis, inferenceTimeoutMillis, maxMemoryBytes, requestReadTimeoutMillis,
                maxConnections);
    }

    public ServerConfig withMaxMemory(long bytes) {
        return new ServerConfig(host, port, apiKey, maxBatch, maxWaitMillis, queueCapacity, maxBodyBytes, maxBatchImages,
                allowUrlFetch, idleTimeoutMillis, inferenceTimeoutMillis, bytes, requestReadTimeoutMillis,
                maxConnections);
    }

    public ServerConfig withRequestReadTimeout(long millis) {
        return new ServerConfig(host, port, apiKey, maxBatch, maxWaitMillis, queueCapacity, maxBodyBytes, maxBatchImages,
                allowUrlFetch, idleTimeoutMillis, inferenceTimeoutMillis, maxMemoryBytes, millis, maxConnections);
    }

    public ServerConfig withMaxConnections(int connections) {
        return new ServerConfig(host, port, apiKey, maxBatch, maxWaitMillis, queueCapacity, maxBodyBytes, maxBatchImages,
                allowUrlFetch, idleTimeoutMillis, inferenceTimeoutMillis, maxMemoryBytes, requestReadTimeoutMillis,
                connections);
    }
}
