-- What the lease holder of an intent last reported with a lease extension: its
-- progress (JSON: a number 0..1 or a short text) and a checkpoint (any JSON) that
-- the next claim of the intent hands back, so a new worker resumes where the last
-- one stopped. A side table keyed by the intent: the intents table is not
-- rewritten, and claiming an intent that has no checkpoint costs one index miss.
-- Rows go with their intent at retention (the foreign key) and are cleared when it
-- is fulfilled (the trigger): a finished intent has nothing left to resume. A
-- failed, dead or cancelled intent keeps its row, for the retry or a requeue.
CREATE TABLE intent_progress (
    intent_seq BIGINT PRIMARY KEY REFERENCES intents (seq) ON DELETE CASCADE,
    progress BYTEA,
    checkpoint BYTEA,
    updated_at DOUBLE PRECISION NOT NULL
);

CREATE FUNCTION intent_progress_clear() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM intent_progress WHERE intent_seq = NEW.seq;
    RETURN NULL;
END
$$;

CREATE TRIGGER intent_progress_fulfilled AFTER UPDATE OF status ON intents
    FOR EACH ROW WHEN (NEW.status = 'fulfilled')
    EXECUTE FUNCTION intent_progress_clear();
