-- migrate: no-transaction
VACUUM;
