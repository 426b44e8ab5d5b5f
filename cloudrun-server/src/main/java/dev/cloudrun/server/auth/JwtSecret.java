package dev.cloudrun.server.auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key tokens are signed with: {@code CLOUDRUN_JWT_SECRET} when set, otherwise 48 random bytes
 * generated on first start and kept in {@code DATA_DIR/jwt-secret} (readable by the owner only),
 * so tokens survive restarts on a machine with no configuration.
 */
public final class JwtSecret {
    private static final Logger LOG = LoggerFactory.getLogger(JwtSecret.class);
    private static final String FILE_NAME = "jwt-secret";

    private JwtSecret() { }

    /**
     * Loads or creates the secret.
     *
     * @param configured {@code CLOUDRUN_JWT_SECRET}, if set
     * @param dataDir where a generated secret is kept
     * @return the key bytes
     */
    public static byte[] load(Optional<String> configured, Path dataDir) {
        if (configured.isPresent()) {
            byte[] secret = configured.get().getBytes(StandardCharsets.UTF_8);
            if (secret.length < 32) {
                LOG.warn("CLOUDRUN_JWT_SECRET is shorter than 32 bytes; use a longer random secret (production refuses it)");
            }
            return secret;
        }
        Path file = dataDir.resolve(FILE_NAME);
        try {
            Files.createDirectories(dataDir);
            if (!Files.exists(file)) {
                byte[] random = new byte[48];
                new SecureRandom().nextBytes(random);
                Path temporary = Files.createTempFile(dataDir, FILE_NAME, ".tmp");
                try {
                    Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rw-------"));
                } catch (UnsupportedOperationException e) {
                    // Not a POSIX file system: the directory's permissions apply.
                }
                Files.writeString(temporary, Base64.getEncoder().encodeToString(random));
                try {
                    Files.move(temporary, file);
                    LOG.info("generated a JWT secret in {}", file);
                } catch (FileAlreadyExistsException e) {
                    Files.deleteIfExists(temporary);
                }
            }
            return Files.readString(file).trim().getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the JWT secret " + file, e);
        }
    }
}
