"""Argon2 at its cheapest parameters, for the test suite only (settings_test)."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class CheapArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 8  # KiB, Argon2's minimum for one lane
    parallelism = 1
