"""Settings for the test suite: the same as production but fast and self-contained.

The database is the embedded SQLite unless CHENGYUN_DATABASE_URL points at PostgreSQL
(`make test` runs the suite once on each).
"""
import os
import tempfile

os.environ.setdefault("CHENGYUN_DATA_DIR", os.path.join(tempfile.gettempdir(), f"chengyun-test-{os.getpid()}"))
os.environ.setdefault("CHENGYUN_MODE", "test")
os.environ.setdefault("CHENGYUN_SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")

from chengyun.settings import *  # noqa: E402,F401,F403
from chengyun.settings import HUEY  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
HUEY = {**HUEY, "immediate": True, "huey_class": "huey.MemoryHuey"}
HUEY.pop("filename", None)
HUEY.pop("url", None)
# The second factor is tested where it is asked for (tests/people/test_mfa.py, override_settings);
# elsewhere tests sign administrators in with force_login and no authenticator app.
TWO_FACTOR_ROLES = frozenset()
