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
 * Deadlines for a request to arrive: its request line and headers within the deadline of their first byte, its body
 * within the deadline of when its route starts reading it. Jetty's idle timeout restarts with every byte, so a
 * client trickling a byte every few seconds would keep its connection (and, once its headers are in, a server thread
 * blocked reading its body) forever; this closes it once a deadline passes. Only the client's slowness counts: a
 * request waiting for a thread, or for its route to read it, is not cut, and neither is one that has arrived whole,
 * however long it then takes to answer.
 */
final class ReadDeadline implements AutoCloseable {
    /** Set on a request whose connection this closed, so its error is logged as a timeout. */
    static final String TIMED_OUT_ATTRIBUTE = "dfd.read_timed_out";
    /** Set by a route when it starts reading the body (System.nanoTime()): the body's deadline counts from then. */
    static final String BODY_READ_STARTED_ATTRIBUTE = "dfd.body_read_started";

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
        timer.scheduleWithFixedDelay(keepGoing("checking read deadlines", this::sweep), period, period,
                TimeUnit.MILLISECONDS);
    }

    /**
     * The task, with whatever it throws logged in one line (the stack under DFD_DEBUG=1) and swallowed: a periodic
     * task that throws is never run again, which here would leave every slow client its connection.
     */
    static Runnable keepGoing(String what, Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (Throwable e) {
                System.err.println("dfd serve: error while " + what + " (" + e + "); going on");
                if (System.getenv("DFD_DEBUG") != null) {
                    e.printStackTrace();
                }
            }
        };
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
                if (endPoint.getConnection() instanceof HttpConnection http) {
                    long since = arrivingSince(http);
                    if (since != NOT_ARRIVING && now - since > deadlineNanos) {
                        expire(endPoint, http, now - since);
                    }
                }
            }
        }
    }

    private static final long NOT_ARRIVING = Long.MIN_VALUE;

    /**
     * When the part of the request still arriving started: its first byte while the request line or headers are
     * incomplete, the start of its route's read while the body is; NOT_ARRIVING otherwise (between requests, arrived
     * whole, or a body no route is reading yet).
     */
    private static long arrivingSince(HttpConnection http) {
        HttpParser parser = http.getParser();
        HttpParser.State state = parser.getState();
        if (state == HttpParser.State.START || state == HttpParser.State.CONTENT_END) {
            return NOT_ARRIVING;
        }
        if (parser.inHeaderState()) {
            return http.getBeginNanoTime();
        }
        if (parser.inContentState() && http.getHttpChannel().getRequest() != null
                && http.getHttpChannel().getRequest().getAttribute(BODY_READ_STARTED_ATTRIBUTE) instanceof Long t) {
            return t;
        }
        return NOT_ARRIVING;
    }

    private void expire(EndPoint endPoint, HttpConnection http, long waitedNanos) {
        closed.incrementAndGet();
        Request request = http.getHttpChannel().getRequest();
        if (http.getParser().inContentState() && request != null) { // its route logs the failure with its id
            request.setAttribute(TIMED_OUT_ATTRIBUTE, Boolean.TRUE);
        } else { // still in its request line or headers: no route has seen it
            ErrorResponses.log(408, "request_timeout", "-", "-", ErrorResponses.requestId(null),
                    "closed the connection from " + endPoint.getRemoteSocketAddress() + ": its request line and"
                            + " headers did not arrive within " + duration(TimeUnit.NANOSECONDS.toMillis(deadlineNanos))
                            + " (" + TimeUnit.NANOSECONDS.toMillis(waitedNanos) + " ms so far)", null);
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
