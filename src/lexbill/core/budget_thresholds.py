"""The firm's budget alert thresholds ("80,100") as numbers.

Kept pure so the settings form, the budgets report and the alerts read the setting the same
way, and a bad value is refused with one clear message wherever it is typed.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from lexbill.core.errors import LexbillError

MAX_PERCENT = Decimal(1000)


def parse_alert_percents(text: str) -> tuple[Decimal, ...]:
    """Comma-separated positive percentages, returned ascending and without repeats.

    Refuses an empty list, a non-number, zero/negative or above 1000 %: a typo must not
    silently switch the alerts off.
    """
    parts = [p.strip().rstrip("%").strip() for p in (text or "").split(",")]
    if not any(parts):
        raise LexbillError(
            "give at least one percentage, e.g. 80,100", field="budget_alert_percents"
        )
    values: set[Decimal] = set()
    for part in parts:
        if not part:
            raise LexbillError(
                f"empty value in {text!r}: use comma-separated percentages, e.g. 80,100",
                field="budget_alert_percents",
            )
        try:
            value = Decimal(part)
        except InvalidOperation:
            raise LexbillError(
                f"{part!r} is not a percentage: use comma-separated numbers, e.g. 80,100",
                field="budget_alert_percents",
            ) from None
        if not value.is_finite() or value <= 0 or value > MAX_PERCENT:
            raise LexbillError(
                f"{part!r} must be a percentage above 0 and at most {MAX_PERCENT}",
                field="budget_alert_percents",
            )
        values.add(value)
    return tuple(sorted(values))


def format_alert_percents(values: tuple[Decimal, ...]) -> str:
    """The setting's normal form: "80,100", "75.5,100" (no trailing zeros)."""
    return ",".join(f"{v.normalize():f}" for v in values)


def highest_crossed(
    used_percent: Decimal | None, thresholds: tuple[Decimal, ...]
) -> Decimal | None:
    """The highest threshold ``used_percent`` has reached, or None below them all."""
    if used_percent is None:
        return None
    crossed = [t for t in thresholds if used_percent >= t]
    return max(crossed) if crossed else None
