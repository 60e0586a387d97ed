-- migrate: foreign-keys-off

-- `title` becomes NOT NULL and non-blank, `done` a checked 0/1 flag. SQLite
-- cannot change a column's constraints in place, so `notes` is rebuilt the
-- 12-step way: https://www.sqlite.org/lang_altertable.html#otheralter
-- Foreign keys are off (see the directive), so dropping `notes` neither fails
-- nor cascades to `note_tags`, whose references point at the new table once
-- it is renamed; the runtime runs PRAGMA foreign_key_check before commit.

-- The view refers to `notes`: SQLite would refuse the rename while it exists.
DROP VIEW note_overview;

CREATE TABLE new_notes (
    id         INTEGER PRIMARY KEY,
    title      TEXT NOT NULL CHECK (length(trim(title)) > 0),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    done       INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1)),
    done_at    TEXT CHECK (done_at IS NULL OR done = 1)
);

-- Blank titles, which the old table allowed, get a placeholder; any true
-- value of `done` becomes 1.
INSERT INTO new_notes (id, title, created_at, done, done_at)
SELECT
    id,
    coalesce(nullif(trim(title), ''), '(untitled)'),
    created_at,
    done <> 0,
    CASE WHEN done <> 0 THEN done_at END
FROM notes;

DROP TABLE notes;

ALTER TABLE new_notes RENAME TO notes;

-- Dropping the table dropped its index: recreate it, then the view.
CREATE INDEX notes_done_created_at ON notes (done, created_at);

CREATE VIEW note_overview AS
SELECT
    notes.id,
    notes.title,
    notes.done,
    notes.created_at,
    (
        SELECT group_concat(tags.name, ',' ORDER BY tags.name)
        FROM note_tags
        JOIN tags ON tags.id = note_tags.tag_id
        WHERE note_tags.note_id = notes.id
    ) AS tags
FROM notes;
