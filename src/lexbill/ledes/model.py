"""An invoice as LEDES needs it: the records the writer turns into lines.

The Django side maps a final invoice onto these; nothing here knows about models. Every amount,
rate and unit count is a ``Decimal`` (the writer refuses anything else), and nothing is rounded
here: the writer rounds each line at the one place LEDES allows, so the file and the firm's own
invoice can be compared figure by figure.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

ZERO = Decimal(0)


class LineType(StrEnum):
    """EXP/FEE/INV_ADJ_TYPE; LEDES knows exactly these four."""

    FEE = "F"
    EXPENSE = "E"
    FEE_ADJUSTMENT = "IF"
    """Invoice-level adjustment on fees: a discount, a fee cap, a flat fee."""
    EXPENSE_ADJUSTMENT = "IE"
    """Invoice-level adjustment on expenses."""


@dataclass(frozen=True, slots=True)
class LineItem:
    """One LEDES line.

    A fee or expense line is priced as ``units × unit_cost + adjustment``; a write-down is a
    negative ``adjustment`` on the line itself. An ``IF``/``IE`` line normally leaves ``units``
    and ``unit_cost`` as ``None`` and carries its (usually negative) amount in ``adjustment``;
    the "1 unit at the amount" convention is accepted too.
    """

    number: str
    type: LineType
    date: datetime.date
    units: Decimal | None = None
    unit_cost: Decimal | None = None
    adjustment: Decimal = ZERO
    task_code: str = ""
    activity_code: str = ""
    expense_code: str = ""
    timekeeper_id: str = ""
    timekeeper_name: str = ""
    """"Last, First", as receivers expect it."""
    timekeeper_classification: str = ""
    """A LEDES code (PARTNR, ASSOC, PARALG…), already mapped from the firm's own titles."""
    description: str = ""
    timekeeper_last_name: str = ""
    """98BI only; taken from ``timekeeper_name`` ("Last, First") when blank."""
    timekeeper_first_name: str = ""
    tax_rate: Decimal | None = None
    """98BI only: a fraction (0.2 for 20%), not a percentage; ``None`` uses the invoice's rate."""
    billed_amount: Decimal | None = None
    """What the firm's own invoice charges for this line, before tax. When given, the writer
    refuses the line if LEDES arithmetic would charge something else (see
    ``arithmetic.reconciling_adjustment`` for making the two agree)."""


@dataclass(frozen=True, slots=True)
class Party:
    """Name and address of the firm or the client, as 98BI carries them."""

    name: str = ""
    address_1: str = ""
    address_2: str = ""
    city: str = ""
    state_or_region: str = ""
    postcode: str = ""
    country: str = ""
    """ISO 3166 code, at most three characters (GBR, US…)."""


@dataclass(frozen=True, slots=True)
class InternationalDetails:
    """What LEDES98BI adds to an invoice: tax, currency context, parties."""

    client_tax_id: str
    matter_name: str
    tax_rate: Decimal = ZERO
    """Default line tax rate, a fraction (0.2 for 20%); a line may set its own."""
    tax_type: str = ""
    """VAT, GST, PST…: informational, never used in the arithmetic."""
    po_number: str = ""
    account_type: str = "O"
    law_firm: Party = field(default_factory=Party)
    client: Party = field(default_factory=Party)
    tax_currency: str = ""
    """Currency the tax authority wants the tax total in; blank means the invoice currency."""
    tax_exchange_rate: Decimal | None = None
    """Units of ``tax_currency`` per unit of the invoice currency, needed when they differ."""


@dataclass(frozen=True, slots=True)
class Invoice:
    """One invoice; several may go into one file.

    ``currency`` is required for 98BI. For 1998B it has no field, but when set it stops invoices
    in different currencies from being mixed in one file, which 1998B cannot express.
    """

    number: str
    date: datetime.date
    client_id: str
    law_firm_id: str
    law_firm_matter_id: str
    billing_start: datetime.date
    billing_end: datetime.date
    lines: tuple[LineItem, ...]
    description: str = ""
    client_matter_id: str = ""
    currency: str = ""
    international: InternationalDetails | None = None
    expected_total: Decimal | None = None
    """The firm's own invoice total (tax included for 98BI). When given, the writer refuses the
    invoice if the LEDES total comes out different, instead of sending a second version of it."""
