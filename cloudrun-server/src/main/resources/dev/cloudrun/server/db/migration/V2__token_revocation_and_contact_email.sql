-- Version 2: logout revokes a token by its id until the token would have expired anyway; and the
-- e-mail address a user typed is kept apart from the login address, so that registering with an
-- address another account already uses succeeds (without making it a login for the new account)
-- instead of telling the caller that the address has an account.

CREATE TABLE revoked_tokens (
    token_id    VARCHAR(64)  PRIMARY KEY,
    user_id     VARCHAR(36)  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at  BIGINT       NOT NULL
);

CREATE INDEX revoked_tokens_by_expiry ON revoked_tokens (expires_at);

ALTER TABLE users ADD COLUMN contact_email VARCHAR(254);
