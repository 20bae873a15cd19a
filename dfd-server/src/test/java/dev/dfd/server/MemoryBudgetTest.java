package dev.dfd.server;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MemoryBudgetTest {
    @Test
    void reservationsFitBesideEachOtherOrAreRefused() {
        MemoryBudget budget = new MemoryBudget(100);
        MemoryBudget.Reservation a = budget.tryReserve(60);
        assertNotNull(a);
        assertNull(budget.tryReserve(41), "41 more do not fit beside 60");
        MemoryBudget.Reservation b = budget.tryReserve(40);
        assertNotNull(b);
        assertEquals(100, budget.reserved());
        a.shrinkTo(10); // decoded: only the model input stays
        assertEquals(50, budget.reserved());
        a.shrinkTo(30); // never grows back
        assertEquals(50, budget.reserved());
        a.close();
        a.close(); // released once
        assertEquals(40, budget.reserved());
        b.close();
        assertEquals(0, budget.reserved());
        assertEquals(100, budget.peak());
        assertTrue(budget.fitsAtAll(100, 0));
        assertFalse(budget.fitsAtAll(101, 0));
        assertTrue(budget.fitsAtAll(60, 40)); // what the request and the queue hold is never the image's
        assertFalse(budget.fitsAtAll(61, 40));
    }
}
