"""Sharing one billed line out over the entries it is split into, to the cent and the second.

A block-billed line ("review file; draft motion; call client", 2.0 h) becomes one line per task.
Whatever the line carried — its raw seconds, its amount, its write-down — is shared out in
proportion to the minutes of the parts, and the parts always add up to exactly the original:
nothing is billed, worked or written down more or less because a line was split.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_DOWN, Decimal

from lexbill.core.errors import LexbillError
from lexbill.core.money import ROUNDING, minor_unit_places, require_decimal

_ZERO = Decimal(0)


def _check_weights(weights: Sequence[int]) -> int:
    if not weights or any(isinstance(w, bool) or not isinstance(w, int) for w in weights):
        raise TypeError("weights must be a non-empty sequence of ints")
    if any(w < 0 for w in weights):
        raise LexbillError("weights cannot be negative", field="weights")
    return sum(weights)


def share_whole(total: int, weights: Sequence[int]) -> list[int]:
    """``total`` (seconds, minutes) in proportion to ``weights``, each part rounded down and the
    remainder on the last, so the parts add up to ``total`` and none is negative."""
    whole = _check_weights(weights)
    if isinstance(total, bool) or not isinstance(total, int) or total < 0:
        raise LexbillError("a whole number of zero or more is shared out", field="total")
    if whole == 0:
        return [0] * (len(weights) - 1) + [total]
    parts = [total * w // whole for w in weights[:-1]]
    return [*parts, total - sum(parts)]


def share_amount(amount: Decimal, weights: Sequence[int], currency: str) -> list[Decimal]:
    """An amount in proportion to ``weights``, rounded *down* to the minor unit with the
    remainder on the last part — the guidelines engine shares a proposed split the same way —
    so the parts add up to ``amount`` and never come to more than it."""
    require_decimal(amount, "amount")
    whole = _check_weights(weights)
    quantum = Decimal(1).scaleb(-minor_unit_places(currency))
    if whole == 0:
        return [_ZERO.quantize(quantum)] * (len(weights) - 1) + [amount]
    parts = [(amount * w / whole).quantize(quantum, rounding=ROUND_DOWN) for w in weights[:-1]]
    return [*parts, amount - sum(parts, _ZERO)]


def share_adjustment(
    adjustment: Decimal, amounts: Sequence[Decimal], weights: Sequence[int], currency: str
) -> list[Decimal]:
    """A write-down (−) or write-up (+) in proportion to ``weights``, rounded half-up to the minor
    unit with the remainder on the last part, so the parts add up to ``adjustment`` exactly.

    The rounding is of the running total (part *i* gets the rounded share of parts 1‥*i* less
    that of parts 1‥*i−1*): rounding each part on its own can overshoot, and two write-downs of
    half a cent rounded up to a cent each would leave the last part a write-*up*. This way every
    part keeps the adjustment's sign and is within a cent of its exact share.

    A write-down never takes a part below zero (a line's write-down never exceeds its amount);
    where rounding would, the excess moves to the earliest parts that still have room. The line
    had room for its whole write-down, so the parts together always do.
    """
    require_decimal(adjustment, "adjustment")
    if len(amounts) != len(weights):
        raise LexbillError("one amount per part is needed", field="amounts")
    whole = _check_weights(weights)
    if adjustment < 0 and -adjustment > sum(amounts, _ZERO):
        raise LexbillError("a write-down cannot exceed the amount", field="adjustment")
    quantum = Decimal(1).scaleb(-minor_unit_places(currency))
    shares: list[Decimal] = []
    done = _ZERO.quantize(quantum)
    running = 0
    for index, weight in enumerate(weights):
        running += weight
        last = index == len(weights) - 1
        upto = (
            adjustment
            if last
            else (adjustment * running / whole if whole else _ZERO).quantize(
                quantum, rounding=ROUNDING
            )
        )
        shares.append(upto - done)
        done = upto
    if adjustment < 0:
        for index, amount in enumerate(amounts):
            excess = -(amount + shares[index])
            if excess <= 0:
                continue
            shares[index] += excess
            for other, other_amount in enumerate(amounts):
                room = other_amount + shares[other]
                if other == index or room <= 0:
                    continue
                moved = min(room, excess)
                shares[other] -= moved
                excess -= moved
                if excess == 0:
                    break
    return shares
