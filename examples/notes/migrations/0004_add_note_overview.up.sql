-- Listing open notes, newest first, is the common query: index it.
CREATE INDEX notes_done_created_at ON notes (done, created_at);

-- One row per note with its tags, comma-separated and sorted.
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
