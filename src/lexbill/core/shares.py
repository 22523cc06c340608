"""Sharing an amount over several people in proportion to weights, exact to the minor unit.

Realization by timekeeper puts each invoice's collected cash on the people whose work is on
it, in proportion to their line totals. Rounding each share on its own would lose or invent
cents, so the shares are floored and the units left over go to the largest remainders: the
shares always add up to the amount exactly.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def largest_remainder(amount: int, weights: Mapping[K, int], fallback: K) -> dict[K, int]:
    """``amount`` (in minor units, may be negative) shared in proportion to ``weights``.

    Weights may be negative (a fee-cap adjustment line takes its share back). When they add up
    to zero nobody can be said to have earned the money, so it all goes to ``fallback`` (the
    "no timekeeper" row). Ties in the remainders go to the smaller key, by ``repr`` order, so
    the result does not depend on the mapping's order.
    """
    total = sum(weights.values())
    if total == 0 or not weights:
        return {fallback: amount}
    sign = 1 if total > 0 else -1
    whole = total * sign
    shares: dict[K, int] = {}
    remainders: list[tuple[int, str, K]] = []
    for key, weight in weights.items():
        numerator = amount * weight * sign
        floor, remainder = divmod(numerator, whole)
        shares[key] = floor
        remainders.append((-remainder, repr(key), key))
    left = amount - sum(shares.values())
    for _, _, key in sorted(remainders, key=lambda r: (r[0], r[1]))[:left]:
        shares[key] += 1
    return shares
