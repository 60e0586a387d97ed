DROP VIEW note_overview;
DROP INDEX notes_done_created_at;
