-- migrate: foreign-keys-off
-- The 12-step rebuild: users is a parent of posts, so it cannot be dropped
-- with foreign keys on.
CREATE TABLE users_new (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
INSERT INTO users_new (id, name) SELECT id, name FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
