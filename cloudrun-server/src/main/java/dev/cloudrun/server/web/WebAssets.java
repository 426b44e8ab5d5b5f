package dev.cloudrun.server.web;

import io.javalin.config.JavalinConfig;
import io.javalin.http.staticfiles.Location;

/**
 * Serves the browser IDE: the {@code cloudrun-web} jar's {@code cloudrun-web/} classpath folder at
 * {@code /}.
 */
public final class WebAssets {
    /** The classpath folder holding the IDE's files. */
    public static final String CLASSPATH_FOLDER = "/cloudrun-web";

    private WebAssets() { }

    /**
     * Adds the static files to the configuration.
     *
     * @param config Javalin's configuration
     */
    public static void configure(JavalinConfig config) {
        config.staticFiles.add(files -> {
            files.hostedPath = "/";
            files.directory = CLASSPATH_FOLDER;
            files.location = Location.CLASSPATH;
            files.headers = java.util.Map.of("X-Content-Type-Options", "nosniff", "Cache-Control", "no-cache");
        });
    }
}
