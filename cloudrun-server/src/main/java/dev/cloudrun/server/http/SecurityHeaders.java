package dev.cloudrun.server.http;

import jakarta.servlet.http.HttpServletResponse;

/**
 * The headers that keep browsers from misusing the server's responses. The IDE ({@code /}) may not
 * be framed by anyone ({@code frame-ancestors 'none'}, {@code X-Frame-Options: DENY}); its
 * Content-Security-Policy allows its own scripts and workers only (Monaco adds inline styles, hence
 * {@code style-src 'unsafe-inline'}), and frames only the preview page. The preview page
 * ({@link #PREVIEW_PATH}) shows a user's HTML, scripts included, so its policy is loose, but it is
 * always sandboxed without {@code allow-same-origin} (by the {@code sandbox} directive too, even
 * when opened directly): it runs with an opaque origin and cannot reach the IDE's token. API
 * answers are JSON and load nothing.
 */
public final class SecurityHeaders {
    /** The page the HTML preview's iframe loads. */
    public static final String PREVIEW_PATH = "/preview.html";

    /** The IDE's policy. */
    public static final String IDE_POLICY = String.join("; ",
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "worker-src 'self' blob:",
            "connect-src 'self'",
            "frame-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'");
    /** The preview page's policy: anything a user's page may load, in a sandbox, framed by the IDE only. */
    public static final String PREVIEW_POLICY = String.join("; ",
            "default-src * data: blob: 'unsafe-inline' 'unsafe-eval'",
            "sandbox allow-scripts allow-modals allow-forms",
            "frame-ancestors 'self'");
    /** The API's policy: JSON loads nothing. */
    public static final String API_POLICY = "default-src 'none'; frame-ancestors 'none'; sandbox";

    private SecurityHeaders() { }

    /**
     * Sets the headers for a response.
     *
     * @param path the request's path
     * @param response the response
     */
    public static void apply(String path, HttpServletResponse response) {
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setHeader("Referrer-Policy", "no-referrer");
        if (path.equals(PREVIEW_PATH)) {
            response.setHeader("Content-Security-Policy", PREVIEW_POLICY);
            response.setHeader("X-Frame-Options", "SAMEORIGIN");
            return;
        }
        response.setHeader("X-Frame-Options", "DENY");
        boolean api = path.startsWith("/api/") || path.equals("/api") || path.startsWith("/ws/");
        response.setHeader("Content-Security-Policy", api ? API_POLICY : IDE_POLICY);
    }
}
