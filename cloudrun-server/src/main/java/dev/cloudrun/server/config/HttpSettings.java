package dev.cloudrun.server.config;

import dev.cloudrun.server.http.ClientAddress;
import java.util.List;

/**
 * Where the server listens and whom it believes.
 *
 * @param host the address to listen on ({@code CLOUDRUN_HOST}; {@code 0.0.0.0} for every interface)
 * @param port the port ({@code CLOUDRUN_PORT}; 0 picks a free one)
 * @param corsOrigins extra allowed browser origins ({@code CLOUDRUN_CORS_ORIGINS}; {@code *} for all)
 * @param allowedHosts extra host names the server answers to ({@code CLOUDRUN_ALLOWED_HOSTS}; {@code *} for any)
 * @param clientAddress how to tell a client's address, behind the proxies of {@code CLOUDRUN_TRUSTED_PROXIES}
 */
public record HttpSettings(String host, int port, List<String> corsOrigins, List<String> allowedHosts,
        ClientAddress clientAddress) {

    /** Copies the list. */
    public HttpSettings {
        corsOrigins = List.copyOf(corsOrigins);
        allowedHosts = List.copyOf(allowedHosts);
    }

    static HttpSettings from(SettingValues values) {
        return new HttpSettings(values.get(Settings.HOST), values.get(Settings.PORT), values.get(Settings.CORS_ORIGINS),
                values.get(Settings.ALLOWED_HOSTS),
                values.get(Settings.TRUSTED_PROXIES));
    }
}
