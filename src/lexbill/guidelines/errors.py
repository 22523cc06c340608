"""Why a guideline document cannot be loaded, as one error listing every problem in it.

A billing specialist fixing a client's guideline file wants every bad rule and parameter named at
once (as the LEDES validator does for files), not one error per attempt; and a document with any
problem is refused whole, so nothing is ever half-loaded.
"""

from __future__ import annotations

from collections.abc import Sequence

from lexbill.core.errors import LexbillError

_SHOWN = 10


class GuidelineError(LexbillError):
    """A guideline document (or its YAML text) is invalid; ``problems`` lists every reason.

    Each problem names where it is: the YAML line for a syntax error, otherwise the rule by index
    and id (``rules[3] 'rate-cap'``) and the parameter (``caps[1].max_rate``).
    """

    def __init__(
        self,
        problems: Sequence[str],
        *,
        source: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        shown = "; ".join(self.problems[:_SHOWN])
        more = f"; and {count - _SHOWN} more" if count > _SHOWN else ""
        noun = "problem" if count == 1 else "problems"
        super().__init__(
            f"invalid guideline document ({count} {noun}): {shown}{more}",
            source=source,
            line=line,
            field=field,
        )

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (self.problems, self.source, self.line, self.field))


def _rebuild(
    problems: tuple[str, ...], source: str | None, line: int | None, field: str | None
) -> GuidelineError:
    return GuidelineError(problems, source=source, line=line, field=field)
