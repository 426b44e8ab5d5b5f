package dev.cloudrun.server.db;

import dev.cloudrun.server.config.ServerConfigException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A database location as users write it, turned into a JDBC URL and credentials. Accepted forms:
 * {@code jdbc:sqlite:PATH}, {@code sqlite:PATH}, {@code postgresql://USER:PASSWORD@HOST:PORT/DB?...}
 * (also {@code postgres://}) and {@code jdbc:postgresql://...}.
 *
 * @param kind which database
 * @param jdbcUrl the JDBC URL without credentials
 * @param user the user name, or null
 * @param password the password, or null
 */
public record DatabaseUrl(Kind kind, String jdbcUrl, String user, String password) {

    /** The supported databases. */
    public enum Kind {
        /** An embedded SQLite file. */
        SQLITE,
        /** A PostgreSQL server. */
        POSTGRESQL
    }

    /**
     * Parses a URL.
     *
     * @param url the URL
     * @return the parsed form
     * @throws ServerConfigException if the URL is not one of the accepted forms
     */
    public static DatabaseUrl parse(String url) {
        String lower = url.toLowerCase(Locale.ROOT);
        if (lower.startsWith("jdbc:sqlite:")) {
            return new DatabaseUrl(Kind.SQLITE, url, null, null);
        }
        if (lower.startsWith("sqlite:")) {
            return new DatabaseUrl(Kind.SQLITE, "jdbc:" + url, null, null);
        }
        if (lower.startsWith("jdbc:postgresql:")) {
            return new DatabaseUrl(Kind.POSTGRESQL, url, null, null);
        }
        if (lower.startsWith("postgresql://") || lower.startsWith("postgres://")) {
            URI uri = URI.create(url);
            String user = null;
            String password = null;
            if (uri.getRawUserInfo() != null) {
                String[] parts = uri.getRawUserInfo().split(":", 2);
                user = decode(parts[0]);
                password = parts.length > 1 ? decode(parts[1]) : null;
            }
            String hostPort = uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "");
            String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
            return new DatabaseUrl(Kind.POSTGRESQL, "jdbc:postgresql://" + hostPort + uri.getRawPath() + query, user, password);
        }
        throw new ServerConfigException("DATABASE_URL must start with jdbc:sqlite:, sqlite:, postgresql:// or jdbc:postgresql:, was '"
                + url.replaceAll(":[^:@/]*@", ":***@") + "'");
    }

    private static String decode(String text) {
        return URLDecoder.decode(text, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return kind + " " + jdbcUrl + (user != null ? " as " + user : "");
    }
}
