package dev.cloudrun.server.keys;

import java.util.Set;

/**
 * An API key as the server keeps it: never its secret, only the secret's hash, which stays in
 * {@link ApiKeyRepository}.
 *
 * @param id the key's id, also the visible part of the token ({@code cr_<id>_<secret>})
 * @param userId the user who made it and whose problems and submissions it reaches
 * @param name the owner's label for it
 * @param scopes what it may do
 * @param createdAtMillis when it was made
 * @param lastUsedAtMillis when it last authenticated a request (to the minute), null if never
 */
public record ApiKey(String id, String userId, String name, Set<ApiKeyScope> scopes, long createdAtMillis,
        Long lastUsedAtMillis) {

    public ApiKey {
        scopes = Set.copyOf(scopes);
    }

    /**
     * @param scope a scope
     * @return whether this key has it
     */
    public boolean allows(ApiKeyScope scope) {
        return scopes.contains(scope);
    }

    /** @return the prefix of the token shown in lists, enough to tell keys apart */
    public String prefix() {
        return ApiKeyTokens.PREFIX + id;
    }
}
