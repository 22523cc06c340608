"""Applying certain fixes: new line records, written down, never the inputs changed.

Several fixes may touch one line (a partner's rate above the cap on a travel entry that is also
off the increment). Each fix states a constraint (minutes at most, a multiple of the increment,
the rate at most, a share of the value), so they combine in one order whatever order they come
in: minutes, then rate and unit cost, then the value share and amount caps. The amount only ever
goes down: it is the lower of what the line billed and what the constraints allow, so applying
fixes can never raise a bill, and a write-down already on a line is kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from decimal import Decimal
from operator import attrgetter

from lexbill.core.errors import LexbillError
from lexbill.core.money import round_money
from lexbill.guidelines.model import Finding, Fix, FixKind, Line, LineKind
from lexbill.guidelines.pricing import proportion, share_of, time_value

_LINE_SLOTS: tuple[str, ...] = Line.__slots__
_line_values = attrgetter(*_LINE_SLOTS)
_SLOT_SETTERS = {name: getattr(Line, name).__set__ for name in _LINE_SLOTS}
"""Each field's slot written directly (a frozen dataclass refuses ``setattr``)."""


def line_with(line: Line, **changes: object) -> Line:
    """``dataclasses.replace`` for ``Line`` at a fraction of its cost (splits make many):
    every field copied by its slot, then the changed ones written over."""
    copy = object.__new__(Line)
    for set_slot, value in zip(_SLOT_SETTERS.values(), _line_values(line), strict=True):
        set_slot(copy, value)
    for name, value in changes.items():
        _SLOT_SETTERS[name](copy, value)
    return copy


def split_line(
    line: Line, narratives: Sequence[str], increment: int, currency: str
) -> tuple[Line, ...]:
    """One line per task, the time shared out in whole increments (earlier tasks get the odd
    ones) and the amount in proportion, rounded down with the remainder on the last part, so
    the parts add up to exactly the line.

    Part ids are ``<id>/1``, ``<id>/2``…; the user confirms or edits them before they replace
    the entry.
    """
    count = len(narratives)
    units = line.minutes // increment if increment > 0 else 0
    base, extra = divmod(units, count)
    minutes = [(base + (1 if index < extra else 0)) * increment for index in range(count)]
    minutes[-1] += line.minutes - sum(minutes)  # any time off the increment stays with the last
    parts: list[Line] = []
    spent = Decimal(0)
    for index, (narrative, part_minutes) in enumerate(zip(narratives, minutes, strict=True)):
        if index < count - 1:
            amount = proportion(line.amount, part_minutes, line.minutes, currency)
            spent += amount
        else:
            amount = line.amount - spent
        parts.append(
            line_with(
                line,
                id=f"{line.id}/{index + 1}",
                narrative=narrative,
                minutes=part_minutes,
                amount=amount,
            )
        )
    return tuple(parts)


def _constrained(line: Line, fixes: Sequence[Fix], currency: str) -> Line:
    minutes = line.minutes
    for fix in fixes:
        if fix.minutes_at_most is not None:
            minutes = min(minutes, fix.minutes_at_most)
    steps = [fix.minutes_multiple_of for fix in fixes if fix.minutes_multiple_of]
    while any(minutes % step for step in steps):
        for step in steps:
            minutes -= minutes % step
    rate = min([line.rate, *(f.rate_at_most for f in fixes if f.rate_at_most is not None)])
    unit_cost = min(
        [line.unit_cost, *(f.unit_cost_at_most for f in fixes if f.unit_cost_at_most is not None)]
    )
    amount = line.amount
    if line.kind is LineKind.TIME:
        value = time_value(minutes, rate, currency)
    else:
        value = round_money(line.quantity * unit_cost, currency)
    if (minutes, rate, unit_cost) != (line.minutes, line.rate, line.unit_cost):
        amount = min(amount, value)
    shares = [fix.value_share for fix in fixes if fix.value_share is not None]
    if shares:
        amount = min(amount, share_of(value, min(shares), currency))
    for fix in fixes:
        if fix.amount_at_most is not None:
            amount = min(amount, fix.amount_at_most)
    return replace(line, minutes=minutes, rate=rate, unit_cost=unit_cost, amount=amount)


def apply_fixes(
    lines: Sequence[Line], fixes: Iterable[Fix], currency: str = "USD"
) -> tuple[Line, ...]:
    """The lines with ``fixes`` applied: removed lines left out, split lines replaced by their
    parts (in place), every other fixed line written down. Lines without a fix are returned as
    they are (the same objects)."""
    by_line: dict[str, list[Fix]] = {}
    ids: set[str] = set()
    for line in lines:
        if line.id in ids:
            raise LexbillError(f"two lines have the id {line.id!r}", field="id")
        ids.add(line.id)
    for fix in fixes:
        if fix.line_id not in ids:
            raise LexbillError(f"a fix names line {fix.line_id!r}, which is not among the lines")
        by_line.setdefault(fix.line_id, []).append(fix)
    result: list[Line] = []
    for line in lines:
        found = by_line.get(line.id)
        if not found:
            result.append(line)
            continue
        if any(fix.kind is FixKind.REMOVE for fix in found):
            continue
        fixed = _constrained(line, found, currency)
        split = next((fix for fix in found if fix.kind is FixKind.SPLIT), None)
        if split is None or line.kind is not LineKind.TIME:
            result.append(fixed)
            continue
        shares = [fix.value_share for fix in found if fix.value_share is not None]
        for part in split_line(fixed, split.split_narratives, split.split_increment, currency):
            if shares:
                value = time_value(part.minutes, part.rate, currency)
                allowed = share_of(value, min(shares), currency)
                if part.amount > allowed:
                    part = replace(part, amount=allowed)
            result.append(part)
    return tuple(result)


def certain_fixes(findings: Iterable[Finding]) -> tuple[Fix, ...]:
    """Every fix carried by the findings, in their order."""
    return tuple(fix for finding in findings for fix in finding.fixes)
