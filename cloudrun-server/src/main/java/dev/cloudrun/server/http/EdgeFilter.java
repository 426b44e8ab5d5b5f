package dev.cloudrun.server.http;

import io.javalin.http.ContentTooLargeResponse;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * What every request meets first, before routing, static files, WebSocket upgrades and
 * authentication, in this order:
 * <ol>
 *   <li>a {@code Host} the server does not answer to gets 421 ({@link HostPolicy}, DNS rebinding);</li>
 *   <li>a URL with a broken percent-escape ({@code %zz}, IIS's {@code %u002e}) gets 400 {@code invalid_path}
 *       naming {@code path}, instead of failing later when the router decodes it;</li>
 *   <li>a body declared larger than allowed gets 413 without being read; a body without a length
 *       (chunked) is counted as it is read and cut at the same limit, so no framing makes the
 *       server hold more than the limit in memory. {@code /api/auth/*} takes a much smaller limit:
 *       anybody may call it;</li>
 *   <li>the security headers ({@link SecurityHeaders}) go on the response.</li>
 * </ol>
 */
public final class EdgeFilter implements Filter {
    /** The body limit of the unauthenticated {@code /api/auth/*} endpoints. */
    public static final long AUTH_BODY_LIMIT = 64 * 1024;

    private final HostPolicy hosts;
    private final long bodyLimit;
    private final Map<String, Long> largerLimits;
    private final ErrorShapes tooLargeShapes;

    /**
     * Creates the filter.
     *
     * @param hosts the names the server answers to
     * @param bodyLimit the largest request body, in bytes
     * @param largerLimits the paths (prefixes) that take larger bodies, such as problem uploads
     * @param tooLargeShapes how a 413 is written on each path (the compatible APIs answer in their own shape)
     */
    public EdgeFilter(HostPolicy hosts, long bodyLimit, Map<String, Long> largerLimits, ErrorShapes tooLargeShapes) {
        this.hosts = hosts;
        this.bodyLimit = bodyLimit;
        this.largerLimits = Map.copyOf(largerLimits);
        this.tooLargeShapes = tooLargeShapes;
    }

    private long limitFor(String path) {
        if (path.startsWith("/api/auth/")) {
            return Math.min(AUTH_BODY_LIMIT, bodyLimit);
        }
        long limit = bodyLimit;
        for (Map.Entry<String, Long> larger : largerLimits.entrySet()) {
            if (path.startsWith(larger.getKey())) {
                limit = Math.max(limit, larger.getValue());
            }
        }
        return limit;
    }

    @Override
    public void doFilter(ServletRequest servletRequest, ServletResponse servletResponse, FilterChain chain)
            throws IOException, ServletException {
        HttpServletRequest request = (HttpServletRequest) servletRequest;
        HttpServletResponse response = (HttpServletResponse) servletResponse;
        String path = request.getRequestURI() == null ? "/" : request.getRequestURI();
        SecurityHeaders.apply(path, response);
        if (!hosts.allows(request.getHeader("Host"))) {
            refuse(response, 421, "host_not_allowed", "this server does not answer to the host "
                    + ApiError.shown(request.getHeader("Host")) + " (see CLOUDRUN_ALLOWED_HOSTS)", null);
            return;
        }
        if (!validEscapes(request.getRequestURI()) || !validEscapes(request.getQueryString())) {
            refuse(response, 400, "invalid_path", "the URL holds a '%' that is not followed by two hex digits", "path");
            return;
        }
        long limit = limitFor(path);
        long declared = request.getContentLengthLong();
        if (declared > limit) {
            response.setHeader("Connection", "close");
            write(response, 413, tooLargeShapes.body(path, "payload_too_large", "the request body is larger than " + limit
                    + " bytes", null));
            return;
        }
        if (declared >= 0) {
            chain.doFilter(request, response);
            return;
        }
        LimitedRequest limited = new LimitedRequest(request, limit);
        chain.doFilter(limited, response);
        if (limited.cut()) {
            endConnection(request, response);
        }
    }

    /**
     * After the 413 of a body without a length: Jetty would otherwise read and discard the rest of it, however
     * long the client goes on sending. The answer is flushed, the output half-closed (the client reads the whole
     * answer, then the end), and the connection dropped without reading further.
     */
    private static void endConnection(HttpServletRequest request, HttpServletResponse response) throws IOException {
        // Closing completes the answer (with its Content-Length) and sends it.
        response.getOutputStream().close();
        org.eclipse.jetty.server.Request base = org.eclipse.jetty.server.Request.getBaseRequest(request);
        if (base != null) {
            base.getHttpChannel().getEndPoint().shutdownOutput();
            base.getHttpChannel().abort(new IOException("the request body passed the limit"));
        }
    }

    private static boolean validEscapes(String text) {
        if (text == null) {
            return true;
        }
        for (int i = text.indexOf('%'); i >= 0; i = text.indexOf('%', i + 1)) {
            if (i + 2 >= text.length() || Character.digit(text.charAt(i + 1), 16) < 0 || Character.digit(text.charAt(i + 2), 16) < 0) {
                return false;
            }
        }
        return true;
    }

    private static void refuse(HttpServletResponse response, int status, String code, String message, String field)
            throws IOException {
        write(response, status, ErrorBody.of(code, message, field));
    }

    private static void write(HttpServletResponse response, int status, Object json) throws IOException {
        byte[] body = Json.write(json).getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.setContentType("application/json");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }

    /** A request whose body (of unknown length) fails with 413 once it passes the limit. */
    private static final class LimitedRequest extends HttpServletRequestWrapper {
        private final long limit;
        private LimitedInputStream limited;

        LimitedRequest(HttpServletRequest request, long limit) {
            super(request);
            this.limit = limit;
        }

        @Override
        public ServletInputStream getInputStream() throws IOException {
            if (limited == null) {
                limited = new LimitedInputStream(super.getInputStream(), limit);
            }
            return limited;
        }

        /** @return whether the body passed the limit */
        boolean cut() {
            return limited != null && limited.count > limit;
        }

        @Override
        public BufferedReader getReader() throws IOException {
            return new BufferedReader(new InputStreamReader(getInputStream(),
                    getCharacterEncoding() == null ? StandardCharsets.UTF_8.name() : getCharacterEncoding()));
        }
    }

    private static final class LimitedInputStream extends ServletInputStream {
        private final ServletInputStream in;
        private final long limit;
        private long count;

        LimitedInputStream(ServletInputStream in, long limit) {
            this.in = in;
            this.limit = limit;
        }

        @Override
        public int read() throws IOException {
            int next = in.read();
            if (next >= 0) {
                counted(1);
            }
            return next;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int read = in.read(buffer, offset, (int) Math.min(length, limit - count + 1));
            if (read > 0) {
                counted(read);
            }
            return read;
        }

        private void counted(int bytes) {
            count += bytes;
            if (count > limit) {
                // Unchecked, so that it reaches the exception mapper as a 413 whoever reads the body.
                throw new ContentTooLargeResponse("the request body is larger than " + limit + " bytes");
            }
        }

        @Override
        public boolean isFinished() {
            return in.isFinished();
        }

        @Override
        public boolean isReady() {
            return in.isReady();
        }

        @Override
        public void setReadListener(ReadListener listener) {
            in.setReadListener(listener);
        }
    }
}
