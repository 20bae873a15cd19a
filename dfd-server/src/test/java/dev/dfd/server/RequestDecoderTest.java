package dev.dfd.server;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

class RequestDecoderTest {
    private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3};

    /** A request as the decoder sees it, with a declared length (-1 for none). */
    private record Fake(String contentType, long contentLength, Map<String, String> headers, byte[] bodyBytes,
                        List<RequestDecoder.Part> parts) implements RequestDecoder.Request {
        static Fake body(String type, byte[] body) {
            return new Fake(type, body.length, Map.of(), body, List.of());
        }

        @Override
        public String header(String name) {
            return headers.get(name);
        }

        @Override
        public InputStream body() {
            return new ByteArrayInputStream(bodyBytes);
        }

        @Override
        public List<RequestDecoder.Part> files() {
            return parts;
        }
    }

    private static final RequestDecoder DECODER = new RequestDecoder(1000, 3, null);

    private static ApiException refused(RequestDecoder.Request r) {
        return assertThrows(ApiException.class, () -> DECODER.decode(r));
    }

    @Test
    void rawBodyWithAndWithoutAFileName() {
        List<RequestDecoder.Input> in = DECODER.decode(Fake.body("image/png", PNG));
        assertEquals(1, in.size());
        assertEquals("body", in.get(0).name());
        assertArrayEquals(PNG, in.get(0).bytes());
        Fake named = new Fake("application/octet-stream", PNG.length, Map.of("X-Filename", "cat.png"), PNG, List.of());
        assertEquals("cat.png", DECODER.decode(named).get(0).name());
    }

    /**
     * A base64 image of 15.4 MB is a 20.5-million-character JSON string, under the 20 MiB body limit but over
     * Jackson's default string limit (20 million characters, whatever the body limit): it is read, not refused as
     * bad JSON.
     */
    @Test
    void jsonStringsAsLongAsTheBodyLimitAllows() {
        byte[] image = new byte[15_375_000];
        image[0] = (byte) 0x89;
        String body = "{\"image\": \"" + Base64.getEncoder().encodeToString(image) + "\"}";
        assertTrue(body.length() > 20_000_000 && body.length() < 20 << 20, body.length() + " characters");
        RequestDecoder decoder = new RequestDecoder(20 << 20, 3, null);
        List<RequestDecoder.Input> in = decoder.decode(Fake.body("application/json",
                body.getBytes(StandardCharsets.US_ASCII)));
        assertEquals(image.length, in.get(0).bytes().length);
    }

    @Test
    void jsonBase64DataUrlsAndArrays() {
        String b64 = Base64.getEncoder().encodeToString(PNG);
        String json = "{\"image\": \"data:image/png;base64," + b64.substring(0, 4) + "\\n" + b64.substring(4)
                + "\", \"images\": [\"" + b64 + "\"]}";
        List<RequestDecoder.Input> in = DECODER.decode(Fake.body("application/json; charset=utf-8",
                json.getBytes(StandardCharsets.UTF_8)));
        assertEquals(2, in.size());
        assertArrayEquals(PNG, in.get(0).bytes());
        assertArrayEquals(PNG, in.get(1).bytes());
        assertEquals("bad_base64", refused(Fake.body("application/json", "{\"image\": \"***\"}".getBytes())).code);
        assertEquals("bad_json", refused(Fake.body("application/json", "[1]".getBytes())).code);
        assertEquals("bad_json", refused(Fake.body("application/json", "{\"image\": 5}".getBytes())).code);
        assertEquals("bad_json", refused(Fake.body("application/json", "{\"images\": \"x\"}".getBytes())).code);
        assertEquals("bad_json", refused(Fake.body("application/json", "{".getBytes())).code);
        assertEquals("no_image", refused(Fake.body("application/json", "{}".getBytes())).code);
        ApiException url = refused(Fake.body("application/json", "{\"url\": \"http://example.com/a.jpg\"}".getBytes()));
        assertEquals(403, url.status);
        assertEquals("url_fetch_disabled", url.code);
    }

    @Test
    void multipartKeepsEveryFileAndEmptyFilesForPerItemErrors() {
        Fake upload = new Fake("multipart/form-data; boundary=x", 100, Map.of(), new byte[0], List.of(
                new RequestDecoder.Part("a.png", new ByteArrayInputStream(PNG)),
                new RequestDecoder.Part(null, new ByteArrayInputStream(new byte[0]))));
        List<RequestDecoder.Input> in = DECODER.decode(upload);
        assertEquals(List.of("a.png", "upload"), in.stream().map(RequestDecoder.Input::name).toList());
        assertEquals(0, in.get(1).bytes().length, "an empty file is kept: the detector reports it alone");
        Fake broken = new Fake("multipart/form-data; boundary=x", 100, Map.of(), new byte[0], List.of(
                new RequestDecoder.Part("a.png", new InputStream() {
                    @Override
                    public int read() throws IOException {
                        throw new IOException("Early EOF\n(client went away)");
                    }
                })));
        ApiException e = refused(broken);
        assertEquals(400, e.status);
        assertEquals("cannot read the upload (Early EOF (client went away))", e.getMessage());
    }

    @Test
    void limitsAreAppliedBeforeAndWhileReading() {
        // a declared length over the limit is refused before a byte is read
        Fake declared = new Fake("image/png", 5_000_000_000L, Map.of(), new byte[0], List.of());
        ApiException big = refused(declared);
        assertEquals(413, big.status);
        assertEquals("too_large", big.code);
        // no declared length: refused once the bytes read pass the limit
        Fake chunked = new Fake("image/png", -1, Map.of(), new byte[1001], List.of());
        assertEquals(413, refused(chunked).status);
        assertEquals(1000, DECODER.decode(new Fake("image/png", -1, Map.of(), new byte[1000], List.of())).get(0)
                .bytes().length);
        String four = "{\"images\": [\"AA==\", \"AA==\", \"AA==\", \"AA==\"]}";
        ApiException many = refused(Fake.body("application/json", four.getBytes()));
        assertEquals(413, many.status);
        assertEquals("too_many_images", many.code);
        ApiException type = refused(Fake.body("text/plain", PNG));
        assertEquals(415, type.status);
        assertEquals("unsupported_media_type", refused(Fake.body(null, PNG)).code);
    }
}
