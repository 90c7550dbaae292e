#!/usr/bin/env bash
# Bytes per submitted response, by table and index, of a database filled by `dxready seed-demo`:
#
#   bench/storage.sh 'sqlite:///tmp/d.db?mode=rwc'      # SQLite: dbstat (pages in use per object)
#   bench/storage.sh postgres://postgres@127.0.0.1:5432/d   # PostgreSQL: pg_total_relation_size
#
# Needs sqlite3 (built with dbstat, as Debian's is) or psql. Reads only.
set -euo pipefail
url=${1:?usage: bench/storage.sh DATABASE_URL}
case "$url" in
  sqlite:*)
    file=${url#sqlite://}; file=${file%%\?*}
    sqlite3 "$file" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
    n=$(sqlite3 "$file" "SELECT COUNT(*) FROM response WHERE status = 'submitted'")
    echo "responses: $n; file $(stat -c %s "$file") bytes = $(( $(stat -c %s "$file") / n )) bytes per response"
    sqlite3 -separator $'\t' "$file" "
      SELECT name, SUM(pgsize) AS bytes, SUM(pgsize) / $n AS per_response,
             ROUND(100.0 * SUM(pgsize - unused) / SUM(pgsize)) AS used_pct
      FROM dbstat GROUP BY name ORDER BY bytes DESC" \
      | awk -F'\t' 'BEGIN { printf "%-40s %14s %12s %6s\n", "table or index", "bytes", "per response", "used" }
                    { printf "%-40s %14d %12d %5d%%\n", $1, $2, $3, $4 }'
    ;;
  postgres*)
    n=$(psql -At "$url" -c "SELECT COUNT(*) FROM response WHERE status = 'submitted'")
    echo "responses: $n; database $(psql -At "$url" -c "SELECT pg_database_size(current_database())") bytes"
    psql "$url" -c "
      SELECT c.relname AS table, pg_total_relation_size(c.oid) AS total_bytes,
             pg_total_relation_size(c.oid) / $n AS per_response,
             pg_indexes_size(c.oid) / $n AS of_which_indexes
      FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
      WHERE c.relkind = 'r' AND s.nspname = 'public'
      UNION ALL
      SELECT 'ALL', SUM(pg_total_relation_size(c.oid)), SUM(pg_total_relation_size(c.oid)) / $n,
             SUM(pg_indexes_size(c.oid)) / $n
      FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
      WHERE c.relkind = 'r' AND s.nspname = 'public'
      ORDER BY 2 DESC"
    ;;
  *) echo "unknown database URL" >&2; exit 2 ;;
esac
