CREATE TABLE posts (
    id      INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    body    TEXT NOT NULL
);
CREATE INDEX posts_user_id ON posts (user_id);
INSERT INTO users (id, name) VALUES (1, 'system');
INSERT INTO posts (user_id, body) VALUES (1, 'welcome');
