"""Shared fixtures: a small firm built through the services, as a user would build it.

Named people make permission tests read like a story: alice the administrator, carol the billing
coordinator, sam the billing specialist, clara the billing clerk, and pat, an attorney (partner).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest


@dataclass
class SmallFirm:
    firm: Any
    alice: Any
    carol: Any
    sam: Any
    clara: Any
    pat: Any
    partner: Any
    associate: Any
    paralegal: Any
    acme: Any
    globex: Any
    acme_hourly: Any
    acme_capped: Any
    globex_flat: Any


@pytest.fixture
def small_firm(db: Any) -> SmallFirm:
    from lexbill.billing.rates import set_rate
    from lexbill.clients.services import create_client, open_matter
    from lexbill.firm.services import configure_firm, create_timekeeper, create_user

    firm = configure_firm(None, name="Hale & Ward LLP", address="1 Main St", tax_id="12-3456789")
    pw = "correct horse battery staple"
    alice = create_user(None, "alice", pw, "admin")
    carol = create_user(None, "carol", pw, "coordinator")
    sam = create_user(None, "sam", pw, "specialist")
    clara = create_user(None, "clara", pw, "clerk")
    pat = create_user(None, "pat", pw, "attorney")
    partner = create_timekeeper(None, "PW", "Pat", "Ward", "partner", user=pat)
    associate = create_timekeeper(None, "AL", "Ann", "Lee", "associate")
    paralegal = create_timekeeper(None, "PJ", "Paul", "Jones", "paralegal")
    start = date(2026, 1, 1)
    set_rate(None, "timekeeper", "500.00", start, timekeeper=partner)
    set_rate(None, "timekeeper", "300.00", start, timekeeper=associate)
    set_rate(None, "classification", "150.00", start, classification="paralegal")
    acme = create_client(None, "C001", "Acme Corp", billing_email="ap@acme.example")
    globex = create_client(
        None, "C002", "Globex GmbH", tax_rate_percent=Decimal("19"), tax_label="VAT"
    )
    acme_hourly = open_matter(
        None, acme, "C001-001", "Acme v. Roadrunner", partner, opened_on=start
    )
    acme_capped = open_matter(
        None,
        acme,
        "C001-002",
        "Acme merger",
        partner,
        opened_on=start,
        arrangement="capped",
        fee_cap="1000.00",
    )
    globex_flat = open_matter(
        None,
        globex,
        "C002-001",
        "Globex lease",
        partner,
        opened_on=start,
        arrangement="flat_fee",
        flat_fee="2500.00",
    )
    return SmallFirm(
        firm,
        alice,
        carol,
        sam,
        clara,
        pat,
        partner,
        associate,
        paralegal,
        acme,
        globex,
        acme_hourly,
        acme_capped,
        globex_flat,
    )
