package dev.dfd.server;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertTrue;

class ReadDeadlineTest {
    /**
     * A periodic task that throws is never run again by a ScheduledExecutorService; the deadline sweep is wrapped so
     * that an exception (or an Error) in one sweep is logged and the next sweep still runs.
     */
    @Test
    void aSweepThatThrowsDoesNotStopTheNextOnes() throws InterruptedException {
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch fiveRuns = new CountDownLatch(5);
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        try {
            timer.scheduleWithFixedDelay(ReadDeadline.keepGoing("testing", () -> {
                fiveRuns.countDown();
                switch (runs.incrementAndGet()) {
                    case 1 -> throw new IllegalStateException("a connection closed while it was looked at");
                    case 2 -> throw new StackOverflowError();
                    default -> { }
                }
            }), 0, 5, TimeUnit.MILLISECONDS);
            assertTrue(fiveRuns.await(10, TimeUnit.SECONDS), "ran " + runs.get() + " times");
        } finally {
            timer.shutdownNow();
        }
    }
}
