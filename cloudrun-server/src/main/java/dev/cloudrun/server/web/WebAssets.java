package dev.cloudrun.server.web;

import io.javalin.config.JavalinConfig;
import io.javalin.http.staticfiles.Location;

/**
 * Serves the browser IDE: the {@code cloudrun-web} jar's {@code cloudrun-web/} classpath folder at
 * {@code /}. The bundles under {@code /assets/} carry a content hash in their names, so browsers
 * keep them for a year without asking again; {@code index.html} is revalidated on every load, so
 * a new build is picked up at once. Javalin gzips what it serves when the browser accepts it.
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
        // First match wins: hashed bundles before the rest.
        config.staticFiles.add(files -> {
            files.hostedPath = "/assets";
            files.directory = CLASSPATH_FOLDER + "/assets";
            files.location = Location.CLASSPATH;
            files.headers = java.util.Map.of("X-Content-Type-Options", "nosniff",
                    "Cache-Control", "public, max-age=31536000, immutable");
        });
        config.staticFiles.add(files -> {
            files.hostedPath = "/";
            files.directory = CLASSPATH_FOLDER;
            files.location = Location.CLASSPATH;
            files.headers = java.util.Map.of("X-Content-Type-Options", "nosniff", "Cache-Control", "no-cache");
        });
    }
}
