"""Argon2id with the OWASP-recommended cost (19 MiB, 2 passes, 1 lane).

Django's default (100 MiB, 8 lanes) costs about 0.4 s per hash on a 2-core server, which caps sign-ins
and OAuth token requests near 2–3 per second per machine (docs/benchmarks.md). The OWASP parameters
keep Argon2id's memory-hard protection at a cost a provincial platform's sign-in load can carry. The
algorithm name stays "argon2", so existing hashes still verify and are upgraded on the next sign-in.
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class OwaspArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19456  # KiB
    parallelism = 1
