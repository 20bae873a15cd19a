package dev.dfd.server;

import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConnection;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Server;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A total deadline for each request to arrive, headers and body, counted from its first byte. Jetty's idle timeout
 * restarts with every byte, so a client trickling a byte every few seconds would keep its connection (and, once
 * its headers are in, a server thread blocked reading its body) forever; this closes it once the deadline passes.
 * A request that has arrived whole is never cut, however long it then takes to answer.
 */
final class ReadDeadline implements AutoCloseable {
    /** Set on a request whose connection this closed, so its error is logged as a timeout. */
    static final String TIMED_OUT_ATTRIBUTE = "dfd.read_timed_out";

    private final Server server;
    private final long deadlineNanos;
    private final ScheduledExecutorService timer;
    private final AtomicLong closed = new AtomicLong();

    ReadDeadline(Server server, long deadlineMillis) {
        this.server = server;
        this.deadlineNanos = TimeUnit.MILLISECONDS.toNanos(deadlineMillis);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "dfd-read-deadline");
            t.setDaemon(true);
            return t;
        });
        // a tenth of the deadline between checks: a connection lives at most 10% past it
        long period = Math.max(20, Math.min(1_000, deadlineMillis / 10));
        timer.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.MILLISECONDS);
    }

    /** Connections closed for missing the deadline. */
    long closed() {
        return closed.get();
    }

    /** Connections open now. */
    int openConnections() {
        int open = 0;
        for (Connector c : server.getConnectors()) {
            open += c.getConnectedEndPoints().size();
        }
        return open;
    }

    private void sweep() {
        long now = System.nanoTime();
        for (Connector c : server.getConnectors()) {
            for (EndPoint endPoint : c.getConnectedEndPoints()) {
                if (endPoint.getConnection() instanceof HttpConnection http && arriving(http.getParser())
                        && now - http.getBeginNanoTime() > deadlineNanos) {
                    expire(endPoint, http, now);
                }
            }
        }
    }

    /** Between the first byte of a request and its last: request line, headers or body still coming. */
    private static boolean arriving(HttpParser parser) {
        HttpParser.State state = parser.getState();
        return state != HttpParser.State.START && state != HttpParser.State.CONTENT_END
                && (parser.inHeaderState() || parser.inContentState());
    }

    private void expire(EndPoint endPoint, HttpConnection http, long now) {
        closed.incrementAndGet();
        Request request = http.getHttpChannel().getRequest();
        boolean dispatched = http.getParser().inContentState() && request != null;
        if (dispatched) { // its route is blocked reading the body: it logs the failure with the request's id
            request.setAttribute(TIMED_OUT_ATTRIBUTE, Boolean.TRUE);
        } else { // still in its request line or headers: no route has seen it
            ErrorResponses.log(408, "request_timeout", "-", "-", ErrorResponses.requestId(null),
                    "closed the connection from " + endPoint.getRemoteSocketAddress() + ": its request did not arrive"
                            + " whole within " + duration(TimeUnit.NANOSECONDS.toMillis(deadlineNanos)) + " ("
                            + TimeUnit.NANOSECONDS.toMillis(now - http.getBeginNanoTime()) + " ms so far)", null);
        }
        endPoint.close();
    }

    /** "30 s", or "1500 ms" when not whole seconds. */
    static String duration(long millis) {
        return millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
