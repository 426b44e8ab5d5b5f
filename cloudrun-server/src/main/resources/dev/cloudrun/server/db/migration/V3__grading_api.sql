-- Version 3: the grading API for machine clients. API keys (the secret is stored as its SHA-256
-- only), problems (a test suite kept as its suite document, JSON), submissions (a durable queue:
-- a row is stored before the client hears 202; nodes claim rows with a lease, in fair-queue ticket
-- order), the per-case results that the event stream replays, and every callback attempt.

CREATE TABLE api_keys (
    id            VARCHAR(36)  PRIMARY KEY,
    user_id       VARCHAR(36)  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          VARCHAR(100) NOT NULL,
    scopes        VARCHAR(64)  NOT NULL,
    secret_hash   VARCHAR(64)  NOT NULL,
    created_at    BIGINT       NOT NULL,
    last_used_at  BIGINT,
    revoked_at    BIGINT
);

CREATE INDEX api_keys_by_user ON api_keys (user_id);

CREATE TABLE problems (
    id          VARCHAR(36)  PRIMARY KEY,
    owner_id    VARCHAR(36)  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        VARCHAR(200) NOT NULL,
    version     INTEGER      NOT NULL,
    format      VARCHAR(8)   NOT NULL,
    suite       ${blob_type} NOT NULL,
    case_count  INTEGER      NOT NULL,
    max_score   DOUBLE PRECISION NOT NULL,
    created_at  BIGINT       NOT NULL,
    updated_at  BIGINT       NOT NULL
);

CREATE INDEX problems_by_owner ON problems (owner_id, created_at);

CREATE TABLE submissions (
    id                 VARCHAR(36)   PRIMARY KEY,
    user_id            VARCHAR(36)   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key_id             VARCHAR(36)   NOT NULL,
    problem_id         VARCHAR(36),
    suite              ${blob_type},
    language           VARCHAR(64)   NOT NULL,
    source             ${blob_type}  NOT NULL,
    files              ${blob_type},
    callback_url       VARCHAR(2000),
    status             VARCHAR(16)   NOT NULL,
    ticket             BIGINT        NOT NULL,
    attempts           INTEGER       NOT NULL,
    lease_owner        VARCHAR(100),
    lease_until        BIGINT,
    graded_by          VARCHAR(100),
    verdict            VARCHAR(32),
    score              DOUBLE PRECISION,
    max_score          DOUBLE PRECISION,
    report             ${blob_type},
    message            VARCHAR(1000),
    created_at         BIGINT        NOT NULL,
    started_at         BIGINT,
    finished_at        BIGINT,
    callback_state     VARCHAR(16),
    callback_attempts  INTEGER       NOT NULL,
    callback_next_at   BIGINT
);

CREATE INDEX submissions_queue ON submissions (status, ticket);
CREATE INDEX submissions_by_user ON submissions (user_id, created_at);
CREATE INDEX submissions_by_key ON submissions (key_id, created_at);
CREATE INDEX submissions_by_key_ticket ON submissions (key_id, ticket);
CREATE INDEX submissions_callbacks ON submissions (callback_state, callback_next_at);

-- The fair queue's clock: the highest ticket any node has claimed. A new submission's ticket is one
-- more than the larger of this and its key's last ticket, so a key that submits now is served next
-- to one whose batch of thousands is already waiting, not after it (start-time fair queuing).
CREATE TABLE grading_clock (
    id      INTEGER PRIMARY KEY,
    ticket  BIGINT  NOT NULL
);

INSERT INTO grading_clock (id, ticket) VALUES (1, 0);

CREATE TABLE submission_cases (
    submission_id  VARCHAR(36)   NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    attempt        INTEGER       NOT NULL,
    seq            INTEGER       NOT NULL,
    name           VARCHAR(200)  NOT NULL,
    verdict        VARCHAR(32)   NOT NULL,
    report         ${blob_type}  NOT NULL,
    PRIMARY KEY (submission_id, attempt, seq)
);

CREATE TABLE callback_attempts (
    submission_id  VARCHAR(36)   NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    attempt        INTEGER       NOT NULL,
    attempted_at   BIGINT        NOT NULL,
    status_code    INTEGER,
    error          VARCHAR(500),
    duration_ms    BIGINT        NOT NULL,
    PRIMARY KEY (submission_id, attempt)
);
