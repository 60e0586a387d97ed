DROP INDEX tasks_open;
ALTER TABLE tasks DROP COLUMN done;
