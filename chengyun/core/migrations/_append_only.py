"""SQL of the audit log's append-only triggers (used by migration 0002 and the test suite)."""
SQLITE_NO_UPDATE = """CREATE TRIGGER IF NOT EXISTS core_auditentry_no_update BEFORE UPDATE ON core_auditentry
   BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END"""
SQLITE_NO_DELETE = """CREATE TRIGGER IF NOT EXISTS core_auditentry_no_delete BEFORE DELETE ON core_auditentry
   BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END"""
