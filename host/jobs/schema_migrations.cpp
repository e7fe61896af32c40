#include "jobs/schema_migrations.hpp"

namespace relais::host {

// Numbered migrations, applied in order in one transaction at open. Never edit one that has
// shipped: add the next. STRICT tables make SQLite enforce the column types.
const std::array<Migration, kMigrationCount> kMigrations = {
    Migration{1, R"sql(
CREATE TABLE jobs (
    -- AUTOINCREMENT: an id is never reused, even after the newest jobs are purged, since
    -- ERPs keep job ids.
    id                        INTEGER PRIMARY KEY AUTOINCREMENT,
    connector                 TEXT NOT NULL,
    action                    TEXT NOT NULL,
    input                     TEXT NOT NULL CONSTRAINT input_is_json CHECK (json_valid(input)),
    idempotency_key           TEXT,
    state                     TEXT NOT NULL CHECK (state IN
                                  ('queued', 'running', 'succeeded', 'failed_retrying', 'dead', 'cancelled')),
    attempts                  INTEGER NOT NULL DEFAULT 0,
    max_attempts              INTEGER NOT NULL CHECK (max_attempts >= 1),
    priority                  INTEGER NOT NULL DEFAULT 0,
    run_at                    INTEGER NOT NULL,
    created_at                INTEGER NOT NULL,
    updated_at                INTEGER NOT NULL,
    lease_owner               TEXT,
    lease_expires_at          INTEGER,
    cancel_requested          INTEGER NOT NULL DEFAULT 0,
    result                    TEXT CONSTRAINT result_is_json CHECK (result IS NULL OR json_valid(result)),
    last_error_class          TEXT,
    last_error_message        TEXT,
    last_error_detail         TEXT,
    last_error_retry_after_ms INTEGER,
    callback_url              TEXT
) STRICT;

-- Idempotency: one job per (connector, key), forever. Jobs without a key are not indexed.
CREATE UNIQUE INDEX jobs_idempotency ON jobs (connector, idempotency_key) WHERE idempotency_key IS NOT NULL;
-- The claim: only runnable jobs, already in claim order (the rowid, i.e. id, ends every
-- index), so a claim reads the first row that passes the run_at and connector filters.
CREATE INDEX jobs_runnable ON jobs (priority DESC, run_at) WHERE state IN ('queued', 'failed_retrying');
-- Listing newest first (keyset on created_at, id), alone or by state or connector; counts;
-- and the rescue of expired leases (state = 'running': no more rows than there are workers).
CREATE INDEX jobs_created ON jobs (created_at);
CREATE INDEX jobs_state_created ON jobs (state, created_at);
CREATE INDEX jobs_connector_created ON jobs (connector, created_at);

CREATE TABLE attempts (
    job_id         INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    number         INTEGER NOT NULL,
    owner          TEXT NOT NULL,
    started_at     INTEGER NOT NULL,
    finished_at    INTEGER,
    outcome        TEXT,
    message        TEXT NOT NULL DEFAULT '',
    detail         TEXT,
    retry_after_ms INTEGER,
    PRIMARY KEY (job_id, number)
) STRICT, WITHOUT ROWID;

CREATE TABLE daily_usage (
    connector TEXT NOT NULL,
    day       TEXT NOT NULL,
    used      INTEGER NOT NULL,
    PRIMARY KEY (connector, day)
) STRICT, WITHOUT ROWID;

CREATE TABLE periodic_runs (
    connector   TEXT NOT NULL,
    task        TEXT NOT NULL,
    last_run_at INTEGER NOT NULL,
    PRIMARY KEY (connector, task)
) STRICT, WITHOUT ROWID;

CREATE TABLE plugin_state (
    plugin TEXT NOT NULL,
    key    TEXT NOT NULL,
    value  BLOB NOT NULL,
    PRIMARY KEY (plugin, key)
) STRICT, WITHOUT ROWID;
)sql"},
    // Callbacks survive a restart: a job with a callback_url that reaches a final state is
    // marked in the same statement (the trigger runs inside it), and unmarked once its
    // callback is delivered or given up.
    Migration{2, R"sql(
ALTER TABLE jobs ADD COLUMN callback_pending INTEGER NOT NULL DEFAULT 0;
CREATE INDEX jobs_callback_pending ON jobs (id) WHERE callback_pending = 1;
CREATE TRIGGER jobs_callback_due AFTER UPDATE OF state ON jobs
    WHEN NEW.callback_url IS NOT NULL AND NEW.state IN ('succeeded', 'dead', 'cancelled')
         AND OLD.state NOT IN ('succeeded', 'dead', 'cancelled')
BEGIN
    UPDATE jobs SET callback_pending = 1 WHERE id = NEW.id;
END;
)sql"},
    // Reserved numbers, one per concern being built: each is filled in by the change that
    // needs it, and stays a no-op until then.
    // 3: waiting jobs. A job of several steps waits between them ('waiting', with the
    // checkpoint its last step left and the number of steps done), may have an overall
    // deadline, may ask for a callback after each step, and may be woken while a step runs
    // (its next wait is then cut to nothing). SQLite cannot change a CHECK constraint, so
    // the table is rebuilt: new table, copy, drop, rename, then its indexes and trigger again
    // (dropping a table drops them). The store runs migrations with foreign keys off, so the
    // drop does not cascade to the attempts, which keep pointing at "jobs" by name.
    Migration{3, R"sql(
CREATE TABLE jobs_v3 (
    id                        INTEGER PRIMARY KEY AUTOINCREMENT,
    connector                 TEXT NOT NULL,
    action                    TEXT NOT NULL,
    input                     TEXT NOT NULL CONSTRAINT input_is_json CHECK (json_valid(input)),
    idempotency_key           TEXT,
    state                     TEXT NOT NULL CHECK (state IN
                                  ('queued', 'running', 'succeeded', 'failed_retrying', 'dead', 'cancelled',
                                   'waiting')),
    attempts                  INTEGER NOT NULL DEFAULT 0,
    max_attempts              INTEGER NOT NULL CHECK (max_attempts >= 1),
    priority                  INTEGER NOT NULL DEFAULT 0,
    run_at                    INTEGER NOT NULL,
    created_at                INTEGER NOT NULL,
    updated_at                INTEGER NOT NULL,
    lease_owner               TEXT,
    lease_expires_at          INTEGER,
    cancel_requested          INTEGER NOT NULL DEFAULT 0,
    result                    TEXT CONSTRAINT result_is_json CHECK (result IS NULL OR json_valid(result)),
    last_error_class          TEXT,
    last_error_message        TEXT,
    last_error_detail         TEXT,
    last_error_retry_after_ms INTEGER,
    callback_url              TEXT,
    callback_pending          INTEGER NOT NULL DEFAULT 0,
    checkpoint                TEXT CONSTRAINT checkpoint_is_json CHECK (checkpoint IS NULL OR json_valid(checkpoint)),
    step                      INTEGER NOT NULL DEFAULT 0,
    deadline_at               INTEGER,
    callback_progress         INTEGER NOT NULL DEFAULT 0,
    wake_requested            INTEGER NOT NULL DEFAULT 0
) STRICT;

-- AUTOINCREMENT's high mark goes with the dropped table: kept aside, so that the ids of
-- jobs purged before the upgrade are not given out again.
CREATE TEMP TABLE jobs_v3_sequence AS SELECT seq FROM sqlite_sequence WHERE name = 'jobs';
INSERT INTO jobs_v3 (id, connector, action, input, idempotency_key, state, attempts, max_attempts, priority,
                     run_at, created_at, updated_at, lease_owner, lease_expires_at, cancel_requested, result,
                     last_error_class, last_error_message, last_error_detail, last_error_retry_after_ms,
                     callback_url, callback_pending)
    SELECT id, connector, action, input, idempotency_key, state, attempts, max_attempts, priority,
           run_at, created_at, updated_at, lease_owner, lease_expires_at, cancel_requested, result,
           last_error_class, last_error_message, last_error_detail, last_error_retry_after_ms,
           callback_url, callback_pending
    FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_v3 RENAME TO jobs;
DELETE FROM sqlite_sequence WHERE name IN ('jobs', 'jobs_v3');
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'jobs', MAX(COALESCE((SELECT MAX(id) FROM jobs), 0), COALESCE((SELECT MAX(seq) FROM temp.jobs_v3_sequence), 0));
DROP TABLE temp.jobs_v3_sequence;

CREATE UNIQUE INDEX jobs_idempotency ON jobs (connector, idempotency_key) WHERE idempotency_key IS NOT NULL;
-- Waiting jobs are runnable once their run_at comes, like retries.
CREATE INDEX jobs_runnable ON jobs (priority DESC, run_at) WHERE state IN ('queued', 'failed_retrying', 'waiting');
CREATE INDEX jobs_created ON jobs (created_at);
CREATE INDEX jobs_state_created ON jobs (state, created_at);
CREATE INDEX jobs_connector_created ON jobs (connector, created_at);
CREATE INDEX jobs_callback_pending ON jobs (id) WHERE callback_pending = 1;
-- The housekeeper's search for unfinished jobs past their deadline: only those that have one.
CREATE INDEX jobs_deadline ON jobs (deadline_at)
    WHERE deadline_at IS NOT NULL AND state IN ('queued', 'failed_retrying', 'waiting');
CREATE TRIGGER jobs_callback_due AFTER UPDATE OF state ON jobs
    WHEN NEW.callback_url IS NOT NULL AND NEW.state IN ('succeeded', 'dead', 'cancelled')
         AND OLD.state NOT IN ('succeeded', 'dead', 'cancelled')
BEGIN
    UPDATE jobs SET callback_pending = 1 WHERE id = NEW.id;
END;
)sql"},
    // 4: plugin state with versions and expiry. A key's version starts at 1 and goes up at
    // every write (compare-and-set); the keys kept before versions existed are at 1.
    // expires_at (ms since the epoch) is NULL for a key kept until deleted; the housekeeper
    // finds the expired ones through their own index.
    Migration{4, R"sql(
ALTER TABLE plugin_state ADD COLUMN version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1);
ALTER TABLE plugin_state ADD COLUMN expires_at INTEGER;
CREATE INDEX plugin_state_expiry ON plugin_state (expires_at) WHERE expires_at IS NOT NULL;
)sql"},
    // 5: quota usage kept across restarts. Every grant of a rate window is a row, written
    // before the take returns, so that a restart reloads the windows that were running instead
    // of granting a second full window at once; expires_at is when the grant has left every
    // window of its take (the purge and the reload look no further). What the upstream said
    // (a pause, a remaining count until a reset) is one row per (connector, scope, key).
    Migration{5, R"sql(
CREATE TABLE quota_grants (
    connector  TEXT NOT NULL,
    scope      TEXT NOT NULL,
    key        TEXT NOT NULL,
    at         INTEGER NOT NULL,
    count      INTEGER NOT NULL CHECK (count >= 1),
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX quota_grants_expiry ON quota_grants (expires_at);
CREATE TABLE quota_reports (
    connector   TEXT NOT NULL,
    scope       TEXT NOT NULL,
    key         TEXT NOT NULL,
    reported_at INTEGER NOT NULL,
    pause_until INTEGER NOT NULL,
    remaining   INTEGER NOT NULL,
    reset_at    INTEGER NOT NULL,
    PRIMARY KEY (connector, scope, key)
) STRICT, WITHOUT ROWID;
)sql"},
    // 6: business events and their deliveries. seq is the cursor: AUTOINCREMENT, so a number
    // is never given twice, even after the newest events were purged. An endpoint's position
    // is the last event it has taken up (delivered, or recorded in event_deliveries); the
    // deliveries that needed more than one attempt are kept there with their state.
    Migration{6, R"sql(
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    connector TEXT NOT NULL,
    type TEXT NOT NULL,
    subject TEXT NOT NULL,
    data TEXT NOT NULL,
    dedupe_key TEXT,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX events_dedupe ON events (connector, dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX events_created ON events (created_at);
CREATE INDEX events_connector ON events (connector, seq);
CREATE TABLE event_endpoints (
    endpoint TEXT PRIMARY KEY,
    position INTEGER NOT NULL CHECK (position >= 0)
);
CREATE TABLE event_deliveries (
    endpoint TEXT NOT NULL,
    seq INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('retrying', 'delivered', 'failed')),
    attempts INTEGER NOT NULL CHECK (attempts >= 0),
    next_attempt_at INTEGER,
    last_error TEXT,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (endpoint, seq)
);
CREATE INDEX event_deliveries_due ON event_deliveries (endpoint, seq) WHERE state = 'retrying';
CREATE INDEX event_deliveries_state ON event_deliveries (state, updated_at);
)sql"},
};

}  // namespace relais::host
