DROP INDEX tasks_owner;
ALTER TABLE tasks DROP COLUMN owner_id;
DROP TABLE owners;
