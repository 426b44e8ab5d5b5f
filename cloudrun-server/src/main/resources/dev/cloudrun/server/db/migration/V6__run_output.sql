-- Version 6: run history in the IDE. A run's output is kept (capped, CLOUDRUN_RUN_OUTPUT_KEEP_BYTES)
-- as one row written when the run ends: its chunks in the order the program wrote them, each with its
-- stream, as a JSON array ([{"stream": "stdout", "data": "..."}, ...]). Only the newest
-- CLOUDRUN_RUN_OUTPUT_KEEP_RUNS outputs of a project are kept (of a user's runs without a project,
-- as many), so the table does not grow without bound; the runs themselves stay in the history.
-- The run's entry file is recorded too, for the IDE's history list.

ALTER TABLE runs ADD COLUMN entry_path VARCHAR(512);

CREATE INDEX runs_by_project ON runs (project_id, started_at);

CREATE TABLE run_outputs (
    run_id      VARCHAR(64)   PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
    user_id     VARCHAR(36)   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id  VARCHAR(36),
    chunks      ${blob_type}  NOT NULL,
    kept_bytes  BIGINT        NOT NULL,
    truncated   INTEGER       NOT NULL,
    created_at  BIGINT        NOT NULL
);

CREATE INDEX run_outputs_by_project ON run_outputs (project_id, created_at);
CREATE INDEX run_outputs_by_user ON run_outputs (user_id, project_id, created_at);
