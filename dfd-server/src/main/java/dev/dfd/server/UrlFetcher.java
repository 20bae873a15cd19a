package dev.dfd.server;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * Fetches an image by URL for {@code --allow-url-fetch}, refusing what would let a caller reach the server's own
 * network: only http and https, every address a name resolves to must be public (not loopback, private,
 * link-local, unique-local, carrier-grade NAT, multicast or unspecified), redirects followed by hand (at most 3,
 * each checked again), bounded time and size.
 */
final class UrlFetcher {
    static final int MAX_REDIRECTS = 3;
    private final long maxBytes;
    private final int timeoutMillis;

    UrlFetcher(long maxBytes, int timeoutMillis) {
        this.maxBytes = maxBytes;
        this.timeoutMillis = timeoutMillis;
    }

    byte[] fetch(String url) {
        String current = url;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            URI uri = check(current);
            HttpURLConnection c = null;
            try {
                c = (HttpURLConnection) uri.toURL().openConnection();
                c.setInstanceFollowRedirects(false);
                c.setConnectTimeout(timeoutMillis);
                c.setReadTimeout(timeoutMillis);
                c.setRequestProperty("User-Agent", "dfd");
                int status = c.getResponseCode();
                if (status >= 300 && status < 400) {
                    String location = c.getHeaderField("Location");
                    if (location == null) {
                        throw new ApiException(422, "fetch_failed", "redirect without a Location from " + current);
                    }
                    current = uri.resolve(location).toString();
                    continue;
                }
                if (status != 200) {
                    throw new ApiException(422, "fetch_failed", "fetching " + current + " answered HTTP " + status);
                }
                long declared = c.getContentLengthLong();
                if (declared > maxBytes) {
                    throw new ApiException(413, "too_large", "the image at " + current + " is " + declared
                            + " bytes, over the limit of " + maxBytes);
                }
                try (InputStream in = c.getInputStream()) {
                    byte[] data = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
                    if (data.length > maxBytes) {
                        throw new ApiException(413, "too_large", "the image at " + current + " is over the limit of "
                                + maxBytes + " bytes");
                    }
                    return data;
                }
            } catch (IOException e) {
                throw new ApiException(422, "fetch_failed", "cannot fetch " + current + " (" + e.getMessage() + ")");
            } finally {
                if (c != null) {
                    c.disconnect();
                }
            }
        }
        throw new ApiException(422, "fetch_failed", "more than " + MAX_REDIRECTS + " redirects from " + url);
    }

    /** The URI, if its scheme is http(s) and every address its host resolves to is public. */
    static URI check(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new ApiException(400, "bad_url", "not a URL: " + url);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new ApiException(400, "bad_url", "only http and https URLs are fetched");
        }
        if (uri.getHost() == null || uri.getUserInfo() != null) {
            throw new ApiException(400, "bad_url", "the URL needs a host and no user info");
        }
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(uri.getHost());
        } catch (UnknownHostException e) {
            throw new ApiException(422, "fetch_failed", "unknown host " + uri.getHost());
        }
        for (InetAddress a : addresses) {
            if (!isPublic(a)) {
                throw new ApiException(403, "forbidden_address", "refusing to fetch from " + uri.getHost() + " ("
                        + a.getHostAddress() + "): not a public address");
            }
        }
        return uri;
    }

    static boolean isPublic(InetAddress a) {
        if (a.isLoopbackAddress() || a.isAnyLocalAddress() || a.isLinkLocalAddress() || a.isSiteLocalAddress()
                || a.isMulticastAddress()) {
            return false;
        }
        byte[] b = a.getAddress();
        if (a instanceof Inet4Address) {
            int first = b[0] & 0xFF;
            int second = b[1] & 0xFF;
            if (first == 0 || first >= 240 || (first == 100 && second >= 64 && second < 128)
                    || (first == 192 && second == 0 && (b[2] & 0xFF) == 0) || (first == 198 && (second == 18 || second == 19))) {
                return false; // "this" network, reserved, carrier-grade NAT, IETF protocol, benchmarking
            }
        }
        if (a instanceof Inet6Address) {
            if ((b[0] & 0xFE) == 0xFC) {
                return false; // unique local fc00::/7
            }
            boolean mapped = true; // ::ffff:a.b.c.d carries an IPv4 address: check that one
            for (int i = 0; i < 10; i++) {
                mapped &= b[i] == 0;
            }
            if (mapped && (b[10] & 0xFF) == 0xFF && (b[11] & 0xFF) == 0xFF) {
                try {
                    return isPublic(InetAddress.getByAddress(new byte[]{b[12], b[13], b[14], b[15]}));
                } catch (UnknownHostException e) {
                    return false;
                }
            }
        }
        return true;
    }
}
