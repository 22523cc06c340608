"""Hypothesis settings for the fuzz tests: bounded in CI, much longer with ``make fuzz``.

Every fuzz test feeds a parser or an importer arbitrary or mutated input and accepts only two
outcomes: a value, or a ``LexbillError`` naming what is wrong. The number of examples per test
comes from ``LEXBILL_FUZZ_EXAMPLES`` so the same tests are a quick gate in ``make test`` and a
long hunt locally; ``deadline`` is off because a 2-core CI machine shared with other jobs makes
per-example timings meaningless, and a slow example is not a wrong one.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

DEFAULT_EXAMPLES = 40
"""Per pure test: the whole folder then stays well under a minute per engine on 2 cores."""

EXAMPLES = int(os.environ.get("LEXBILL_FUZZ_EXAMPLES") or DEFAULT_EXAMPLES)

settings.register_profile(
    "lexbill-fuzz",
    max_examples=EXAMPLES,
    deadline=None,
    # print_blob: a failure prints ``@reproduce_failure(...)`` to paste over the test
    print_blob=True,
    derandomize=False,
    # too_slow / data_too_large: mutated real files are big by design; filter_too_much never
    # applies (no filtering strategies). function_scoped_fixture: the database tests use the
    # small_firm fixture once and undo every example themselves (see test_fuzz_imports_db.py).
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
)


def db_examples() -> int:
    """Database examples cost a savepoint and real writes: a quarter of the pure budget."""
    return max(5, EXAMPLES // 4)
