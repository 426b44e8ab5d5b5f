-- CloudRun server schema, version 1. Runs unchanged on SQLite and PostgreSQL: ids are text,
-- times are epoch milliseconds, booleans are 0/1 integers; ${blob_type} is BLOB or BYTEA.

CREATE TABLE users (
    id             VARCHAR(36)  PRIMARY KEY,
    username       VARCHAR(64),
    username_key   VARCHAR(64)  UNIQUE,
    email          VARCHAR(254) UNIQUE,
    password_hash  VARCHAR(255),
    guest          INTEGER      NOT NULL,
    created_at     BIGINT       NOT NULL,
    upgraded_at    BIGINT
);

CREATE TABLE projects (
    id          VARCHAR(36)  PRIMARY KEY,
    owner_id    VARCHAR(36)  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        VARCHAR(200) NOT NULL,
    language    VARCHAR(64),
    entry_path  VARCHAR(512),
    created_at  BIGINT       NOT NULL,
    updated_at  BIGINT       NOT NULL,
    UNIQUE (owner_id, name)
);

CREATE TABLE project_files (
    project_id  VARCHAR(36)   NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    path        VARCHAR(512)  NOT NULL,
    kind        VARCHAR(8)    NOT NULL,
    content     ${blob_type},
    size_bytes  BIGINT        NOT NULL,
    updated_at  BIGINT        NOT NULL,
    PRIMARY KEY (project_id, path)
);

CREATE TABLE runs (
    id             VARCHAR(64)  PRIMARY KEY,
    user_id        VARCHAR(36)  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id     VARCHAR(36),
    language       VARCHAR(64)  NOT NULL,
    via            VARCHAR(16)  NOT NULL,
    status         VARCHAR(32)  NOT NULL,
    exit_code      INTEGER,
    wall_time_ms   BIGINT,
    cpu_time_ms    BIGINT,
    memory_bytes   BIGINT,
    stdout_bytes   BIGINT,
    stderr_bytes   BIGINT,
    message        VARCHAR(1000),
    started_at     BIGINT       NOT NULL,
    finished_at    BIGINT
);

CREATE INDEX runs_by_user ON runs (user_id, started_at);
