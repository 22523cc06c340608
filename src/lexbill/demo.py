"""A demo law firm, built only through the services, so it obeys every rule a real firm does.

``build_demo_firm`` fills an empty, migrated database with Hale & Ward LLP: five clients, thirteen
matters, ten timekeepers, some 2,300 time entries over the six months before ``today``, expenses,
monthly bill runs with pre-bill review, invoices in every state, credit notes and payments. Every
record goes through the same services as the web pages and the command line, so rates, billing
increments, UTBMS codes, the 24-hour day, permissions and the audit trail all apply; the services'
batch forms carry the volume. The seed and ``today`` make a build reproducible.

The history is played in date order: each month's work is recorded, billed at the start of the
next month, reviewed, approved and invoiced, and the payments and credit notes dated before the
next invoices are posted before those are finalized, so every "balance forward" printed on an
invoice is what the client really owed that day. Steps people would take are taken as the demo
user with that role (the clerk posts payments, the coordinator approves, Daniel Ward approves his
own matters), so permissions are enforced and the audit trail names them.

Receivables end where a billing team would find them on the day: the firm's collections policy
(approval threshold, no prompt-payment discount, 12% a year late charges after 15 days' grace for
Cedar Ridge, whose engagement allows them), payment instructions for reminders, an operating bank
account with its CSV layout, Cedar Ridge's bounced (NSF) check reversed, Kestrel's overdue balance
on a three-instalment plan with the first paid, Harrow's short wire with the bank charges written
off, part of Brightline's overpayment refunded, Northwind's open dispute with the specialist and a
credit above the threshold awaiting the coordinator, and Harrow's inquiry answered. No e-mail is
sent and no reminder run or late-charge assessment is made.

Trust money, from the month before the last invoices on: an IOLTA account and a separate account
for Brightline's escrow holdback (each over its own bank account), the firm's small bank-charge
buffer, Kestrel's evergreen retainer on the Quantix case (its invoice asks for the replenishment,
Kestrel wires it, and the invoice is paid from trust), Northwind's cost advance paid out to a
forensic vendor (after an overdraft the rules refused and logged) with the rest refunded, bank
charges, IOLTA interest credited and remitted, a check still on hold, and the first month's
three-way reconciliation signed off against the bank's statement.
"""

from __future__ import annotations

import random
import string
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_DOWN, Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from lexbill.audit.context import acting_as, current_channel
from lexbill.banking.services import create_bank_account, save_csv_mapping
from lexbill.billing.bill_run import run_bill_run
from lexbill.billing.invoicing import finalize_prebill, issue_credit_note, record_delivery
from lexbill.billing.models import (
    Invoice,
    InvoiceLine,
    LineKind,
    Prebill,
    PrebillLine,
    PrebillStatus,
)
from lexbill.billing.prebills import (
    adjust_line,
    approve_prebill,
    edit_line,
    send_back_prebill,
    set_line_treatment,
)
from lexbill.billing.rates import set_rate
from lexbill.billing.selectors import with_balances
from lexbill.clients.models import Client, Matter
from lexbill.clients.selectors import billed_to_date
from lexbill.clients.services import (
    approve_timekeeper,
    close_matter,
    create_client,
    open_matter,
    record_rate_notice,
    set_matter_budget,
)
from lexbill.compliance.services import import_guidelines
from lexbill.core.errors import LexbillError
from lexbill.core.invoice_math import line_tax
from lexbill.core.rates import RateLevel
from lexbill.disputes.models import UNRESOLVED, Dispute, DisputeKind, ReceivedVia
from lexbill.disputes.services import add_note, open_dispute, resolve_by_explanation
from lexbill.ebilling.services import save_profile
from lexbill.entries.models import Billable, Expense, TimeEntry
from lexbill.entries.services import (
    ExpenseDraft,
    TimeDraft,
    record_expense_batch,
    record_time_batch,
)
from lexbill.firm.models import Classification, Firm, Role, Timekeeper, User
from lexbill.firm.services import configure_firm, create_timekeeper, create_user
from lexbill.plans.models import PaymentPlan, PlanStatus
from lexbill.plans.services import create_plan
from lexbill.receivables.adjustments import (
    request_credit_note,
    request_write_off,
    update_collections_policy,
)
from lexbill.receivables.models import AdjustmentRequest, Payment, PaymentKind, RequestStatus
from lexbill.receivables.selectors import collections_policy, free_amount
from lexbill.receivables.services import post_payment, refund_credit, reverse_payment
from lexbill.reminders.services import set_payment_instructions
from lexbill.trust.models import (
    FoundationInterest,
    Replenishment,
    TrustAccount,
    TrustLedger,
    TrustTransaction,
)
from lexbill.trust.retainers import record_retainer
from lexbill.trust.selectors import ledger_balance
from lexbill.trust.services import (
    bank_charge,
    deposit,
    deposit_firm_funds,
    disburse,
    open_trust_account,
    record_interest,
    refund,
    remit_foundation_interest,
    transfer_earned_fees,
)

DEMO_PASSWORD = "lexbill-demo"
DEMO_USERS: dict[str, str] = {
    "admin": Role.ADMINISTRATOR.value,
    "coordinator": Role.COORDINATOR.value,
    "specialist": Role.SPECIALIST.value,
    "clerk": Role.CLERK.value,
    "attorney": Role.ATTORNEY.value,
}
FIRM_NAME = "Hale & Ward LLP"

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DemoSummary:
    clients: int
    matters: int
    timekeepers: int
    time_entries: int
    expenses: int
    invoices: int
    payments: int
    prebills_open: int
    disputes_open: int
    payment_plans_active: int
    adjustments_pending: int
    users: dict[str, str]


def build_demo_firm(
    *, seed: int = 2026, today: date | None = None, progress: Progress | None = None
) -> DemoSummary:
    """Build the demo firm in an empty database, all or nothing; ``today`` ends the history."""
    today = today or timezone.localdate()
    say: Progress = progress or (lambda _text: None)
    if Firm.objects.exists():
        raise LexbillError(
            "the database already holds a firm; the demo is only built into an empty database "
            "(point LEXBILL_DATABASE_URL or LEXBILL_DATA_DIR at a new one)"
        )
    taken = sorted(User.objects.filter(username__in=DEMO_USERS).values_list("username", flat=True))
    if taken:
        raise LexbillError(
            f"the database already has users named {', '.join(taken)}; the demo needs an empty one",
            field="username",
        )
    with transaction.atomic():
        _DemoBuilder(random.Random(seed), today, say).build()
    say("demo firm ready")
    return DemoSummary(
        clients=Client.objects.count(),
        matters=Matter.objects.count(),
        timekeepers=Timekeeper.objects.count(),
        time_entries=TimeEntry.objects.count(),
        expenses=Expense.objects.count(),
        invoices=Invoice.objects.count(),
        payments=Payment.objects.count(),
        prebills_open=Prebill.objects.filter(
            status__in=[PrebillStatus.DRAFT, PrebillStatus.RETURNED, PrebillStatus.APPROVED]
        ).count(),
        disputes_open=Dispute.objects.filter(status__in=UNRESOLVED).count(),
        payment_plans_active=PaymentPlan.objects.filter(status=PlanStatus.ACTIVE).count(),
        adjustments_pending=AdjustmentRequest.objects.filter(status=RequestStatus.PENDING).count(),
        users=dict(DEMO_USERS),
    )


# --- the firm's people -----------------------------------------------------------------------

_USER_NAMES: dict[str, tuple[str, str]] = {
    "admin": ("Morgan", "Blake"),
    "coordinator": ("Carol", "Diaz"),
    "specialist": ("Sam", "Patel"),
    "clerk": ("Clara", "Owens"),
    "attorney": ("Daniel", "Ward"),
}
ATTORNEY_TIMEKEEPER = "DW"


@dataclass(frozen=True)
class _Person:
    code: str
    first: str
    last: str
    classification: str
    standard_rate: str | None  # None: billed at the firm's rate for the classification
    raised_rate: str | None  # the firm's rate increase part-way through the history
    entries_per_day: tuple[int, int]
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)

    @property
    def short(self) -> str:
        return f"{self.first[0]}. {self.last}"

    @property
    def supports(self) -> bool:
        return self.classification in (Classification.PARALEGAL, Classification.LEGAL_ASSISTANT)


# fmt: off
_PEOPLE: tuple[_Person, ...] = (
    _Person("DW", "Daniel", "Ward", "partner", "875.00", "925.00", (1, 3)),
    _Person("EH", "Eleanor", "Hale", "partner", "950.00", "995.00", (1, 3)),
    _Person("MR", "Margaret", "Reyes", "of_counsel", "725.00", None, (1, 2), (0, 1, 3)),
    _Person("JP", "Jonathan", "Park", "associate", "595.00", "625.00", (2, 4)),
    _Person("SO", "Sofia", "Okafor", "associate", "495.00", "525.00", (2, 4)),
    _Person("LB", "Liam", "Brennan", "associate", "425.00", None, (2, 4)),
    _Person("RC", "Rosa", "Castillo", "paralegal", "265.00", "280.00", (1, 3)),
    _Person("TN", "Tyler", "Nguyen", "paralegal", "240.00", None, (1, 3)),
    _Person("KM", "Kayla", "Morgan", "legal_assistant", "175.00", None, (0, 2)),
    _Person("AF", "Abby", "Fischer", "legal_assistant", None, None, (0, 2)),
)
# fmt: on
_PERSON = {p.code: p for p in _PEOPLE}
# Annual billable-hour targets by classification (the utilization report prorates them).
_TARGETS: dict[str, int] = {
    Classification.PARTNER: 1700,
    Classification.OF_COUNSEL: 1600,
    Classification.ASSOCIATE: 1900,
    Classification.PARALEGAL: 1400,
    Classification.LEGAL_ASSISTANT: 1200,
}
_CLASSIFICATION_RATES: dict[str, str] = {
    "partner": "850.00",
    "of_counsel": "700.00",
    "associate": "450.00",
    "paralegal": "235.00",
    "legal_assistant": "165.00",
}

# --- clients and matters ---------------------------------------------------------------------


@dataclass(frozen=True)
class _ClientPlan:
    key: str
    number: str
    name: str
    address: str
    contact: str
    email: str
    tax_rate: str = "0"
    tax_label: str = "Tax"
    pays_by: str = "check"
    late_charges: bool = False  # its engagement letter lets the firm charge interest when late


# fmt: off
_CLIENTS: tuple[_ClientPlan, ...] = (
    _ClientPlan(
        "northwind", "10231", "Northwind Health Systems, Inc.",
        "410 Brookline Avenue, Suite 1200\nBoston, MA 02215",
        "Priya Raman, Associate General Counsel", "legal-invoices@northwindhealth.example",
        pays_by="ach",
    ),
    _ClientPlan(
        "brightline", "10457", "Brightline Logistics Corp.",
        "2250 Commerce Drive\nColumbus, OH 43219",
        "Mark Delaney, General Counsel", "ap@brightlinelogistics.example",
    ),
    _ClientPlan(
        "harrow", "10688", "Harrow & Finch Ltd",
        "14 Cannon Street\nLondon EC4M 6XH\nUnited Kingdom",
        "Helen Marsh, Head of Legal", "legal.accounts@harrowfinch.example",
        tax_rate="20", tax_label="VAT", pays_by="wire",
    ),
    _ClientPlan(
        "cedar", "10712", "Cedar Ridge Properties LLC",
        "88 Harbor Street\nPortland, ME 04101",
        "Tom Whitaker, Managing Member", "accounts@cedarridgeprop.example",
        late_charges=True,
    ),
    _ClientPlan(
        "kestrel", "10905", "Kestrel Software, Inc.",
        "500 Technology Square\nCambridge, MA 02139",
        "Ana Souza, VP Legal", "legal-ap@kestrelsoftware.example",
        pays_by="ach",
    ),
)
# fmt: on

# What Brightline's e-billing reviewers flag (see _DemoBuilder._guidelines).
_BRIGHTLINE_GUIDELINES = """\
format: lexbill-guidelines/1
name: Brightline outside counsel guidelines
client: "10457"
version: 1
effective_from: {start}
currency: USD
rules:
  - id: vague
    type: vague_narrative
    min_length: 25
  - id: block-billing
    type: block_billing
    severity: warn
  - id: daily-hours
    type: daily_hours
    severity: warn
    max_hours: "8"
  - id: internal-conferences
    type: internal_conference
    max_billers: 1
  - id: rates
    type: rate_cap
    severity: warn
    caps:
      - classification: PARTNR
        max_rate: "950.00"
      - classification: ASSOC
        max_rate: "600.00"
  - id: travel
    type: travel_time
    severity: warn
    billable_percent: "50"
"""

Kit = dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class _MatterPlan:
    key: str
    client: str
    number: str
    name: str
    kind: str  # litigation (L codes), counseling (C codes), transaction (P codes), general (none)
    responsible: str
    team: dict[str, int]  # timekeeper code -> share of that person's work on their matters
    kit: Kit  # the names and subjects its narratives are written about
    client_matter_id: str = ""
    arrangement: str = Matter.Arrangement.HOURLY
    flat_fee: str | None = None
    window: str = "all"  # all | early (then closed) | one_month (flat fee) | new (opened later)


# fmt: off
_NORTHWIND_LIT: Kit = {
    "custodian": ("J. Kim's", "R. Feld's", "the HR shared drive", "L. Alvarez's personnel"),
    "topic": ("plaintiff's performance reviews", "the 2024 reduction in force",
              "plaintiff's accommodation requests", "the March 2024 termination meeting"),
    "client_contact": ("P. Raman",),
    "client_witness": ("Janet Kim", "Robert Feld", "Dr. Alan Choi"),
    "witness": ("Lucia Alvarez", "Dr. Samuel Ortiz", "Marisol Vega"),
    "opponent": ("plaintiff",),
    "opponent_name": ("Lucia Alvarez",),
    "pleading": ("amended complaint",),
    "pleading_own": ("answer and affirmative defenses to the amended complaint",),
    "expert": ("Dr. Ellen Park",),
    "judge": ("the magistrate judge",),
    "mediator": ("the JAMS mediator",),
    "legal_issue": ("pretext under the McDonnell Douglas framework", "the same-actor inference",
                    "exhaustion of Chapter 151B administrative remedies"),
    "opposing_firm": ("Brandt & Lowell LLP",),
    "volume": ("NWH",),
}
_BRIGHTLINE_LIT: Kit = {
    "custodian": ("M. Delaney's", "S. Okonkwo's", "the dispatch operations"),
    "topic": ("Apex's missed pickup commitments", "the 2023 master carrier agreement",
              "fuel surcharge invoices", "lost-profits calculations"),
    "client_contact": ("M. Delaney",),
    "client_witness": ("Mark Delaney", "Sandra Okonkwo", "Victor Ames"),
    "witness": ("Apex's Rule 30(b)(6) designee", "Greg Tolliver", "Dana Whitfield"),
    "opponent": ("Apex",),
    "opponent_name": ("Apex Carriers, Inc.",),
    "pleading": ("counterclaim",),
    "pleading_own": ("amended complaint", "answer to Apex's counterclaim"),
    "expert": ("Dr. Nina Shah",),
    "judge": ("the magistrate judge",),
    "mediator": ("the JAMS mediator",),
    "legal_issue": ("consequential damages waivers under Ohio law", "the economic loss doctrine",
                    "enforceability of liquidated damages clauses"),
    "opposing_firm": ("Carver Minton LLP",),
    "travel_city": ("Columbus",),
    "volume": ("BLC",),
}
_HARROW_LIT: Kit = {
    "custodian": ("H. Marsh's", "J. Whitcombe's", "the R&D team's"),
    "topic": ("Delmar's accused sensor products", "the '482 patent prosecution history",
              "prior art cited by Delmar", "Delmar's U.S. sales data"),
    "client_contact": ("H. Marsh",),
    "client_witness": ("Dr. James Whitcombe", "Helen Marsh", "Oliver Grant"),
    "witness": ("Delmar's Rule 30(b)(6) designee", "Dr. Priya Nair", "Kevin Doyle"),
    "opponent": ("Delmar",),
    "opponent_name": ("Delmar Instruments Corp.",),
    "pleading": ("counterclaims", "invalidity contentions"),
    "pleading_own": ("answer to Delmar's counterclaims", "infringement contentions"),
    "expert": ("Dr. Martin Hollis",),
    "judge": ("the Court",),
    "mediator": ("the court-appointed mediator",),
    "legal_issue": ("construction of 'optical sensing element'",
                    "the knowledge requirement for induced infringement",
                    "obviousness-type double patenting"),
    "opposing_firm": ("Pratt Keller LLP",),
    "travel_city": ("Wilmington",),
    "volume": ("HF",),
}
_CEDAR_LIT: Kit = {
    "custodian": ("T. Whitaker's", "the project architect's"),
    "topic": ("the Board's 2025 decision", "the parking variance application",
              "abutters' objections", "the traffic study"),
    "client_contact": ("T. Whitaker",),
    "client_witness": ("Tom Whitaker", "Laura Bing"),
    "witness": ("the Millbrook zoning administrator", "Board Chair Ellen Foss"),
    "opponent": ("the City",),
    "opponent_name": ("the City of Millbrook",),
    "pleading": ("motion to dismiss",),
    "pleading_own": ("Rule 80B complaint", "brief on the record"),
    "expert": ("the traffic engineer",),
    "judge": ("the Superior Court",),
    "mediator": ("the court's ADR neutral",),
    "legal_issue": ("the standard of review for variance denials", "standing of abutters",
                    "the Board's duty to make findings"),
    "opposing_firm": ("the City Solicitor's office",),
    "volume": ("CRP",),
}
_KESTREL_LIT: Kit = {
    "custodian": ("A. Souza's", "R. Malik's", "the repository audit log"),
    "topic": ("R. Malik's download activity", "Quantix's product launch timeline",
              "source code repository access", "the confidentiality agreements"),
    "client_contact": ("A. Souza",),
    "client_witness": ("Ana Souza", "Devin Cole"),
    "witness": ("Rahul Malik", "Quantix's Rule 30(b)(6) designee", "Erin Blake"),
    "opponent": ("Quantix",),
    "opponent_name": ("Quantix Labs, Inc.",),
    "pleading": ("opposition to the preliminary injunction motion", "answer and counterclaims"),
    "pleading_own": ("verified complaint", "motion for preliminary injunction"),
    "expert": ("the forensic examiner",),
    "judge": ("the Court",),
    "mediator": ("the JAMS mediator",),
    "legal_issue": ("reasonable secrecy measures under the DTSA",
                    "inevitable disclosure under Massachusetts law",
                    "the preliminary injunction standard for trade secret claims"),
    "opposing_firm": ("Sloane Whitney LLP",),
    "volume": ("KSW",),
}

# The firm's practice groups (issue 8): the reports group and filter by them.
_PRACTICE_AREAS: dict[str, str] = {
    "nw-lit": "Litigation",
    "nw-hipaa": "Regulatory",
    "nw-bylaws": "Healthcare",
    "bl-acq": "Corporate",
    "bl-lit": "Litigation",
    "bl-gen": "Corporate",
    "hf-sec": "Regulatory",
    "hf-pat": "Intellectual property",
    "cr-lease": "Real estate",
    "cr-zoning": "Litigation",
    "ks-license": "Technology",
    "ks-emp": "Employment",
    "ks-ts": "Intellectual property",
}

_MATTERS: tuple[_MatterPlan, ...] = (
    _MatterPlan(
        "nw-lit", "northwind", "10231-0047",
        "Alvarez v. Northwind Health Systems, Inc. (D. Mass.)", "litigation", "DW",
        {"DW": 3, "JP": 4, "LB": 4, "RC": 5, "KM": 4}, _NORTHWIND_LIT, "NW-LIT-2025-014",
    ),
    _MatterPlan(
        "nw-hipaa", "northwind", "10231-0052", "HIPAA Incident Review - Patient Portal",
        "counseling", "DW", {"DW": 2, "MR": 3, "SO": 2},
        {
            "topic": ("the patient portal access incident", "breach notification timing",
                      "the OCR risk assessment", "business associate obligations"),
            "client_contact": ("P. Raman", "the Chief Privacy Officer"),
            "client_witness": ("the portal vendor's security lead", "Dr. Alan Choi"),
            "policy_doc": ("the incident response plan", "the HIPAA risk analysis",
                           "the business associate agreement with the portal vendor"),
            "legal_issue": ("the HIPAA breach notification safe harbor",
                            "Massachusetts breach notification requirements",
                            "OCR enforcement trends for access incidents"),
            "third_party": ("HHS Office for Civil Rights staff", "the portal vendor's counsel"),
        },
        "NW-REG-0097",
    ),
    _MatterPlan(
        "nw-bylaws", "northwind", "10231-0049", "Medical Staff Bylaws Revision", "counseling",
        "DW", {"DW": 1, "MR": 3, "SO": 1},
        {
            "topic": ("credentialing procedures", "fair hearing rights", "telehealth privileges",
                      "the Medical Executive Committee's comments"),
            "client_contact": ("P. Raman", "the Chief Medical Officer"),
            "client_witness": ("the Chief Medical Officer", "the medical staff coordinator"),
            "policy_doc": ("the medical staff bylaws", "the credentialing manual",
                           "the fair hearing plan"),
            "legal_issue": ("Joint Commission medical staff standards",
                            "HCQIA immunity requirements",
                            "the Massachusetts peer review privilege"),
            "third_party": ("the Medical Executive Committee",),
        },
        "NW-GOV-0031", window="early",
    ),
    _MatterPlan(
        "bl-acq", "brightline", "10457-0012", "Acquisition of Redwood Freight LLC", "transaction",
        "EH", {"EH": 3, "SO": 4, "LB": 2, "TN": 4, "AF": 4},
        {
            "target": ("Redwood Freight's", "Redwood's"),
            "permit": ("FMCSA operating authority", "DOT safety ratings"),
            "agreement": ("membership interest purchase agreement",
                          "transition services agreement", "escrow agreement"),
            "counterparty_counsel": ("Fenwick & Dale",),
            "client_contact": ("M. Delaney",),
        },
        "BL-MA-2025-02", arrangement=Matter.Arrangement.CAPPED,
    ),
    _MatterPlan(
        "bl-lit", "brightline", "10457-0015",
        "Brightline Logistics Corp. v. Apex Carriers, Inc. (S.D. Ohio)", "litigation", "EH",
        {"EH": 2, "JP": 3, "LB": 2, "RC": 3}, _BRIGHTLINE_LIT,
    ),
    _MatterPlan(
        "bl-gen", "brightline", "10457-0003", "Carrier Agreements - General Counsel", "general",
        "EH", {"EH": 1, "SO": 1},
        {
            "topic": ("carrier indemnity terms", "a cargo claim from Tri-State Foods",
                      "fuel surcharge provisions", "insurance certificate requirements"),
            "agreement": ("master carrier agreement template",
                          "broker-carrier agreement with Summit Haulage",
                          "warehouse services agreement"),
            "counterparty_counsel": ("Summit Haulage's counsel",),
            "client_contact": ("M. Delaney",),
            "legal_issue": ("Carmack Amendment liability limits",
                            "broker liability for negligent carrier selection"),
        },
    ),
    _MatterPlan(
        "hf-sec", "harrow", "10688-0004", "SEC Inquiry - ADR Disclosure Review", "counseling",
        "EH", {"EH": 2, "MR": 3, "SO": 2},
        {
            "topic": ("the SEC staff's information request", "ADR disclosure controls",
                      "the Form 20-F risk factors", "document preservation"),
            "client_contact": ("H. Marsh",),
            "client_witness": ("the CFO", "the head of investor relations"),
            "policy_doc": ("the disclosure committee charter", "the draft Form 20-F",
                           "the litigation hold notice"),
            "legal_issue": ("Rule 12g3-2(b) exemption conditions", "SEC cooperation credit",
                            "Regulation FD for foreign private issuers"),
            "third_party": ("SEC Division of Enforcement staff",),
        },
        "HF/US/2025/03",
    ),
    _MatterPlan(
        "hf-pat", "harrow", "10688-0006",
        "Harrow & Finch Ltd v. Delmar Instruments Corp. (D. Del.)", "litigation", "EH",
        {"EH": 2, "JP": 4, "LB": 3, "RC": 4, "KM": 3}, _HARROW_LIT, "HF/US/2025/07",
    ),
    _MatterPlan(
        "cr-lease", "cedar", "10712-0009", "Lease Negotiation - 400 Harbor Street", "general",
        "EH", {"EH": 2, "SO": 3, "TN": 2},
        {
            "topic": ("the tenant improvement allowance", "the exclusive-use clause",
                      "the renewal options", "the SNDA"),
            "agreement": ("lease for 400 Harbor Street",
                          "subordination, non-disturbance and attornment agreement",
                          "work letter"),
            "counterparty_counsel": ("the tenant's counsel",),
            "client_contact": ("T. Whitaker",),
            "legal_issue": ("recording a memorandum of lease in Maine",),
        },
        arrangement=Matter.Arrangement.FLAT_FEE, flat_fee="12500.00", window="one_month",
    ),
    _MatterPlan(
        "cr-zoning", "cedar", "10712-0011",
        "Cedar Ridge Properties LLC v. City of Millbrook Zoning Board", "litigation", "DW",
        {"DW": 2, "LB": 2, "TN": 3, "AF": 2}, _CEDAR_LIT,
    ),
    _MatterPlan(
        "ks-license", "kestrel", "10905-0002", "Enterprise License Agreement - Orion National Bank",
        "general", "EH", {"EH": 1, "SO": 2, "TN": 1},
        {
            "topic": ("limitation of liability", "the data security addendum", "service levels",
                      "audit rights"),
            "agreement": ("enterprise license agreement", "data processing addendum",
                          "order form"),
            "counterparty_counsel": ("Orion's procurement counsel",),
            "client_contact": ("A. Souza",),
            "legal_issue": ("GLBA vendor oversight requirements",
                            "OCC third-party risk management guidance"),
        },
    ),
    _MatterPlan(
        "ks-emp", "kestrel", "10905-0005", "Employment Counseling - General", "counseling", "EH",
        {"EH": 1, "MR": 2},
        {
            "topic": ("a sales commission dispute", "the non-compete policy",
                      "a remote-work accommodation request", "RIF selection criteria"),
            "client_contact": ("A. Souza",),
            "client_witness": ("the HR director", "the VP of Sales"),
            "policy_doc": ("the employee handbook", "the commission plan",
                           "the separation agreement template"),
            "legal_issue": ("the Massachusetts Noncompetition Agreement Act",
                            "Wage Act treatment of commissions",
                            "the ADA interactive process"),
            "third_party": ("the employee's counsel",),
        },
    ),
    _MatterPlan(
        "ks-ts", "kestrel", "10905-0008",
        "Kestrel Software, Inc. v. Quantix Labs, Inc. (D. Mass.)", "litigation", "DW",
        {"DW": 3, "JP": 3, "LB": 2, "RC": 3, "AF": 2}, _KESTREL_LIT, window="new",
    ),
)
# fmt: on
CLOSED_MATTER = "nw-bylaws"
FLAT_FEE_MATTER = "cr-lease"
CAPPED_MATTER = "bl-acq"
_NOT_REVIEWED = {CLOSED_MATTER, FLAT_FEE_MATTER}  # no holds or write-downs on these

# --- narratives: (task code, activity code, size, (from, to) stage of the matter, text) -------
# Size s: 0.1-0.5 h, m: 0.5-2.5 h, l: 1.5-6.0 h. Stage is how far through the matter's work the
# day is, so pleadings come before depositions and summary judgment.

Narrative = tuple[str, str, str, tuple[float, float], str]
_ALL = (0.0, 1.0)

# fmt: off
_LITIGATION_ATTORNEY: tuple[Narrative, ...] = (
    ("L110", "A104", "m", (0.0, 0.5), "Review and analyze {custodian} emails regarding {topic}."),
    ("L110", "A106", "s", (0.0, 0.6),
     "Telephone conference with {client_contact} regarding chronology of {topic}."),
    ("L110", "A101", "m", (0.0, 0.5),
     "Prepare for and conduct interview of {client_witness} regarding {topic}."),
    ("L110", "A103", "m", (0.0, 0.4), "Draft fact chronology addressing {topic}."),
    ("L120", "A104", "m", _ALL, "Analyze {opponent}'s {pleading} and outline response strategy."),
    ("L120", "A105", "s", _ALL,
     "Conference with {colleague} regarding case strategy and upcoming deadlines."),
    ("L120", "A106", "s", _ALL,
     "Email to {client_contact} summarizing case status and next steps."),
    ("L120", "A103", "m", (0.0, 0.3),
     "Draft early case assessment evaluating liability and damages exposure."),
    ("L130", "A108", "s", (0.3, 1.0),
     "Telephone conference with {expert} regarding scope of expert analysis."),
    ("L130", "A104", "m", (0.4, 1.0), "Review {expert}'s preliminary report and supporting data."),
    ("L160", "A107", "s", (0.5, 1.0),
     "Telephone conference with opposing counsel regarding settlement framework."),
    ("L160", "A103", "m", (0.6, 1.0), "Draft confidential mediation statement."),
    ("L160", "A109", "l", (0.8, 1.0), "Attend mediation session before {mediator}."),
    ("L210", "A103", "l", (0.0, 0.25), "Draft {pleading_own}."),
    ("L210", "A104", "m", (0.0, 0.3),
     "Review and revise draft {pleading_own} per client comments."),
    ("L230", "A109", "m", (0.0, 0.4),
     "Prepare for and attend scheduling conference before {judge}."),
    ("L230", "A103", "m", (0.0, 0.3),
     "Draft joint Rule 26(f) report and proposed scheduling order."),
    ("L240", "A102", "l", (0.5, 1.0),
     "Research case law on {legal_issue} for summary judgment motion."),
    ("L240", "A103", "l", (0.6, 1.0),
     "Draft memorandum of law in support of motion for summary judgment."),
    ("L240", "A103", "m", (0.6, 1.0),
     "Draft statement of undisputed material facts with record citations."),
    ("L250", "A103", "m", (0.1, 0.6), "Draft motion for entry of stipulated protective order."),
    ("L250", "A103", "s", _ALL, "Draft stipulation and proposed order extending deadlines."),
    ("L310", "A103", "m", (0.2, 0.8),
     "Draft responses and objections to {opponent}'s {ordinal} set of interrogatories."),
    ("L310", "A103", "m", (0.2, 0.8),
     "Draft {ordinal} set of requests for production to {opponent}."),
    ("L310", "A104", "m", (0.2, 0.9), "Review {opponent}'s responses to requests for admission."),
    ("L320", "A104", "l", (0.2, 0.8),
     "Second-level review of documents for privilege and responsiveness (batch {batch})."),
    ("L320", "A104", "m", (0.3, 0.9), "Review privilege log and resolve redaction questions."),
    ("L330", "A101", "l", (0.4, 0.9), "Prepare outline for deposition of {witness}."),
    ("L330", "A109", "l", (0.4, 0.9), "Take deposition of {witness}."),
    ("L330", "A101", "m", (0.4, 0.9), "Prepare {client_witness} for deposition."),
    ("L330", "A109", "l", (0.4, 0.9), "Defend deposition of {client_witness}."),
    ("L330", "A104", "m", (0.5, 1.0),
     "Review transcript of {witness} deposition and draft summary for client."),
    ("L350", "A103", "m", (0.3, 0.8),
     "Draft meet-and-confer letter regarding deficiencies in {opponent}'s document production."),
    ("L350", "A107", "s", (0.3, 0.8),
     "Meet-and-confer call with opposing counsel regarding ESI search terms and custodians."),
)
_LITIGATION_SUPPORT: tuple[Narrative, ...] = (
    ("L110", "A102", "s", (0.0, 0.5),
     "Search court dockets and public records for prior litigation involving {opponent_name}."),
    ("L110", "A110", "m", (0.0, 0.6),
     "Assemble chronology exhibits for interview of {client_witness}."),
    ("L140", "A110", "s", _ALL, "Update case calendar with deadlines from scheduling order."),
    ("L140", "A110", "s", _ALL, "Save and index incoming correspondence and court filings."),
    ("L140", "A110", "m", _ALL, "Organize and index pleadings and correspondence files."),
    ("L140", "A110", "m", (0.2, 0.9),
     "Load incoming production into review platform and run quality-control checks."),
    ("L240", "A110", "m", (0.6, 1.0), "Cite-check brief and prepare table of authorities."),
    ("L250", "A110", "s", _ALL, "Finalize, e-file and serve stipulation extending deadlines."),
    ("L310", "A110", "s", (0.2, 0.8), "Prepare verification pages and serve discovery responses."),
    ("L320", "A104", "l", (0.2, 0.8),
     "First-level review of {custodian} documents for responsiveness (batch {batch})."),
    ("L320", "A110", "m", (0.2, 0.9),
     "Run search terms across {custodian} collection and report hit counts."),
    ("L320", "A110", "m", (0.2, 0.9),
     "Prepare production volume {volume}: Bates-label, redact and QC images."),
    ("L320", "A103", "m", (0.3, 0.9), "Prepare privilege log entries for withheld documents."),
    ("L330", "A110", "s", (0.4, 0.9),
     "Arrange court reporter and videographer for deposition of {witness}."),
    ("L330", "A110", "m", (0.4, 0.9), "Prepare exhibit binders for deposition of {witness}."),
    ("L330", "A103", "m", (0.5, 1.0), "Digest deposition transcript of {witness}."),
)
_COUNSELING_ATTORNEY: tuple[Narrative, ...] = (
    ("C100", "A106", "s", _ALL, "Telephone conference with {client_contact} regarding {topic}."),
    ("C100", "A104", "m", _ALL, "Review {policy_doc} and related internal correspondence."),
    ("C100", "A101", "m", _ALL, "Interview {client_witness} regarding {topic}."),
    ("C200", "A102", "m", _ALL, "Research {legal_issue}."),
    ("C200", "A102", "l", _ALL, "Research and prepare survey of authority on {legal_issue}."),
    ("C300", "A103", "m", _ALL, "Draft memorandum to {client_contact} advising on {topic}."),
    ("C300", "A106", "s", _ALL,
     "Telephone conference with {client_contact} regarding recommendations on {topic}."),
    ("C300", "A103", "m", _ALL, "Revise {policy_doc} to address {topic}."),
    ("C300", "A105", "s", _ALL, "Conference with {colleague} regarding advice on {topic}."),
    ("C300", "A104", "m", _ALL, "Review and comment on client's draft of {policy_doc}."),
    ("C400", "A108", "s", _ALL, "Telephone call with {third_party} regarding {topic}."),
    ("C400", "A103", "m", _ALL,
     "Draft letter to {third_party} responding to request for information."),
)
_COUNSELING_SUPPORT: tuple[Narrative, ...] = (
    ("C100", "A110", "m", _ALL,
     "Collect and organize {policy_doc} and related records for attorney review."),
    ("C200", "A102", "s", _ALL,
     "Compile agency guidance and recent enforcement actions on {legal_issue}."),
)
# Only the P200 due diligence tasks of the project code set are accepted as task codes (the
# other project phases have no tasks under them), so drafting and negotiation go uncoded.
_TRANSACTION_ATTORNEY: tuple[Narrative, ...] = (
    ("P210", "A104", "m", (0.0, 0.5),
     "Review {target} charter documents, minute books and capitalization table."),
    ("P220", "A104", "m", (0.0, 0.5),
     "Review {target} federal and state tax returns and tax sharing arrangements."),
    ("P240", "A104", "m", (0.0, 0.5),
     "Review {target} terminal leases for assignment and change-of-control provisions."),
    ("P250", "A104", "m", (0.0, 0.5),
     "Review {target} employment agreements and benefit plan documents."),
    ("P260", "A104", "s", (0.0, 0.5), "Review {target} trademark and domain name registrations."),
    ("P270", "A104", "m", (0.0, 0.6), "Review {target} {permit} and related regulatory filings."),
    ("P280", "A103", "m", (0.2, 0.6),
     "Draft due diligence memorandum summarizing key findings for {client_contact}."),
    ("", "", "l", (0.2, 1.0), "Revise draft {agreement} to reflect negotiated points."),
    ("", "", "m", (0.2, 1.0),
     "Negotiation call with {counterparty_counsel} regarding open issues in {agreement}."),
    ("", "", "m", (0.3, 1.0), "Draft disclosure schedules to {agreement}."),
    ("", "", "s", _ALL, "Email to {client_contact} regarding open issues list."),
    ("", "", "m", (0.2, 1.0),
     "Review and respond to {counterparty_counsel}'s comments on {agreement}."),
)
_TRANSACTION_SUPPORT: tuple[Narrative, ...] = (
    ("P210", "A110", "m", (0.0, 0.6),
     "Organize data room index and track outstanding diligence requests."),
    ("P210", "A110", "s", (0.0, 0.6), "Download and index new data room uploads."),
    ("P280", "A110", "m", (0.0, 0.6), "Update diligence request tracker with seller responses."),
    ("", "", "s", (0.0, 0.5), "Order good standing certificates and lien searches."),
    ("", "", "m", (0.3, 1.0), "Prepare comparison of {agreement} against prior draft."),
    ("", "", "m", (0.5, 1.0), "Prepare closing checklist and signature packets."),
    ("", "", "m", (0.6, 1.0), "Prepare officer's and secretary's certificates for closing."),
)
_GENERAL_ATTORNEY: tuple[Narrative, ...] = (
    ("", "", "s", _ALL, "Telephone conference with {client_contact} regarding {topic}."),
    ("", "", "m", _ALL, "Review and revise {agreement}."),
    ("", "", "m", _ALL, "Draft {agreement} reflecting agreed terms on {topic}."),
    ("", "", "s", _ALL, "Email to {counterparty_counsel} regarding {topic}."),
    ("", "", "m", _ALL, "Research {legal_issue}."),
    ("", "", "s", _ALL, "Conference with {colleague} regarding {topic}."),
    ("", "", "m", _ALL, "Draft memorandum to {client_contact} regarding {topic}."),
)
_GENERAL_SUPPORT: tuple[Narrative, ...] = (
    ("", "", "s", _ALL, "Prepare execution versions and signature pages of {agreement}."),
    ("", "", "m", _ALL, "Update contract tracking log and file executed documents."),
    ("", "", "s", _ALL, "Prepare comparison of {agreement} against prior draft."),
    ("", "", "m", _ALL, "Assemble and circulate execution set of {agreement}."),
)
# fmt: on
_NARRATIVES: dict[tuple[str, bool], tuple[Narrative, ...]] = {
    ("litigation", False): _LITIGATION_ATTORNEY,
    ("litigation", True): _LITIGATION_SUPPORT,
    ("counseling", False): _COUNSELING_ATTORNEY,
    ("counseling", True): _COUNSELING_SUPPORT,
    ("transaction", False): _TRANSACTION_ATTORNEY,
    ("transaction", True): _TRANSACTION_SUPPORT,
    ("general", False): _GENERAL_ATTORNEY,
    ("general", True): _GENERAL_SUPPORT,
}
_SIZES: dict[str, tuple[int, int]] = {"s": (1, 5), "m": (5, 25), "l": (15, 60)}  # in tenths
_DAY_LIMIT_SECONDS = 10 * 3600 + 1800  # a long day, far inside the services' 24 hours

_WRITE_DOWN_REASONS = (
    "Written down {pct}%: research time exceeds what the task warranted (partner review)",
    "Courtesy write-down of {pct}% per engagement partner",
    "Block-billed entry reduced {pct}% under client billing guidelines",
    "Written down {pct}%: duplicative review by two timekeepers",
)

# --- calendar --------------------------------------------------------------------------------

_DAY = timedelta(days=1)
_CENT = Decimal("0.01")


def _month_end(day: date) -> date:
    following = day.replace(day=28) + timedelta(days=4)
    return following - timedelta(days=following.day)


def _months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    first = date(year, month + 1, 1)
    return first.replace(day=min(day.day, _month_end(first).day))


def _holidays(year: int) -> set[date]:
    """The firm's holidays (US federal ones a law firm closes for), observed on a weekday."""

    def observed(day: date) -> date:
        return day - _DAY if day.weekday() == 5 else day + _DAY if day.weekday() == 6 else day

    def nth(month: int, weekday: int, n: int) -> date:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))

    def last(month: int, weekday: int) -> date:
        end = _month_end(date(year, month, 1))
        return end - timedelta(days=(end.weekday() - weekday) % 7)

    thanksgiving = nth(11, 3, 4)
    return {
        observed(date(year, 1, 1)),
        last(5, 0),
        observed(date(year, 7, 4)),
        nth(9, 0, 1),
        thanksgiving,
        thanksgiving + _DAY,
        observed(date(year, 12, 25)),
    }


def _is_workday(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def _workdays(first: date, last: date) -> list[date]:
    days = []
    day = first
    while day <= last:
        if _is_workday(day):
            days.append(day)
        day += _DAY
    return days


def _next_workday(day: date) -> date:
    while not _is_workday(day):
        day += _DAY
    return day


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=timezone.get_current_timezone())


def _hours(minutes: int) -> str:
    return f"{Decimal(minutes) / 60:.1f}"


def _money_text(cents: int) -> str:
    """A price as the string the services take, built from integer cents (never a float)."""
    return f"{cents // 100}.{cents % 100:02d}"


# --- planned work, before any of it is recorded ----------------------------------------------


@dataclass(frozen=True)
class _Period:
    start: date
    end: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


@dataclass
class _TimeSpec:
    matter: str
    timekeeper: str
    day: date
    seconds: int
    narrative: str
    task: str
    activity: str
    billable: str = Billable.BILLABLE
    late: bool = False  # recorded after the last bill run although dated before its cut-off


@dataclass(frozen=True)
class _ExpenseSpec:
    matter: str
    day: date
    code: str
    quantity: str
    unit_cost: str
    description: str
    timekeeper: str | None = None


@dataclass(frozen=True)
class _OpenBill:
    invoice: Invoice
    balance: Decimal
    paid: Decimal


@dataclass(frozen=True)
class _Event:
    """A payment or credit note waiting for its date in the history."""

    on: date
    seq: int  # keeps events of one day in the order they were planned
    action: Callable[[], None]


class _DemoBuilder:
    def __init__(self, rng: random.Random, today: date, say: Progress) -> None:
        self.rng = rng
        self.today = today
        self.say = say
        self.start = _months_before(today, 6)
        ends: list[date] = []
        end = _month_end(self.start)
        while end < today:
            ends.append(end)
            end = _month_end(end + _DAY)
        if ends and len(_workdays(self.start, ends[0])) < 8:
            ends.pop(0)  # a sliver of a month is billed with the next one
        self.periods: list[_Period] = []
        first = self.start
        for end in ends:
            self.periods.append(_Period(first, end))
            first = end + _DAY
        self.current = _Period(first, today - _DAY)  # work after the last bill run's cut-off
        if len(self.periods) < 5:
            raise LexbillError("the demo needs five months of history before today", field="today")
        self.windows = self._matter_windows()
        self.rise = self.periods[len(self.periods) // 2].start  # the firm's rate increase
        self.events: list[_Event] = []
        self.users: dict[str, User] = {}
        self.timekeepers: dict[str, Timekeeper] = {}
        self.clients: dict[str, Client] = {}
        self.client_key: dict[int, str] = {}
        self.matters: dict[str, Matter] = {}
        self.matter_key: dict[int, str] = {}

    # -- the whole build --

    def build(self) -> None:
        self.say(f"setting up {FIRM_NAME}: policy, users and timekeepers")
        self._firm_and_people()
        self._collections_setup()
        self.say("planning six months of work")
        times = self._plan_time()
        expenses = self._plan_expenses()
        self.say("opening clients and matters, setting rates")
        self._clients_and_matters(times)
        self._ebilling_profiles()
        self._guidelines()
        self._rates()
        finalized = len(self.periods) - 1
        for index in range(finalized):
            self._record(self.periods[index], times, expenses)
            if index == finalized - 1:
                self._trust_month(self.periods[index])  # before its invoices ask to replenish
            self._bill_month(index, finalized)
        self._record(self.periods[-1], times, expenses)
        self._open_bill_run(self.periods[-1])
        self._record_wip(times, expenses)
        self._settle_until(self.today)
        self._close_finished_matter()
        self._guideline_facts()
        self._collections_work()
        self._trust_work(self.periods[-2])

    # -- people, clients, matters, rates --

    def _firm_and_people(self) -> None:
        configure_firm(
            None,
            name=FIRM_NAME,
            address="200 Clarendon Street, 38th Floor\nBoston, MA 02116",
            tax_id="04-3817265",
            email="billing@haleward.example",
            phone="+1 617 555 0142",
            base_currency="USD",
            increment_minutes=6,
            time_rounding="up",
            payment_terms_days=30,
        )
        for username, role in DEMO_USERS.items():
            first, last = _USER_NAMES[username]
            self.users[username] = create_user(
                None,
                username,
                DEMO_PASSWORD,
                role,
                first_name=first,
                last_name=last,
                email=f"{first.lower()}.{last.lower()}@haleward.example",
            )
        for person in _PEOPLE:
            self.timekeepers[person.code] = create_timekeeper(
                None,
                person.code,
                person.first,
                person.last,
                person.classification,
                user=self.users["attorney"] if person.code == ATTORNEY_TIMEKEEPER else None,
                billable_target_hours=_TARGETS.get(person.classification),
            )

    def _ebilling_profiles(self) -> None:
        """Two clients bill through e-billing systems: one in LEDES 1998B with the litigation
        code set and activity codes required, the VAT-registered one in LEDES98BI."""
        save_profile(
            None,
            self.clients["northwind"],
            format="1998B",
            client_ledes_id="NWHS",
            task_code_sets=["litigation", "counseling"],
            require_activity_code=True,
            narrative_limit=1000,
        )
        firm_address = {
            "firm_city": "Boston",
            "firm_region": "MA",
            "firm_postcode": "02116",
            "firm_country": "US",
        }
        save_profile(
            None,
            self.clients["harrow"],
            format="98BI",
            tax_type="VAT",
            client_city="London",
            client_postcode="EC4M 6XH",
            client_country="GB",
            **firm_address,
        )

    def _guidelines(self) -> None:
        """Brightline's outside-counsel guidelines from the first bill on, so every bill run and
        approval records what they find and the guideline report has six months to show. Its
        rules only warn: the demo's reviewers bill through them, as Brightline's do."""
        import_guidelines(
            None,
            self.clients["brightline"],
            _BRIGHTLINE_GUIDELINES.format(start=self.start.isoformat()),
        )

    def _clients_and_matters(self, times: Sequence[_TimeSpec]) -> None:
        for plan in _CLIENTS:
            client = create_client(
                None,
                plan.number,
                plan.name,
                address=plan.address,
                billing_contact=plan.contact,
                billing_email=plan.email,
                tax_rate_percent=plan.tax_rate,
                tax_label=plan.tax_label,
                tax_id="GB 284 6613 90" if plan.key == "harrow" else "",
                late_charges_allowed=plan.late_charges,
            )
            self.clients[plan.key] = client
            self.client_key[client.pk] = plan.key
        for matter_plan in _MATTERS:
            opened, _ = self.windows[matter_plan.key]
            if matter_plan.window == "all":
                opened = self.start - timedelta(days=self.rng.randint(45, 400))
            cap = self._fee_cap(times) if matter_plan.key == CAPPED_MATTER else None
            matter = open_matter(
                None,
                self.clients[matter_plan.client],
                matter_plan.number,
                matter_plan.name,
                self.timekeepers[matter_plan.responsible],
                opened_on=opened,
                client_matter_id=matter_plan.client_matter_id,
                arrangement=matter_plan.arrangement,
                flat_fee=matter_plan.flat_fee,
                fee_cap=cap,
                practice_area=_PRACTICE_AREAS.get(matter_plan.key, ""),
            )
            self.matters[matter_plan.key] = matter
            self.matter_key[matter.pk] = matter_plan.key

    def _fee_cap(self, times: Sequence[_TimeSpec]) -> str:
        """The deal was capped below what it cost: the cap bites before the last invoice.

        It is 80% of the fees, at standard rates, of the work the finalized invoices cover.
        """
        invoiced_through = self.periods[-2].end
        fees = Decimal(0)
        for spec in times:
            if (
                spec.matter == CAPPED_MATTER
                and spec.billable == Billable.BILLABLE
                and spec.day <= invoiced_through
            ):
                person = _PERSON[spec.timekeeper]
                rate = Decimal(person.standard_rate or _CLASSIFICATION_RATES[person.classification])
                fees += rate * (-(-spec.seconds // 360) * 6) / 60
        return f"{max(10000, int(fees * 4 / 5 / 5000) * 5000)}.00"

    def _rates(self) -> None:
        """Rates at all four levels, so bills show where each rate came from."""
        since = date(self.start.year, 1, 1)
        rise = self.rise
        for classification, amount in _CLASSIFICATION_RATES.items():
            set_rate(None, RateLevel.CLASSIFICATION, amount, since, classification=classification)
        for person in _PEOPLE:
            tk = self.timekeepers[person.code]
            if person.standard_rate:
                set_rate(None, RateLevel.TIMEKEEPER, person.standard_rate, since, timekeeper=tk)
            if person.raised_rate:
                set_rate(None, RateLevel.TIMEKEEPER, person.raised_rate, rise, timekeeper=tk)
        # Northwind's negotiated rate card: a partner rate and flat associate/paralegal rates.
        northwind = self.clients["northwind"]
        set_rate(
            None,
            RateLevel.CLIENT,
            "795.00",
            since,
            client=northwind,
            timekeeper=self.timekeepers["DW"],
        )
        set_rate(
            None, RateLevel.CLIENT, "450.00", since, client=northwind, classification="associate"
        )
        set_rate(
            None, RateLevel.CLIENT, "210.00", since, client=northwind, classification="paralegal"
        )
        # The Apex case was taken on a discounted partner and paralegal rate.
        apex = self.matters["bl-lit"]
        set_rate(
            None,
            RateLevel.MATTER,
            "850.00",
            apex.opened_on,
            matter=apex,
            timekeeper=self.timekeepers["EH"],
        )
        set_rate(
            None,
            RateLevel.MATTER,
            "195.00",
            apex.opened_on,
            matter=apex,
            classification="paralegal",
        )

    def _matter_windows(self) -> dict[str, tuple[date, date]]:
        """Each matter's (opened on, last day of work)."""
        last_day = self.today - _DAY
        windows: dict[str, tuple[date, date]] = {}
        for plan in _MATTERS:
            if plan.window == "early":
                windows[plan.key] = (self.start - timedelta(days=30), self.periods[1].end)
            elif plan.window == "one_month":
                windows[plan.key] = (self.periods[1].start, self.periods[1].end)
            elif plan.window == "new":
                opened = _next_workday(self.periods[2].start + timedelta(days=6))
                windows[plan.key] = (opened, last_day)
            else:
                windows[plan.key] = (self.start, last_day)
        return windows

    # -- planning the work --

    def _stage(self, matter: str, day: date) -> float:
        first, last = self.windows[matter]
        first = max(first, self.start)
        return (day - first).days / max(1, (last - first).days)

    def _plan_time(self) -> list[_TimeSpec]:
        rng = self.rng
        days = _workdays(self.start, self.today - _DAY)
        away: dict[str, set[date]] = {}
        for person in _PEOPLE:  # one week of vacation each, and the odd day out
            week_start = rng.randrange(len(days) - 5)
            off = set(days[week_start : week_start + 5])
            off.update(day for day in days if rng.random() < 0.02)
            away[person.code] = off
        seconds_on: dict[tuple[str, date], int] = defaultdict(int)
        specs: list[_TimeSpec] = []
        for day in days:
            for person in _PEOPLE:
                if day in away[person.code] or day.weekday() not in person.weekdays:
                    continue
                active = [
                    plan
                    for plan in _MATTERS
                    if person.code in plan.team
                    and self.windows[plan.key][0] <= day <= self.windows[plan.key][1]
                ]
                if not active:
                    continue
                for _ in range(rng.randint(*person.entries_per_day)):
                    plan = rng.choices(active, weights=[p.team[person.code] for p in active])[0]
                    spec = self._entry(plan, person, day)
                    if seconds_on[(person.code, day)] + spec.seconds > _DAY_LIMIT_SECONDS:
                        break
                    seconds_on[(person.code, day)] += spec.seconds
                    specs.append(spec)
        specs.extend(self._special_entries())
        # Late time: a handful of entries for the last billed month reach billing after its run.
        last = self.periods[-1]
        late_window = [
            spec
            for spec in specs
            if last.end - timedelta(days=7) <= spec.day <= last.end
            and spec.matter not in _NOT_REVIEWED
            and spec.billable == Billable.BILLABLE
        ]
        for spec in rng.sample(late_window, k=min(12, len(late_window))):
            spec.late = True
        return specs

    def _entry(self, plan: _MatterPlan, person: _Person, day: date) -> _TimeSpec:
        rng = self.rng
        stage = self._stage(plan.key, day)
        choices = [
            n for n in _NARRATIVES[(plan.kind, person.supports)] if n[3][0] <= stage <= n[3][1]
        ] or list(_NARRATIVES[(plan.kind, person.supports)])
        task, activity, size, _, template = rng.choice(choices)
        tenths = rng.randint(*_SIZES[size])
        seconds = (tenths - 1) * 360 + rng.randint(30, 360)  # rounds up to ``tenths``
        return _TimeSpec(
            plan.key, person.code, day, seconds, self._fill(template, plan, person), task, activity
        )

    def _fill(self, template: str, plan: _MatterPlan, person: _Person) -> str:
        rng = self.rng
        values: dict[str, str] = {}
        for _, name, _, _ in string.Formatter().parse(template):
            if not name or name in values:
                continue
            if name == "colleague":
                others = [code for code in plan.team if code != person.code]
                values[name] = _PERSON[rng.choice(others)].short if others else "the team"
            elif name == "batch":
                values[name] = str(rng.randint(3, 48))
            elif name == "ordinal":
                values[name] = rng.choice(("first", "second", "third"))
            elif name == "volume":
                values[name] = f"{plan.kit['volume'][0]}{rng.randint(1, 14):03d}"
            else:
                values[name] = rng.choice(plan.kit[name])
        text = template.format(**values)
        return text[0].upper() + text[1:]

    def _special_entries(self) -> list[_TimeSpec]:
        """Work that is recorded but not charged: the monthly budget, a call about an invoice."""
        specs: list[_TimeSpec] = []

        def add(
            matter: str, tk: str, day: date, minutes: int, text: str, codes: str, how: str
        ) -> None:
            task, _, activity = codes.partition("/")
            specs.append(_TimeSpec(matter, tk, day, minutes * 60, text, task, activity, how))

        for index, period in enumerate(self.periods):
            days = _workdays(period.start, period.end)
            add("nw-lit", "DW", days[-1], 34,
                "Prepare monthly litigation budget update for client (not billable under the "
                "engagement terms).", "L150/A103", Billable.NON_BILLABLE)  # fmt: skip
            if index >= 1:
                add("bl-gen", "EH", days[len(days) // 2], 11,
                    "Telephone call with M. Delaney regarding questions on last month's "
                    "invoice (no charge).", "", Billable.NO_CHARGE)  # fmt: skip
        add("ks-ts", "DW", self.windows["ks-ts"][0], 45,
            "Prepare engagement letter and litigation hold notice for new matter "
            "(not billable).", "L190/A103", Billable.NON_BILLABLE)  # fmt: skip
        add("hf-pat", "LB", _workdays(self.periods[2].start, self.periods[2].end)[3], 25,
            "Training session on the document review platform (no charge to client).",
            "L140/A110", Billable.NO_CHARGE)  # fmt: skip
        return specs

    def _plan_expenses(self) -> list[_ExpenseSpec]:
        specs: list[_ExpenseSpec] = []
        for period in [*self.periods, self.current]:
            for plan in _MATTERS:
                first, last = self.windows[plan.key]
                days = _workdays(max(first, period.start, self.start), min(last, period.end))
                if days:
                    specs.extend(self._expenses_for(plan, days))
        specs.extend(self._one_off_expenses())
        return specs

    def _expenses_for(self, plan: _MatterPlan, days: Sequence[date]) -> list[_ExpenseSpec]:
        rng = self.rng
        kit = plan.kit
        specs: list[_ExpenseSpec] = []

        def add(code: str, quantity: str, unit: str, text: str, tk: str | None = None) -> None:
            specs.append(_ExpenseSpec(plan.key, rng.choice(days), code, quantity, unit, text, tk))

        def copying() -> None:
            add(
                "E101",
                str(rng.randint(40, 1800)),
                "0.10",
                rng.choice(
                    (
                        "Photocopying - document production set",
                        "Photocopying - hearing binders",
                        "Photocopying - deposition exhibits",
                        "Photocopying - client file set",
                    )
                ),
            )

        def courier(to: str) -> None:
            add(
                "E107",
                "1",
                rng.choice(("28.45", "34.10", "41.75", "52.20")),
                f"FedEx Priority Overnight to {to}",
            )

        if plan.kind == "litigation":
            stage = self._stage(plan.key, days[-1])
            for _ in range(rng.randint(1, 3)):
                pick = rng.randrange(4)
                if pick == 0:
                    copying()
                elif pick == 1:
                    courier(kit["opposing_firm"][0])
                elif pick == 2:
                    add("E106", str(rng.randint(20, 240)), "0.10", "PACER document retrieval")
                else:
                    add(
                        "E111",
                        "1",
                        _money_text(rng.randint(4500, 16500)),
                        "Working lunch during witness preparation session",
                    )
            if stage >= 0.2:
                add(
                    "E118",
                    str(rng.randint(18, 95)),
                    "12.00",
                    "E-discovery data hosting, per GB per month (Lumen Discovery)",
                )
            if stage >= 0.45:
                witness = rng.choice(kit["witness"])
                add(
                    "E115",
                    str(rng.randint(110, 340)),
                    "4.25",
                    f"Deposition transcript of {witness} (certified copy)",
                )
                if "travel_city" in kit:
                    city = kit["travel_city"][0]
                    lawyer = next(code for code in plan.team if not _PERSON[code].supports)
                    add(
                        "E110",
                        "1",
                        _money_text(rng.randint(38000, 74000)),
                        f"Airfare Boston-{city} round trip for deposition of {witness}",
                        lawyer,
                    )
                    add(
                        "E110",
                        str(rng.randint(1, 2)),
                        rng.choice(("289.00", "314.00", "342.00")),
                        f"Hotel, {city}, per night, deposition travel",
                        lawyer,
                    )
        elif plan.kind == "transaction":
            add("E118", "1", "1450.00", "Virtual data room hosting, monthly (Datasite)")
            if rng.random() < 0.5:
                courier("Fenwick & Dale LLP")
        elif rng.random() < 0.45:
            if rng.random() < 0.5:
                copying()
            else:
                add("E108", str(rng.randint(1, 6)), "8.85", "Certified mail, return receipt")
        return specs

    def _one_off_expenses(self) -> list[_ExpenseSpec]:
        """Court fees and the like, each on a working day of its matter."""

        def day(matter: str, nth: int) -> date:
            first, last = self.windows[matter]
            return _workdays(max(first, self.start), last)[nth]

        mediation = _workdays(self.periods[-2].start, self.periods[-2].end)[5]
        return [
            _ExpenseSpec("hf-pat", day("hf-pat", 3), "E112", "1", "50.00",
                         "Pro hac vice admission fee, U.S. District Court (D. Del.)", "JP"),
            _ExpenseSpec("ks-ts", day("ks-ts", 1), "E112", "1", "405.00",
                         "Civil action filing fee, U.S. District Court (D. Mass.)"),
            _ExpenseSpec("cr-zoning", day("cr-zoning", 6), "E112", "1", "175.00",
                         "Filing fee, Rule 80B complaint, Cumberland County Superior Court"),
            _ExpenseSpec("bl-acq", day("bl-acq", 8), "E124", "1", "385.00",
                         "UCC, tax lien and judgment searches (CT Corporation)"),
            _ExpenseSpec("bl-acq", day("bl-acq", 9), "E124", "2", "50.00",
                         "Certificates of good standing, Delaware and Ohio"),
            _ExpenseSpec("cr-lease", day("cr-lease", -2), "E124", "1", "95.00",
                         "Recording fee, memorandum of lease, Cumberland County Registry of Deeds"),
            _ExpenseSpec("bl-lit", mediation, "E121", "1", "6250.00",
                         "Mediator fee, one-half share (JAMS)"),
        ]  # fmt: skip

    # -- recording --

    def _record(
        self, period: _Period, times: Sequence[_TimeSpec], expenses: Sequence[_ExpenseSpec]
    ) -> None:
        self._record_specs(
            [s for s in times if s.day in period and not s.late],
            [e for e in expenses if e.day in period],
            f"recording {period.end:%B %Y} work",
        )

    def _record_wip(self, times: Sequence[_TimeSpec], expenses: Sequence[_ExpenseSpec]) -> None:
        self._record_specs(
            [s for s in times if s.late or s.day in self.current],
            [e for e in expenses if e.day in self.current],
            "recording work entered after the last bill run",
        )

    def _record_specs(
        self, times: Sequence[_TimeSpec], expenses: Sequence[_ExpenseSpec], message: str
    ) -> None:
        self.say(f"{message}: {len(times)} time entries, {len(expenses)} expenses")
        ordered = sorted(times, key=lambda s: (s.day, s.timekeeper))
        # Daniel Ward keys his own time; the billing clerk enters everyone else's timesheets.
        for user, mine in (
            (self.users["attorney"], [s for s in ordered if s.timekeeper == ATTORNEY_TIMEKEEPER]),
            (self.users["clerk"], [s for s in ordered if s.timekeeper != ATTORNEY_TIMEKEEPER]),
        ):
            if mine:
                with self._as(user):
                    record_time_batch(user, [self._time_draft(s) for s in mine])
        if expenses:
            clerk = self.users["clerk"]
            with self._as(clerk):
                record_expense_batch(
                    clerk,
                    [
                        ExpenseDraft(
                            matter=self.matters[e.matter],
                            date=e.day,
                            expense_code=e.code,
                            quantity=e.quantity,
                            unit_cost=e.unit_cost,
                            description=e.description,
                            timekeeper=self.timekeepers[e.timekeeper] if e.timekeeper else None,
                            **_expense_facts(e),
                        )
                        for e in sorted(expenses, key=lambda e: e.day)
                    ],
                )

    def _time_draft(self, spec: _TimeSpec) -> TimeDraft:
        return TimeDraft(
            matter=self.matters[spec.matter],
            timekeeper=self.timekeepers[spec.timekeeper],
            work_date=spec.day,
            duration_seconds=spec.seconds,
            narrative=spec.narrative,
            task_code=spec.task,
            activity_code=spec.activity,
            billable=spec.billable,
        )

    @contextmanager
    def _as(self, user: User) -> Iterator[None]:
        """Attribute the audit records to the demo user doing the step, on the caller's channel."""
        with acting_as(user, current_channel()):
            yield

    # -- billing a month --

    def _run(self, period: _Period) -> list[Prebill]:
        specialist = self.users["specialist"]
        run_on = min(_next_workday(period.end + _DAY), self.today)
        with self._as(specialist):
            run = run_bill_run(specialist, period.end, now=_at(run_on, 7))
        return list(
            Prebill.objects.filter(run=run).select_related("matter").order_by("matter__number")
        )

    def _bill_month(self, index: int, finalized: int) -> None:
        period = self.periods[index]
        self.say(f"billing {period.end:%B %Y}")
        prebills = self._run(period)
        self._review(index, prebills)
        issued_on = _next_workday(_next_workday(period.end + _DAY) + _DAY)
        self._settle_until(issued_on)
        invoices = self._finalize(
            prebills, issued_on, unsent={"cedar"} if index == finalized - 1 else set()
        )
        self._plan_settlement(index, finalized, invoices, issued_on)

    def _approver(self, prebill: Prebill) -> User:
        """Daniel Ward approves his own matters' pre-bills; the coordinator approves the rest."""
        if prebill.matter.responsible_attorney_id == self.timekeepers[ATTORNEY_TIMEKEEPER].pk:
            return self.users["attorney"]
        return self.users["coordinator"]

    def _editor(self, prebill: Prebill) -> User:
        if prebill.matter.responsible_attorney_id == self.timekeepers[ATTORNEY_TIMEKEEPER].pk:
            return self.users["attorney"]
        return self.users["specialist"]

    @staticmethod
    def _time_lines(prebill: Prebill) -> list[PrebillLine]:
        return list(
            PrebillLine.objects.filter(prebill=prebill, kind=LineKind.TIME, treatment="bill")
            .select_related("timekeeper")
            .order_by("date", "id")
        )

    def _reviewable(self, prebills: Sequence[Prebill]) -> list[Prebill]:
        return [
            pb
            for pb in prebills
            if self.matter_key[pb.matter_id] not in _NOT_REVIEWED and len(self._time_lines(pb)) >= 3
        ]

    def _write_down(self, prebill: Prebill, touched: set[int]) -> None:
        lines = [line for line in self._time_lines(prebill) if line.pk not in touched]
        associates = [
            line
            for line in lines
            if line.timekeeper
            and line.timekeeper.classification == "associate"
            and (line.minutes or 0) >= 60
        ]
        line = max(associates or lines, key=lambda line: (line.amount, -line.pk))
        pct = self.rng.choice((15, 20, 25))
        cut = (line.amount * pct / 100).quantize(_CENT)
        if cut <= 0:
            return
        editor = self._editor(prebill)
        with self._as(editor):
            adjust_line(
                editor, line, Decimal(0) - cut, self.rng.choice(_WRITE_DOWN_REASONS).format(pct=pct)
            )
        touched.add(line.pk)

    def _review(self, index: int, prebills: Sequence[Prebill]) -> None:
        """A month's review: write-downs, a no-charge line, a hold, one send-back, approvals."""
        rng = self.rng
        reviewable = self._reviewable(prebills)
        touched: set[int] = set()
        approved: set[int] = set()
        for prebill in rng.sample(reviewable, k=min(2, len(reviewable))):
            self._write_down(prebill, touched)
        if reviewable:
            prebill = rng.choice(reviewable)
            lines = [line for line in self._time_lines(prebill) if line.pk not in touched]
            internal = [line for line in lines if line.activity_code == "A105"]
            line = (internal or sorted(lines, key=lambda line: (line.minutes or 0, line.pk)))[0]
            editor = self._editor(prebill)
            with self._as(editor):
                set_line_treatment(editor, line, "no_charge")
            touched.add(line.pk)
        if index % 2 == 0 and reviewable:
            held = rng.choice(reviewable)
            lines = [line for line in self._time_lines(held) if line.pk not in touched]
            line = lines[-1]
            editor = self._editor(held)
            with self._as(editor):
                set_line_treatment(editor, line, "hold")
            touched.add(line.pk)
            approver = self._approver(held)
            with self._as(approver):
                approve_prebill(
                    approver,
                    held,
                    f"Approved. Held the {line.date:%b} {line.date.day} entry for next month "
                    "pending confirmation of the narrative.",
                )
            approved.add(held.pk)
        candidates = [pb for pb in reviewable if pb.pk not in approved]
        if candidates:
            prebill = rng.choice(candidates)
            self._send_back_and_fix(prebill, touched)
            approved.add(prebill.pk)
        for prebill in prebills:
            if prebill.pk in approved:
                continue
            approver = self._approver(prebill)
            comment = rng.choice(
                (
                    "",
                    "",
                    "Reviewed; OK to send.",
                    "Narratives checked against the client's billing guidelines.",
                )
            )
            with self._as(approver):
                approve_prebill(approver, prebill, comment)

    def _send_back_and_fix(self, prebill: Prebill, touched: set[int]) -> None:
        """The reviewer sends it back to trim an entry; billing trims it; the reviewer approves."""
        approver = self._approver(prebill)
        own = getattr(approver, "timekeeper", None)
        lines = [line for line in self._time_lines(prebill) if line.pk not in touched]
        lines = [line for line in lines if own is None or line.timekeeper_id != own.pk] or lines
        line = max(lines, key=lambda line: (line.minutes or 0, -line.pk))
        minutes = line.minutes or 0
        trimmed = max(6, minutes * 3 // 4 // 6 * 6)
        who = line.timekeeper.name if line.timekeeper else "the timekeeper"
        with self._as(approver):
            send_back_prebill(
                approver,
                prebill,
                f"The {_hours(minutes)} h entry of {line.date:%b} {line.date.day} by {who} is more "
                f"than the task needed; bill {_hours(trimmed)} h and send it back to me.",
            )
        specialist = self.users["specialist"]
        if trimmed < minutes:
            with self._as(specialist):
                edit_line(specialist, line, minutes=trimmed)
        touched.add(line.pk)
        with self._as(approver):
            approve_prebill(approver, prebill, "Revised as requested; approved.")

    def _finalize(
        self, prebills: Sequence[Prebill], issued_on: date, unsent: set[str]
    ) -> list[Invoice]:
        specialist = self.users["specialist"]
        invoices = []
        with self._as(specialist):
            for prebill in prebills:
                invoice = finalize_prebill(specialist, prebill, issued_on=issued_on)
                invoices.append(invoice)
                key = self.client_key[invoice.client_id]
                if key in unsent:
                    continue  # awaiting the partner's cover letter: final but not sent
                client = self.clients[key]
                record_delivery(
                    specialist,
                    invoice,
                    client.billing_email,
                    channel="ebilling" if key == "northwind" else "email",
                )
        return invoices

    def _open_bill_run(self, period: _Period) -> None:
        """Last month's run, still in review: drafts, one approved, one sent back, a write-down."""
        self.say(f"billing {period.end:%B %Y} (still in review)")
        prebills = self._run(period)
        reviewable = self._reviewable(prebills)
        dw = self.timekeepers[ATTORNEY_TIMEKEEPER].pk
        others = [pb for pb in reviewable if pb.matter.responsible_attorney_id != dw]
        own = [pb for pb in reviewable if pb.matter.responsible_attorney_id == dw]
        if others:
            approved = others.pop(0)
            coordinator = self.users["coordinator"]
            with self._as(coordinator):
                approve_prebill(
                    coordinator, approved, "Approved; finalize with the month-end batch."
                )
        if own:
            returned = own.pop(0)
            line = max(self._time_lines(returned), key=lambda line: (line.minutes or 0, -line.pk))
            who = line.timekeeper.name if line.timekeeper else "the timekeeper"
            comment = (
                f"The {_hours(line.minutes or 0)} h entry of {line.date:%b} {line.date.day} by "
                f"{who} reads as block billing; split it by task before this goes to the client."
            )
            if returned.lines.filter(expense_code="E115").exists():
                comment += " Hold the transcript charges until the vendor's invoice arrives."
            attorney = self.users["attorney"]
            with self._as(attorney):
                send_back_prebill(attorney, returned, comment)
        if others:
            self._write_down(others[0], set())

    # -- money received and credited --

    def _later(self, on: date, action: Callable[[], None]) -> None:
        self.events.append(_Event(on, len(self.events), action))

    def _settle_until(self, day: date) -> None:
        """Post the payments and credit notes dated before ``day``, oldest first."""
        due = sorted((e for e in self.events if e.on < day), key=lambda e: (e.on, e.seq))
        self.events = [e for e in self.events if e.on >= day]
        for event in due:
            event.action()

    def _plan_settlement(
        self, index: int, finalized: int, invoices: Sequence[Invoice], issued_on: date
    ) -> None:
        """How each client deals with this month's invoices; the story differs by age of the bill.

        Older bills are paid (one check for all of a client's matters), one is credited in full,
        one partly credited, one overpaid; two months ago one client stopped paying (overdue) and
        one paid part; last month's bills are mostly still open, one paid, one part paid and one
        never sent.
        """
        rng = self.rng
        by_client: dict[str, list[Invoice]] = defaultdict(list)
        for invoice in invoices:
            by_client[self.client_key[invoice.client_id]].append(invoice)
        latest, second = index == finalized - 1, index == finalized - 2
        for key, bills in by_client.items():
            largest = max(bills, key=lambda inv: (inv.total, inv.pk))
            if latest:
                if key == "brightline":
                    self._pay_later(key, issued_on + timedelta(days=12), [(b, None) for b in bills])
                elif key == "northwind":
                    self._pay_later(
                        key, issued_on + timedelta(days=20), [(largest, Decimal("0.5"))]
                    )
                continue
            if second:
                if key == "kestrel":
                    parts = [(b, Decimal("0.4") if b is largest else None) for b in bills]
                    self._pay_later(key, issued_on + timedelta(days=28), parts)
                elif key != "cedar":  # Cedar Ridge has stopped paying: overdue
                    days = rng.randint(21, 35)
                    self._pay_later(
                        key, issued_on + timedelta(days=days), [(b, None) for b in bills]
                    )
                continue
            payable = list(bills)
            if index == 0 and key == "kestrel":
                smallest = min(bills, key=lambda inv: (inv.total, inv.pk))
                payable.remove(smallest)
                self._credit_later(
                    smallest,
                    issued_on + timedelta(days=10),
                    None,
                    "Invoice credited in full as a client accommodation after a service "
                    "complaint (approved by E. Hale)",
                )
            if index == 1 and key == "harrow":
                self._credit_later(
                    largest,
                    issued_on + timedelta(days=9),
                    Decimal(10),
                    "Courtesy credit of 10% of the invoice before VAT, agreed with H. Marsh",
                )
            if payable:
                days = rng.randint(18, 40)
                overpay = index == finalized - 3 and key == "brightline"
                self._pay_later(
                    key,
                    issued_on + timedelta(days=days),
                    [(b, None) for b in payable],
                    overpay=overpay,
                )

    def _reference(self, key: str, on: date) -> tuple[str, str]:
        method = next(c.pays_by for c in _CLIENTS if c.key == key)
        number = self.rng.randint(10000, 99999)
        if method == "wire":
            return method, f"Wire {on:%Y%m%d} HFL-{number}"
        if method == "ach":
            return method, f"ACH {on:%Y%m%d}-{number}"
        return method, f"Check {number}"

    def _pay_later(
        self,
        key: str,
        on: date,
        parts: Sequence[tuple[Invoice, Decimal | None]],
        *,
        overpay: bool = False,
    ) -> None:
        method, reference = self._reference(key, on)
        ids = [invoice.pk for invoice, _ in parts]
        fractions = {invoice.pk: fraction for invoice, fraction in parts}

        def pay() -> None:
            allocations: list[tuple[str, Decimal]] = []
            for invoice in with_balances(Invoice.objects.filter(pk__in=ids)).order_by("number"):
                balance: Decimal = invoice.balance  # type: ignore[attr-defined]
                if balance <= 0:
                    continue
                fraction = fractions[invoice.pk]
                amount = balance if fraction is None else _part_of(balance, fraction)
                allocations.append((invoice.number, amount))
            if not allocations:
                return
            amount = sum((a for _, a in allocations), Decimal(0))
            note = reference
            if overpay:  # the client rounded its check up; the excess stays on account
                rounded = (amount / 1000).to_integral_value(rounding=ROUND_CEILING) * 1000
                amount = rounded if rounded > amount else amount + 1000
                note = f"{reference} (excess held on account)"
            clerk = self.users["clerk"]
            with self._as(clerk):
                post_payment(
                    clerk,
                    self.clients[key],
                    amount,
                    on,
                    allocations=allocations,
                    method=method,
                    reference=note,
                )

        self._later(on, pay)

    def _credit_later(
        self, invoice: Invoice, on: date, percent: Decimal | None, reason: str
    ) -> None:
        def credit() -> None:
            current = with_balances(Invoice.objects.filter(pk=invoice.pk)).get()
            if percent is None:
                amount = _full_credit(current)
            else:
                amount = (current.subtotal * percent / 100).quantize(_CENT)
            coordinator = self.users["coordinator"]
            with self._as(coordinator):
                issue_credit_note(coordinator, current, amount, reason, issued_on=on)

        self._later(on, credit)

    def _guideline_facts(self) -> None:
        """What Northwind's billing guidelines ask about, recorded as its people would: the
        litigation's budget (one phase already over), the timekeepers it approved (two of the
        team are not), and its notice of the firm's rate increase, given 75 days ahead."""
        self.say("recording Northwind's budgets, approved timekeepers and rate notice")
        northwind = self.clients["northwind"]
        specialist, coordinator = self.users["specialist"], self.users["coordinator"]
        matter = self.matters["nw-lit"]
        phases = ("L100", "L200", "L300", "L400")
        billed = billed_to_date(matter, phases)
        largest = max(phases, key=lambda phase: billed.by_phase.get(phase, Decimal(0)))
        with self._as(specialist):
            set_matter_budget(specialist, matter, "", _round_up(billed.total * 2, 10_000))
            for phase in phases:
                spent = billed.by_phase.get(phase, Decimal(0))
                if phase == largest and spent >= 2000:
                    budget = (spent * Decimal("0.9") / 1000).to_integral_value(ROUND_DOWN) * 1000
                else:
                    budget = _round_up(spent * Decimal("1.5"), 1000) + 5000
                set_matter_budget(specialist, matter, phase, budget)
            for code in ("DW", "JP", "MR", "RC", "SO"):
                approve_timekeeper(
                    specialist,
                    northwind,
                    self.timekeepers[code],
                    self.start,
                    "Approved staffing, engagement letter",
                )
        with self._as(coordinator):
            record_rate_notice(
                coordinator,
                northwind,
                self.rise,
                self.rise - timedelta(days=75),
                note="Annual rate letter to P. Raman",
            )

    def _close_finished_matter(self) -> None:
        matter = self.matters[CLOSED_MATTER]
        last_bill = Invoice.objects.filter(matter=matter).order_by("-issued_on").first()
        closed_on = min(
            self.today, (last_bill.issued_on if last_bill else self.today) + timedelta(days=14)
        )
        specialist = self.users["specialist"]
        self.say(f"closing matter {matter.number}")
        with self._as(specialist):
            close_matter(specialist, matter, closed_on)

    # -- collections: the policy, and what the billing office is working on today --

    def _collections_setup(self) -> None:
        """The firm's collections policy, the payment instructions its reminders print, and its
        operating bank account with the layout of the bank's CSV export.

        No prompt-payment discount is offered: with one, a payment inside its days settles more
        than the cash it brings, and the history's payments (and a visitor's first payment on a
        new invoice) are easier to follow without. Late charges are 12% a year after 15 days'
        grace, and only for clients whose engagement allows them (Cedar Ridge); none is assessed
        here, so ``lexbill late-charges`` has something to find."""
        coordinator, specialist = self.users["coordinator"], self.users["specialist"]
        with self._as(coordinator):
            update_collections_policy(
                coordinator,
                approval_threshold=_APPROVAL_THRESHOLD,
                prompt_discount_percent=Decimal(0),
                prompt_discount_days=0,
                late_charge_annual_percent=Decimal(12),
                late_charge_grace_days=15,
            )
            set_payment_instructions(coordinator, _PAYMENT_INSTRUCTIONS)
        with self._as(specialist):
            account = create_bank_account(
                specialist, _OPERATING_ACCOUNT, currency="USD", number="2045118-4821"
            )
            save_csv_mapping(specialist, account, "Harbor Trust CSV export", _BANK_CSV_LAYOUT)

    def _collections_work(self) -> None:
        """Receivables as a billing team finds them on the day: a bounced check, a payment plan,
        a short-paid wire written off, an overpayment partly refunded, an open dispute with a
        credit waiting for approval and an inquiry answered."""
        self.say("collections: a bounced check, a payment plan, disputes and adjustments")
        self._bounced_check()
        self._payment_plan()
        self._short_wire_written_off()
        self._refund_excess()
        self._disputes()

    def _open_bills(self, key: str) -> list[_OpenBill]:
        """The client's invoices with money owing, oldest first, with what is open and paid."""
        invoices = with_balances(Invoice.objects.filter(client=self.clients[key]))
        bills = [
            _OpenBill(invoice, invoice.balance, invoice.paid)  # type: ignore[attr-defined]
            for invoice in invoices.order_by("issued_on", "number")
        ]
        return [bill for bill in bills if bill.balance > 0]

    def _receive(
        self, key: str, invoice: Invoice, amount: Decimal, on: date, note: str = ""
    ) -> Payment:
        """The clerk posts a client's payment against one invoice, in the client's usual way."""
        method, reference = self._reference(key, on)
        clerk = self.users["clerk"]
        with self._as(clerk):
            return post_payment(
                clerk,
                self.clients[key],
                amount,
                on,
                allocations=[(invoice.number, amount)],
                method=method,
                reference=f"{reference} ({note})" if note else reference,
            )

    def _bounced_check(self) -> None:
        """Cedar Ridge, which stopped paying, sends a check for part of its overdue bill; the bank
        returns it unpaid and the specialist reverses it, so the bill is as overdue as before."""
        bills = self._open_bills("cedar")
        if not bills:
            return
        invoice = bills[0].invoice
        received = max(invoice.due_on, self.today - timedelta(days=27))
        amount = min(Decimal("1000.00"), _part_of(bills[0].balance, Decimal("0.5")))
        check = self._receive("cedar", invoice, amount, received)
        specialist = self.users["specialist"]
        with self._as(specialist):
            reverse_payment(
                specialist,
                check,
                received + timedelta(days=5),
                "NSF: returned unpaid by the client's bank",
            )

    def _payment_plan(self) -> None:
        """Kestrel paid part of an invoice and agreed to pay the rest in three monthly
        instalments; the first came in a day early, the other two are still to come."""
        agreed = self.today - timedelta(days=21)
        bill = next(
            (b for b in self._open_bills("kestrel") if b.paid > 0 and b.invoice.due_on < agreed),
            None,
        )
        if bill is None:
            return
        invoice = bill.invoice
        specialist = self.users["specialist"]
        with self._as(specialist):
            plan = create_plan(
                specialist,
                self.clients["kestrel"],
                [invoice.number],
                first_due=agreed + timedelta(days=7),
                count=3,
                grace_days=10,
                start_on=agreed,
                note=f"Agreed with A. Souza: the rest of invoice {invoice.number} in three "
                "monthly instalments.",
            )
        first = plan.instalments.order_by("sequence").first()
        if first is None:
            return
        self._receive(
            "kestrel", invoice, first.amount, first.due_on - _DAY, "payment plan, instalment 1"
        )

    def _short_wire_written_off(self) -> None:
        """Harrow & Finch's wire for last month's smaller bill arrives short by its banks'
        charges; the specialist writes the difference off, within the approval threshold."""
        unpaid = [bill for bill in self._open_bills("harrow") if bill.paid == 0]
        if not unpaid:
            return
        bill = min(unpaid, key=lambda b: (b.invoice.total, b.invoice.number))
        if bill.balance <= _WIRE_CHARGES:
            return
        invoice = bill.invoice
        received = self.today - timedelta(days=6)
        amount = bill.balance - _WIRE_CHARGES
        self._receive("harrow", invoice, amount, received, f"less {_WIRE_CHARGES} bank charges")
        specialist = self.users["specialist"]
        with self._as(specialist):
            request_write_off(
                specialist,
                invoice,
                _WIRE_CHARGES,
                "SMALL_BALANCE",
                written_off_on=received,
                note="Intermediary bank charges deducted from the client's wire",
            )

    def _refund_excess(self) -> None:
        """Brightline asks for most of the excess of its rounded-up check back; the rest stays
        on account for its next invoice."""
        receipts = Payment.objects.filter(
            client=self.clients["brightline"], kind=PaymentKind.RECEIPT
        ).order_by("received_on", "pk")
        for receipt in receipts:
            free = free_amount(receipt)
            if free <= 0:
                continue
            hundreds = (free / 100).to_integral_value(rounding=ROUND_DOWN) * 100
            refund = hundreds if hundreds > 0 else free
            specialist = self.users["specialist"]
            with self._as(specialist):
                refund_credit(
                    specialist,
                    receipt,
                    refund,
                    self.today - timedelta(days=3),
                    method="check",
                    reference=f"Refund check {self.rng.randint(1000, 9999)}",
                    reason="Excess returned at the client's request; the rest stays on account",
                )
            return

    def _disputes(self) -> None:
        """Northwind contests a time entry on the bill it part paid: the coordinator records it
        and gives it to the specialist, who works it and proposes a credit above the approval
        threshold, so it waits for the coordinator. Harrow & Finch asked a question about its
        bill, answered and closed."""
        coordinator, specialist = self.users["coordinator"], self.users["specialist"]
        contested = next((b.invoice for b in self._open_bills("northwind") if b.paid > 0), None)
        line = (
            InvoiceLine.objects.filter(invoice=contested, kind=LineKind.TIME)
            .order_by("-total", "position")
            .first()
        )
        if contested is not None and line is not None:
            hours, who = _hours(line.minutes or 0), line.timekeeper_name or "the timekeeper"
            with self._as(coordinator):
                dispute = open_dispute(
                    coordinator,
                    contested,
                    kind=DisputeKind.DISPUTE,
                    raised_by="Priya Raman",
                    description=f"Contests the {hours} h billed by {who} on {line.date:%b} "
                    f"{line.date.day} as more than the task needed; will pay the rest of the "
                    "invoice.",
                    raised_on=min(self.today, contested.issued_on + timedelta(days=12)),
                    received_via=ReceivedVia.PORTAL,
                    amount_disputed=line.total,
                    line=line,
                    assigned_to=specialist,
                )
            threshold = collections_policy().approval_threshold
            credit = max(_part_of(line.total, Decimal("0.5")), threshold + 250).quantize(_CENT)
            with self._as(specialist):
                add_note(
                    specialist,
                    dispute,
                    f"Pulled the time entry and the matter file; asked {who} what the "
                    f"{hours} h covered.",
                )
                request_credit_note(
                    specialist,
                    contested,
                    credit,
                    "FEE_DISPUTE",
                    note=f"Settles dispute {dispute.pk} about line {line.position}",
                )
                add_note(
                    specialist,
                    dispute,
                    f"Proposed a credit of {credit} {contested.currency} to settle; it is above "
                    f"the {threshold} approval threshold, so it waits for the coordinator.",
                )
        unpaid = [bill.invoice for bill in self._open_bills("harrow") if bill.paid == 0]
        if not unpaid:
            return
        asked = max(unpaid, key=lambda invoice: (invoice.total, -invoice.pk))
        with self._as(coordinator):
            inquiry = open_dispute(
                coordinator,
                asked,
                kind=DisputeKind.INQUIRY,
                raised_by="Helen Marsh",
                description="Asks for the hours by timekeeper behind the fees, for the "
                "quarterly legal spend report.",
                raised_on=min(self.today, asked.issued_on + timedelta(days=6)),
                received_via=ReceivedVia.EMAIL,
            )
        with self._as(specialist):
            resolve_by_explanation(
                specialist,
                inquiry,
                "Sent the timekeeper summary from the LEDES98BI file; the invoice stands as "
                "billed.",
            )

    # -- trust (IOLTA) accounting --

    def _trust_month(self, period: _Period) -> None:
        """The month before the last invoices, in trust: the firm's trust accounts at Harbor
        Trust open with a little firm money for bank charges; Kestrel agrees an evergreen
        retainer for the Quantix case and wires it, so that month's invoice asks for the
        replenishment; Northwind advances a forensic vendor's costs, which the specialist pays
        out by wire once an overdraft the rules refused is put right; Brightline's holdback for
        the Redwood deal is held in a separate interest-bearing account; at the month's end the
        bank takes its fee (from the buffer) and credits interest (the bar foundation's on IOLTA,
        the client's on the separate account)."""
        self.say("trust: accounts, an evergreen retainer, deposits and a disbursement")
        coordinator, specialist, clerk = (
            self.users["coordinator"],
            self.users["specialist"],
            self.users["clerk"],
        )
        days = _workdays(period.start, period.end)
        with self._as(specialist):
            iolta_bank = create_bank_account(
                specialist, _IOLTA_ACCOUNT, currency="USD", number="2045118-7730"
            )
            save_csv_mapping(specialist, iolta_bank, "Harbor Trust CSV export", _BANK_CSV_LAYOUT)
            escrow_bank = create_bank_account(
                specialist, _ESCROW_ACCOUNT, currency="USD", number="2045118-7748"
            )
        with self._as(coordinator):
            iolta = open_trust_account(coordinator, "IOLTA", "pooled", iolta_bank, period.start)
            escrow = open_trust_account(
                coordinator,
                "Brightline escrow",
                "separate",
                escrow_bank,
                period.start,
                client=self.clients["brightline"],
            )
            deposit_firm_funds(coordinator, iolta, _TRUST_BUFFER, days[0], reference="OPS-XFER")
        kestrel, northwind = self.matters["ks-ts"], self.matters["nw-hipaa"]
        with self._as(specialist):
            record_retainer(
                specialist,
                kestrel,
                iolta,
                "evergreen",
                _EVERGREEN_MINIMUM,
                days[1],
                minimum_balance=_EVERGREEN_MINIMUM,
                note="Engagement letter: keep the retainer in trust; each invoice is paid from "
                "it and replenished",
            )
        with self._as(clerk):
            deposit(
                clerk,
                iolta,
                kestrel,
                _EVERGREEN_MINIMUM,
                days[2],
                payor=self.clients["kestrel"].name,
                method="wire",
                reference=f"WIRE {days[2]:%Y%m%d} KSW-RET",
                purpose="evergreen retainer, Quantix litigation",
            )
            deposit(
                clerk,
                iolta,
                northwind,
                _FORENSIC_ADVANCE,
                days[3],
                payor=self.clients["northwind"].name,
                method="ach",
                reference=f"ACH {days[3]:%Y%m%d} NWH-ADV",
                purpose="advance for the forensic vendor's costs",
            )
            deposit(
                clerk,
                escrow,
                self.matters["bl-acq"],
                _ESCROW_HOLDBACK,
                days[4],
                payor=self.clients["brightline"].name,
                method="wire",
                reference=f"WIRE {days[4]:%Y%m%d} BLC-HOLD",
                purpose="indemnity holdback under the purchase agreement",
            )
        ledger = TrustLedger.objects.get(account=iolta, matter=northwind)
        vendor = "Sentinel Forensics LLC"
        with self._as(specialist):
            # the vendor's first invoice is more than Northwind advanced: refused and logged
            with suppress(LexbillError):
                disburse(
                    specialist,
                    ledger,
                    _FORENSIC_ADVANCE + Decimal("650.00"),
                    days[8],
                    payee=vendor,
                    purpose="forensic imaging and analysis, patient portal incident",
                    method="wire",
                    reference=f"WIRE {days[8]:%Y%m%d} SENTINEL",
                )
            disburse(
                specialist,
                ledger,
                _FORENSIC_PAID,
                days[9],
                payee=vendor,
                purpose="forensic imaging and analysis (revised invoice)",
                method="wire",
                reference=f"WIRE {days[9]:%Y%m%d} SENTINEL",
            )
            bank_charge(specialist, iolta, _BANK_FEE, period.end, reference="SVC CHG")
            record_interest(specialist, iolta, "8.42", period.end, reference="IOLTA INT")
            record_interest(specialist, escrow, "61.64", period.end, reference="INT CREDIT")

    def _trust_work(self, period: _Period) -> None:
        """After the month in ``_trust_month``: Kestrel wires the replenishment its invoice asked
        for and the invoice is paid from trust (the invoice was the notice), leaving the evergreen
        minimum; the bank remits the IOLTA interest; the rest of Northwind's advance is refunded;
        the next month's fee and interest; a check for Brightline's deposition costs came in
        yesterday and is still on hold; and the coordinator signs off the first month's
        reconciliation against the bank's statement."""
        self.say("trust: a fee transfer, a refund and a signed reconciliation")
        coordinator, specialist, clerk = (
            self.users["coordinator"],
            self.users["specialist"],
            self.users["clerk"],
        )
        iolta = TrustAccount.objects.get(name="IOLTA")
        kestrel = self.matters["ks-ts"]
        ledger = TrustLedger.objects.get(account=iolta, matter=kestrel)
        following = _Period(period.end + _DAY, _month_end(period.end + _DAY))
        days = _workdays(following.start, min(following.end, self.today - _DAY))
        invoice = (
            with_balances(Invoice.objects.filter(matter=kestrel, issued_on__gt=period.end))
            .order_by("issued_on", "number")
            .first()
        )
        asked = Replenishment.objects.filter(invoice=invoice).first() if invoice else None
        if invoice is not None and asked is not None:
            received = _next_workday(invoice.issued_on + timedelta(days=5))
            if asked.amount > 0:
                with self._as(clerk):
                    deposit(
                        clerk,
                        iolta,
                        kestrel,
                        asked.amount,
                        received,
                        payor=self.clients["kestrel"].name,
                        method="wire",
                        reference=f"WIRE {received:%Y%m%d} KSW-REPL",
                        purpose=f"replenishment asked with invoice {invoice.number}",
                    )
            # the invoice told Kestrel what would be withdrawn: it is the client's notice
            amount = min(invoice.balance, ledger_balance(ledger))  # type: ignore[attr-defined]
            with self._as(specialist):
                transfer_earned_fees(
                    specialist,
                    ledger,
                    invoice,
                    amount,
                    _next_workday(received + _DAY),
                    notice_sent_on=invoice.issued_on,
                    notice_method="invoice e-mailed to A. Souza",
                    reference=f"TRF {invoice.number}",
                )
        northwind = TrustLedger.objects.get(account=iolta, matter=self.matters["nw-hipaa"])
        with self._as(specialist):
            remit_foundation_interest(specialist, iolta, "8.42", days[5], "IOLTA REMIT")
            refund(
                specialist,
                northwind,
                ledger_balance(northwind),
                days[6],
                method="ach",
                reference=f"ACH {days[6]:%Y%m%d} NWH-REFUND",
                purpose="unused forensic cost advance returned",
            )
            if following.end < self.today:
                bank_charge(specialist, iolta, _BANK_FEE, following.end, reference="SVC CHG")
                record_interest(specialist, iolta, "9.87", following.end, reference="IOLTA INT")
        with self._as(clerk):
            received = self.today - _DAY
            deposit(
                clerk,
                iolta,
                self.matters["bl-lit"],
                "5000.00",
                received,
                payor=self.clients["brightline"].name,
                method="check",
                reference=str(self.rng.randint(10000, 99999)),
                purpose="advance for deposition transcripts and the expert's retainer",
            )
        self._sign_off_trust_month(iolta, period, specialist, coordinator)

    def _sign_off_trust_month(
        self, iolta: TrustAccount, period: _Period, specialist: User, coordinator: User
    ) -> None:
        """The bank's CSV statement of the month is imported (every line matches a posting)
        and the coordinator signs the three-way reconciliation off."""
        from lexbill.trust.reconciliation import import_trust_statement, sign_off

        postings = TrustTransaction.objects.filter(
            account=iolta, entered_on__range=(period.start, period.end)
        ).order_by("entered_on", "id")
        interest = FoundationInterest.objects.filter(
            account=iolta, entered_on__range=(period.start, period.end)
        ).order_by("entered_on", "id")
        rows = [
            (p.entered_on, Decimal(p.amount), p.reference, p.counterparty) for p in postings
        ] + [(i.entered_on, Decimal(i.amount), i.reference, "") for i in interest]
        rows.sort(key=lambda row: row[0])
        header = ["Posting Date", "Amount", "Description", "Originator", "Transaction ID", "Type"]
        lines = [",".join([*header, "Check Number"])]
        for n, (day, amount, reference, party) in enumerate(rows, start=1):
            kind = "CREDIT" if amount > 0 else "DEBIT"
            cells = [f"{day:%m/%d/%Y}", f"{amount}", reference, party.replace(",", ""), f"T{n}"]
            lines.append(",".join([*cells, kind, ""]))
        statement = ("\n".join(lines) + "\n").encode()
        mapping = iolta.bank_account.default_mapping
        with self._as(specialist):
            import_trust_statement(
                specialist,
                iolta,
                statement,
                "csv",
                mapping=mapping,
                file_name=f"iolta-{period.end:%Y-%m}.csv",
            )
        closing = sum((amount for _, amount, _, _ in rows), Decimal(0))
        with self._as(coordinator):
            sign_off(
                coordinator,
                iolta,
                period.end,
                statement_balance=closing,
                note="Statement, journal and client ledgers agree; no reconciling items.",
            )


_APPROVAL_THRESHOLD = Decimal("500.00")
_WIRE_CHARGES = Decimal("35.00")
_OPERATING_ACCOUNT = "Operating account - Harbor Trust"
_BANK_CSV_LAYOUT: dict[str, object] = {
    "date_column": "Posting Date",
    "amount_column": "Amount",
    "reference_column": "Description",
    "payer_column": "Originator",
    "bank_id_column": "Transaction ID",
    "type_column": "Type",
    "check_number_column": "Check Number",
    "date_format": "%m/%d/%Y",
}
_IOLTA_ACCOUNT = "IOLTA client trust account - Harbor Trust"
_ESCROW_ACCOUNT = "Brightline escrow (client trust) - Harbor Trust"
_TRUST_BUFFER = Decimal("150.00")  # firm money for bank charges, well inside the policy's cap
_BANK_FEE = Decimal("15.00")
_EVERGREEN_MINIMUM = Decimal("20000.00")
_FORENSIC_ADVANCE = Decimal("7500.00")
_FORENSIC_PAID = Decimal("6180.00")
_ESCROW_HOLDBACK = Decimal("150000.00")
_PAYMENT_INSTRUCTIONS = (
    "Please pay by ACH or wire to Hale & Ward LLP, Harbor Trust Bank, account 2045118-4821, "
    "routing 011000138, quoting the invoice number; or by check payable to Hale & Ward LLP, "
    "200 Clarendon Street, 38th Floor, Boston, MA 02116."
)


def _round_up(amount: Decimal, step: int) -> Decimal:
    return max((amount / step).to_integral_value(ROUND_CEILING), Decimal(1)) * step


_NO_RECEIPT_CODES = frozenset({"E101", "E106", "E107", "E108"})  # copies, PACER, couriers, post


def _expense_facts(spec: _ExpenseSpec) -> dict[str, Any]:
    """What clients' guidelines ask of an expense, decided from the expense itself rather than
    drawn at random (so the seed still makes the same firm): receipts for all but copies,
    PACER, couriers and postage; a meal for as many people as it cost 55.00 each; airfare over
    600.00 booked in business, the rest in economy."""
    amount = Decimal(spec.quantity) * Decimal(spec.unit_cost)
    facts: dict[str, Any] = {"receipt": spec.code not in _NO_RECEIPT_CODES}
    if spec.code == "E111":
        facts["persons"] = max(1, int(amount // 55))
    if spec.code == "E110" and spec.description.startswith("Airfare"):
        facts["travel_class"] = "business" if amount > 600 else "economy"
    return facts


def _part_of(balance: Decimal, fraction: Decimal) -> Decimal:
    """A client's partial payment: a round hundred when the bill is big enough, else cents."""
    part = balance * fraction
    hundreds = (part / 100).to_integral_value(rounding=ROUND_DOWN) * 100
    if 0 < hundreds < balance:
        return hundreds
    return part.quantize(_CENT)


def _full_credit(invoice: Invoice) -> Decimal:
    """The pre-tax amount whose credit note (amount plus its tax) clears what is left to credit."""
    credited: Decimal = invoice.credited  # type: ignore[attr-defined]
    remaining: Decimal = invoice.total - credited
    rate: Decimal = invoice.tax_rate_percent
    guess: Decimal = (remaining * 100 / (100 + rate)).quantize(_CENT)
    for amount in (guess, guess + _CENT, guess - _CENT):
        if amount + line_tax(amount, rate, invoice.currency) == remaining:
            return amount
    return guess - _CENT  # the nearest credit that fits: a cent may stay owing on a taxed bill
