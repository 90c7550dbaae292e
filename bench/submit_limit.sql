-- pgbench script: the statement that counts one public submission in the limit shared by every
-- instance on PostgreSQL (src/db/submit_limit.rs), for 100,000 client addresses.
--   psql "$URL" -c "CREATE TABLE submit_limit (client varchar(64) PRIMARY KEY, tat timestamptz NOT NULL)"
--   pgbench -n -M prepared -f bench/submit_limit.sql -c 1 -T 8 "$URL"
--   pgbench -n -M prepared -f bench/submit_limit.sql -c 16 -j 2 -T 8 "$URL"
\set c random(1, 100000)
INSERT INTO submit_limit (client, tat) VALUES ('203.0.' || :c, now() + make_interval(secs => 1.0)) ON CONFLICT (client) DO UPDATE SET tat = GREATEST(submit_limit.tat, now()) + make_interval(secs => 1.0) WHERE GREATEST(submit_limit.tat, now()) + make_interval(secs => 1.0) <= now() + make_interval(secs => 60.0) RETURNING tat;
