-- Version 4: the Judge0 compatible API (docs/compat.md, "Judge0"). A submission is stored before the
-- client hears its token, so that GET /judge0/submissions/{token} answers from any node and after a
-- restart. Nodes claim rows In Queue (1) by a compare-and-set to Processing (2) with a lease; a lease
-- that runs out (its node died) puts the row back in the queue. The request and the result are JSON
-- (texts inside them base64), the attached zip is kept as sent.

CREATE TABLE judge0_submissions (
    token             VARCHAR(36)   PRIMARY KEY,
    owner_id          VARCHAR(200)  NOT NULL,
    key_id            VARCHAR(36),
    address           VARCHAR(200)  NOT NULL,
    language_id       INTEGER       NOT NULL,
    status_id         INTEGER       NOT NULL,
    request           ${blob_type}  NOT NULL,
    additional_files  ${blob_type},
    result            ${blob_type},
    callback_url      VARCHAR(2000),
    lease_owner       VARCHAR(100),
    lease_until       BIGINT,
    created_at        BIGINT        NOT NULL,
    started_at        BIGINT,
    finished_at       BIGINT
);

CREATE INDEX judge0_submissions_queue ON judge0_submissions (status_id, created_at);
CREATE INDEX judge0_submissions_by_owner ON judge0_submissions (owner_id, status_id);
