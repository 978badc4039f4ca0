-- The read side of the control API: indexes for intent search and stats, the
-- pauses that claims obey, and the registry of workers.

-- Intent search walks one of these newest first (seq descending) and stops after
-- a page: each leading filter has its own index, the rest are checked on the rows
-- walked (a bounded number, see docs/PROTOCOL.md).
CREATE INDEX intents_search_owner ON intents (owner, seq);
CREATE INDEX intents_search_owner_status ON intents (owner, status, seq);
CREATE INDEX intents_search_owner_goal ON intents (owner, goal, seq);
CREATE INDEX intents_search_owner_namespace ON intents (owner, namespace, seq);
CREATE INDEX intents_search_owner_worker
    ON intents (owner, worker_id, seq)
    WHERE worker_id IS NOT NULL;

-- An id prefix is a range in byte order, whatever the database's collation.
CREATE INDEX intents_search_id ON intents (id COLLATE "C");

-- GET /stats counts intents per (owner, goal, namespace, status), and finds the
-- oldest open one, from this index alone.
CREATE INDEX intents_stats ON intents (owner, goal, namespace, status, created_at);

CREATE TABLE pauses (
    owner TEXT NOT NULL,
    namespace TEXT NOT NULL,
    goal TEXT NOT NULL,
    paused_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (owner, namespace, goal)
);

-- The workers registry: who claimed, with what, and when last; shared by every
-- replica, written at most every few seconds per worker.
CREATE TABLE workers (
    owner TEXT NOT NULL,
    worker_id TEXT NOT NULL,
    capabilities TEXT NOT NULL,
    goals TEXT NOT NULL,
    namespaces TEXT NOT NULL,
    client_version TEXT,
    last_seen DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (owner, worker_id)
);
CREATE INDEX workers_last_seen ON workers (last_seen);
