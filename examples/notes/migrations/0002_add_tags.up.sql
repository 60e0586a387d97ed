-- Tags, and which notes carry them. Tag names are unique without regard to case.
CREATE TABLE tags (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE
);

-- The primary key indexes note_id; tag_id gets its own index so that
-- "notes with tag T" and deleting a tag do not scan the table.
CREATE TABLE note_tags (
    note_id INTEGER NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
    tag_id  INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (note_id, tag_id)
) WITHOUT ROWID;

CREATE INDEX note_tags_tag_id ON note_tags (tag_id);
