#!/usr/bin/env bash
# Back up the marks database: one pg_dump in PostgreSQL's custom format (compressed, restorable table by table),
# written to a temporary name and renamed when complete, so a half-written dump never looks like a backup.
#   deploy/postgres/backup.sh DATABASE_URL BACKUP_DIR [KEEP_DAYS]
# Run it daily from a systemd timer or cron as a role that may read every table (the owner, or one granted
# pg_read_all_data), then copy BACKUP_DIR off the database host. Restore with deploy/postgres/restore.sh.
set -euo pipefail
url=${1:?usage: backup.sh DATABASE_URL BACKUP_DIR [KEEP_DAYS]}
folder=${2:?usage: backup.sh DATABASE_URL BACKUP_DIR [KEEP_DAYS]}
keep_days=${3:-35}
mkdir -p "$folder"
name="appointee-portal-$(date -u +%Y%m%dT%H%M%SZ).dump"
umask 077   # marks are personal data
pg_dump --format=custom --compress=6 --no-password --file="$folder/.$name.partial" "$url"
# A dump that pg_restore cannot list is no backup: check before keeping it.
pg_restore --list "$folder/.$name.partial" >/dev/null
mv "$folder/.$name.partial" "$folder/$name"
find "$folder" -maxdepth 1 -name 'appointee-portal-*.dump' -mtime +"$keep_days" -delete
echo "backup: $folder/$name ($(du -h "$folder/$name" | cut -f1))"
