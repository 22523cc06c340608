"""What one client's e-billing system asks for beyond the LEDES format itself.

The same rules drive the writer (refuse to export what the client will reject) and the
validator (flag it in a file made elsewhere), so a profile is configured once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from lexbill.ledes.codes import TASK_CODE_SETS


@dataclass(frozen=True)
class ClientRules:
    """A client's e-billing requirements; the defaults are the LEDES format alone."""

    task_code_sets: frozenset[str] = frozenset()
    """UTBMS task code sets the client accepts (litigation, counseling, project, bankruptcy);
    empty accepts any. When set, every fee line needs a task code from one of them."""
    require_activity_code: bool = False
    """Fee lines must carry a UTBMS activity code (A101…)."""
    require_expense_code: bool = False
    """Expense lines must carry a UTBMS expense code (E101…)."""
    allow_task_code_on_expense: bool = False
    """Some systems take a task code on expense lines; by default it is refused as misplaced."""
    invoice_number_pattern: str | None = None
    """A regular expression the whole invoice number must match, e.g. ``[A-Za-z0-9]{1,10}``."""
    invoice_number_rule: str = ""
    """The same rule in plain English, for the message ("at most 10 letters and digits")."""
    narrative_limit: int | None = None
    """Longest LINE_ITEM_DESCRIPTION the client takes; the writer cuts longer ones (reported)."""

    def __post_init__(self) -> None:
        unknown = set(self.task_code_sets) - TASK_CODE_SETS
        if unknown:
            raise ValueError(
                f"unknown UTBMS task code sets {sorted(unknown)}; "
                f"choose from {sorted(TASK_CODE_SETS)}"
            )
        if self.narrative_limit is not None and self.narrative_limit < 1:
            raise ValueError("narrative_limit must be at least 1")
        if self.invoice_number_pattern is not None:
            re.compile(self.invoice_number_pattern)

    @property
    def require_task_code(self) -> bool:
        return bool(self.task_code_sets)

    @cached_property
    def _invoice_number_regex(self) -> re.Pattern[str] | None:
        if self.invoice_number_pattern is None:
            return None
        return re.compile(self.invoice_number_pattern)

    def invoice_number_problem(self, number: str) -> str | None:
        """Why ``number`` breaks the client's invoice-number rule, or ``None`` if it does not."""
        regex = self._invoice_number_regex
        if regex is None or regex.fullmatch(number):
            return None
        rule = self.invoice_number_rule or f"must match {self.invoice_number_pattern}"
        return f"invoice number {number!r} breaks the client's rule: {rule}"
