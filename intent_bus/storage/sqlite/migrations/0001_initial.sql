-- The initial Intent Bus schema: keys, intents, replay protection, rate windows, KV.
-- Invariants live here as named CHECK constraints so that a bug fails loudly.

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    secret TEXT NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at REAL NOT NULL,
    revoked_at REAL,
    CONSTRAINT api_keys_role_known CHECK (role IN ('admin', 'tenant'))
);

CREATE TABLE intents (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    goal TEXT NOT NULL,
    payload BLOB NOT NULL,
    namespace TEXT NOT NULL,
    visibility TEXT NOT NULL,
    priority INTEGER NOT NULL,
    run_at REAL NOT NULL,
    created_at REAL NOT NULL,
    max_attempts INTEGER NOT NULL,
    backoff_base REAL NOT NULL,
    target_worker TEXT,
    required_capability TEXT,
    status TEXT NOT NULL,
    claim_attempts INTEGER NOT NULL DEFAULT 0,
    claim_token TEXT,
    lease_expires_at REAL,
    worker_id TEXT,
    result BLOB,
    result_type TEXT,
    error TEXT,
    completed_at REAL,
    updated_at REAL NOT NULL,
    CONSTRAINT intents_priority_range CHECK (priority BETWEEN 0 AND 1000),
    CONSTRAINT intents_status_known
        CHECK (status IN ('open', 'claimed', 'fulfilled', 'dead')),
    CONSTRAINT intents_visibility_known CHECK (visibility IN ('private', 'public')),
    CONSTRAINT intents_attempts_positive CHECK (max_attempts >= 1),
    CONSTRAINT intents_terminal_has_completed_at
        CHECK (status NOT IN ('fulfilled', 'dead') OR completed_at IS NOT NULL),
    CONSTRAINT intents_live_has_no_completed_at
        CHECK (status NOT IN ('open', 'claimed') OR completed_at IS NULL),
    CONSTRAINT intents_claimed_has_lease
        CHECK (status <> 'claimed' OR (claim_token IS NOT NULL AND lease_expires_at IS NOT NULL))
);

-- The claim walks one of these in (priority DESC, run_at, seq) order and stops at
-- the first due, matching row: private intents of one (owner, namespace), with or
-- without a goal, and public intents, with or without a goal or a publisher.
CREATE INDEX intents_claim_private
    ON intents (owner, namespace, priority DESC, run_at, seq)
    WHERE status = 'open' AND visibility = 'private';
CREATE INDEX intents_claim_private_goal
    ON intents (owner, namespace, goal, priority DESC, run_at, seq)
    WHERE status = 'open' AND visibility = 'private';
CREATE INDEX intents_claim_public
    ON intents (priority DESC, run_at, seq)
    WHERE status = 'open' AND visibility = 'public';
CREATE INDEX intents_claim_public_goal
    ON intents (goal, priority DESC, run_at, seq)
    WHERE status = 'open' AND visibility = 'public';
CREATE INDEX intents_claim_public_owner
    ON intents (owner, priority DESC, run_at, seq)
    WHERE status = 'open' AND visibility = 'public';

-- Reaping expired leases is a range probe over live leases only.
CREATE INDEX intents_lease_expiry
    ON intents (lease_expires_at)
    WHERE status = 'claimed';

-- Retention walks terminal intents by completion time; the dead-letter list too.
CREATE INDEX intents_completed
    ON intents (completed_at)
    WHERE completed_at IS NOT NULL;
CREATE INDEX intents_dead
    ON intents (completed_at)
    WHERE status = 'dead';

CREATE TABLE idempotency (
    key_id TEXT NOT NULL,
    key TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    status_code INTEGER NOT NULL,
    response BLOB NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (key_id, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_created ON idempotency (created_at);

CREATE TABLE nonces (
    key_id TEXT NOT NULL,
    nonce TEXT NOT NULL,
    seen_at REAL NOT NULL,
    PRIMARY KEY (key_id, nonce)
) WITHOUT ROWID;
CREATE INDEX nonces_seen ON nonces (seen_at);

CREATE TABLE rate_windows (
    key_id TEXT NOT NULL,
    window_start REAL NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (key_id, window_start)
) WITHOUT ROWID;

CREATE TABLE kv (
    owner TEXT NOT NULL,
    key TEXT NOT NULL,
    value BLOB NOT NULL,
    expires_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (owner, key)
) WITHOUT ROWID;
CREATE INDEX kv_expiry ON kv (expires_at);
