-- Notes become todo items: whether and when each was done.
-- Existing notes are open (done = 0).
ALTER TABLE notes ADD COLUMN done INTEGER NOT NULL DEFAULT 0;
ALTER TABLE notes ADD COLUMN done_at TEXT;
