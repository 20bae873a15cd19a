package dev.dfd.server;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ErrorResponsesTest {
    @Test
    void messagesAreOneLineWithoutClassNames() {
        assertEquals("cannot read the upload (400: bad multipart)",
                ErrorResponses.clean("cannot read the upload (org.eclipse.jetty.http.BadMessageException: 400: bad\n multipart)"));
        assertEquals("unexpected end of file", ErrorResponses.clean("java.io.EOFException: unexpected end of file"));
        assertEquals("request failed", ErrorResponses.clean("java.lang.IllegalStateException"));
        assertEquals("image is 2x2 pixels", ErrorResponses.clean("image is 2x2 pixels"));
        assertEquals(303, ErrorResponses.clean("x".repeat(1000)).length());
    }

    @Test
    void clientIdsAreKeptOnlyWhenPlain() {
        assertEquals("trace-42:a.b_c", ErrorResponses.requestId("trace-42:a.b_c"));
        for (String hostile : new String[]{null, "", "two words", "x".repeat(65), "a\u0000b", "é"}) {
            assertTrue(ErrorResponses.requestId(hostile).matches("[0-9a-f]{16}"), String.valueOf(hostile));
        }
    }
}
