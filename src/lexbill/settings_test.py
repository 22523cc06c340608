"""Settings for the test suite: the database comes from LEXBILL_TEST_DATABASE_URL.

Unset, tests run on SQLite; CI runs the suite once more with PostgreSQL's URL.
"""

import os

os.environ.setdefault("LEXBILL_SECRET_KEY", "test-only-secret-key-not-for-production")

import dj_database_url

from lexbill.settings import *  # noqa: F403
from lexbill.settings import DATA_DIR

_url = os.environ.get("LEXBILL_TEST_DATABASE_URL") or f"sqlite:///{DATA_DIR / 'test.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(_url)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 30}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Still Argon2 (hashes start "argon2$", log-in verifies them), at the cheapest parameters: the
# production cost (0.15 s a hash) spent on five users per test was half of the suite's time.
PASSWORD_HASHERS = ["lexbill.test_hashers.CheapArgon2PasswordHasher"]

# Many tests travel days or months in time with one logged-in client; the session limits would
# log them out. tests/app/test_hardening.py puts the production limits back to test them.
SESSION_IDLE_TIMEOUT = 400 * 24 * 3600
SESSION_COOKIE_AGE = 400 * 24 * 3600
