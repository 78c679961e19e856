"""SQL of the audit log's append-only triggers (used by migration 0002 and the test suite)."""
SQLITE_NO_UPDATE = """CREATE TRIGGER IF NOT EXISTS core_auditentry_no_update BEFORE UPDATE ON core_auditentry
   BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END"""
SQLITE_NO_DELETE = """CREATE TRIGGER IF NOT EXISTS core_auditentry_no_delete BEFORE DELETE ON core_auditentry
   BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END"""
# From migration 0003: only entries covered by a retention anchor may be deleted (the purge).
SQLITE_NO_DELETE_ANCHORED = """CREATE TRIGGER IF NOT EXISTS core_auditentry_no_delete BEFORE DELETE ON core_auditentry
   WHEN OLD.seq IS NULL OR NOT EXISTS (SELECT 1 FROM core_auditanchor a WHERE a.seq >= OLD.seq)
   BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END"""
POSTGRES_FUNCTION_ANCHORED = """CREATE OR REPLACE FUNCTION core_auditentry_append_only() RETURNS trigger AS $$
   BEGIN
     IF TG_OP = 'DELETE' AND OLD.seq IS NOT NULL AND EXISTS (SELECT 1 FROM core_auditanchor a WHERE a.seq >= OLD.seq) THEN
       RETURN OLD;
     END IF;
     RAISE EXCEPTION 'audit entries are append-only';
   END; $$ LANGUAGE plpgsql"""
