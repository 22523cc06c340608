"""Trust accounts for the trust tests (imported by tests/app/test_trust_*.py and tests/browser).

The small firm's IOLTA account (pooled, USD) and a separate interest-bearing account held for
Acme; the firm's bank-charge buffer is opened with each account. Nothing is deposited: each test
puts in what it needs through the services.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from lexbill.banking.services import create_bank_account
from lexbill.trust.models import TrustAccount
from lexbill.trust.services import open_trust_account

OPENED = date(2026, 1, 1)


@dataclass
class TrustFirm:
    f: Any
    iolta: TrustAccount
    separate: TrustAccount


def build_trust_firm(f: Any) -> TrustFirm:
    pooled_bank = create_bank_account(None, "First Bank IOLTA", number="111000111")
    separate_bank = create_bank_account(None, "First Bank Acme trust", number="222000222")
    iolta = open_trust_account(None, "IOLTA", "pooled", pooled_bank, OPENED)
    separate = open_trust_account(
        None, "Acme trust", "separate", separate_bank, OPENED, client=f.acme
    )
    return TrustFirm(f, iolta, separate)
