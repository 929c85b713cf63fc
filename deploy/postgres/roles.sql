-- PostgreSQL roles for the Appointee Portal: run once as a superuser (psql -f deploy/postgres/roles.sql), after
-- replacing the passwords. The portal connects as portal_app, which owns its tables (migrations run as it too);
-- it is no superuser and may not create databases or roles. Reports read through portal_readonly.
CREATE ROLE portal_app LOGIN PASSWORD 'CHANGE-ME-portal-app' NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE DATABASE appointee_portal OWNER portal_app ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE appointee_portal FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE appointee_portal TO portal_app;

-- Read-only access (reporting, the results system's analysts): no writes, ever.
CREATE ROLE portal_readonly LOGIN PASSWORD 'CHANGE-ME-portal-readonly' NOSUPERUSER NOCREATEDB NOCREATEROLE;
GRANT CONNECT ON DATABASE appointee_portal TO portal_readonly;
\connect appointee_portal
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO portal_readonly;
ALTER DEFAULT PRIVILEGES FOR ROLE portal_app IN SCHEMA public GRANT SELECT ON TABLES TO portal_readonly;

-- Backups (deploy/postgres/backup.sh) read everything and write nothing.
CREATE ROLE portal_backup LOGIN PASSWORD 'CHANGE-ME-portal-backup' NOSUPERUSER NOCREATEDB NOCREATEROLE;
GRANT CONNECT ON DATABASE appointee_portal TO portal_backup;
GRANT pg_read_all_data TO portal_backup;
