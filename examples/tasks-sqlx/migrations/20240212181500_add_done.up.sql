ALTER TABLE tasks ADD COLUMN done INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1));
CREATE INDEX tasks_open ON tasks (done, id);
