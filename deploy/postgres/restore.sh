#!/usr/bin/env bash
# Restore a backup made by deploy/postgres/backup.sh into an EMPTY database, in one transaction: it either
# restores completely or changes nothing. Create the database first, as a superuser (portal_app may not):
#   psql -c 'CREATE DATABASE appointee_portal_restored OWNER portal_app'
#   deploy/postgres/restore.sh DUMP_FILE TARGET_DATABASE_URL
# Then check it as the portal would: DATABASE_URL=TARGET ... flask --app wsgi portal doctor (the schema must be at
# head), and point DATABASE_URL at it. Objects are owned by the role that restores (--no-owner), so restore as
# the portal's own role.
set -euo pipefail
dump=${1:?usage: restore.sh DUMP_FILE TARGET_DATABASE_URL}
url=${2:?usage: restore.sh DUMP_FILE TARGET_DATABASE_URL}
pg_restore --list "$dump" >/dev/null
pg_restore --single-transaction --exit-on-error --no-owner --no-privileges --no-password --dbname="$url" "$dump"
echo "restore: $dump restored into $(echo "$url" | sed -E 's#://([^:/@]+):[^@]*@#://\1:******@#')"
