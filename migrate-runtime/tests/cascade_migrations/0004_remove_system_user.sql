-- Its posts go with it: posts.user_id is ON DELETE CASCADE.
DELETE FROM users WHERE name = 'system';
