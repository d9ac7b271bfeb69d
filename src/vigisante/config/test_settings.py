"""Settings for the test suite: the real settings, with a throw-away data folder."""

import os
import tempfile

os.environ.setdefault("VIGISANTE_DATA_DIR", tempfile.mkdtemp(prefix="vigisante-test-"))
os.environ.setdefault("VIGISANTE_SECRET_KEY", "test-only-secret-key-not-for-production-use")

from vigisante.config.settings import *  # noqa: E402,F403

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Hashing strength is not under test; the default would cost seconds per login.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# WhiteNoise warns on every request when the collected-static folder does not exist.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
# Throttling counters per test process (the data folder may be shared by parallel runs).
CACHES["throttle"]["LOCATION"] = tempfile.mkdtemp(prefix="vigisante-throttle-")  # noqa: F405
