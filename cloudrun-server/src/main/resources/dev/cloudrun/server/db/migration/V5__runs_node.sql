-- Which server node started a run: with several nodes on one PostgreSQL database, a node that starts
-- marks only its own runs (and those nobody can have been running for a while) as interrupted.
ALTER TABLE runs ADD COLUMN node_id VARCHAR(128);
