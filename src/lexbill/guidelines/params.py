"""The rule types a guideline can use and the parameters of each, with typical defaults.

Each rule type has one frozen parameter class; its fields *are* the YAML keys of the rule (the
loader reads them by name and type, so adding a field here is all a new parameter needs). The
defaults follow the public guidelines in shared/billing-rules.md (CLOC's sample, the e-billing
vendors' help pages); a client's document overrides any of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from lexbill.guidelines.model import Severity


class RuleType(StrEnum):
    BILLING_INCREMENT = "billing_increment"
    ENTRY_HOURS = "entry_hours"
    DAILY_HOURS = "daily_hours"
    BLOCK_BILLING = "block_billing"
    VAGUE_NARRATIVE = "vague_narrative"
    RATE_CAP = "rate_cap"
    RATE_INCREASE = "rate_increase"
    APPROVED_TIMEKEEPERS = "approved_timekeepers"
    NON_BILLABLE_CLASSIFICATION = "non_billable_classification"
    CLERICAL_WORK = "clerical_work"
    INTERNAL_CONFERENCE = "internal_conference"
    ATTENDANCE = "attendance"
    RESTRICTED_WORK = "restricted_work"
    TRAVEL_TIME = "travel_time"
    TRAVEL_DAILY_CAP = "travel_daily_cap"
    NON_REIMBURSABLE_EXPENSE = "non_reimbursable_expense"
    EXPENSE_CAP = "expense_cap"
    FIRST_CLASS_TRAVEL = "first_class_travel"
    RECEIPT_REQUIRED = "receipt_required"
    UTBMS_CODES = "utbms_codes"
    RESTRICTED_CODES = "restricted_codes"
    LATE_ENTRY = "late_entry"
    LATE_INVOICE = "late_invoice"
    BILLING_PERIOD = "billing_period"
    DUPLICATE_ENTRY = "duplicate_entry"
    MATTER_BUDGET = "matter_budget"
    PHASE_BUDGET = "phase_budget"


CLIENT_WIDE: frozenset[RuleType] = frozenset({RuleType.DAILY_HOURS, RuleType.LATE_INVOICE})
"""Rules about the client's whole bill, not one matter: a matter override may not change them."""


@dataclass(frozen=True)
class BillingIncrement:
    """Time billed in whole increments (0.1 h = 6 minutes); the fix rounds down, never up."""

    minutes: int = 6


@dataclass(frozen=True)
class EntryHours:
    """Bounds on one entry: long entries need approval (4 h typical), tiny ones are chipping."""

    min_hours: Decimal | None = None
    max_hours: Decimal | None = Decimal(4)


@dataclass(frozen=True)
class DailyHours:
    """Hours one timekeeper bills the client in a day, all matters together (CLOC: 8 h)."""

    max_hours: Decimal = Decimal(10)


TASK_WORDS: tuple[str, ...] = (
    "review", "reviewed", "analyze", "analyzed", "analysis", "draft", "drafted", "drafting",
    "revise", "revised", "revision", "prepare", "prepared", "preparation", "research",
    "researched", "attend", "attended", "call", "calls", "telephone", "email", "emails",
    "correspond", "correspondence", "letter", "conference", "confer", "meet", "meeting",
    "discuss", "discussed", "negotiate", "negotiated", "edit", "edited", "finalize", "finalized",
    "summarize", "outline", "travel", "appear", "argue", "file", "serve", "depose", "defend",
)  # fmt: skip


@dataclass(frozen=True)
class BlockBilling:
    """Several tasks under one time ("review file; draft motion; call client" for 3.5 h).

    A task is a part of the narrative (split at ``;``, sentence ends, and commas or "and"
    before a task word) that starts with a task word and names something. The fix proposes one
    entry per task with the time shared out in increments, for the user to confirm.
    ``at_risk_percent`` is what the client cuts (CLOC: 50 %, some reject the line).
    """

    task_words: tuple[str, ...] = TASK_WORDS
    min_tasks: int = 2
    at_risk_percent: Decimal = Decimal(50)


VAGUE_PHRASES: tuple[str, ...] = (
    "attention to", "work on", "worked on", "work on matter", "review file", "review documents",
    "review correspondence", "review email", "review emails", "regarding same", "re same",
    "conference", "conference call", "telephone call", "telephone conference", "call", "calls",
    "email", "emails", "correspondence", "prepare correspondence", "follow up", "meeting",
    "analysis", "research", "office conference", "various", "misc",
)  # fmt: skip
STOP_WORDS: tuple[str, ...] = (
    "a", "an", "the", "and", "or", "of", "to", "for", "in", "on", "at", "by", "with", "from",
    "re", "regarding", "about", "as", "is", "was", "be", "it", "this", "that", "these", "those",
    "our", "their", "his", "her", "its", "my", "all", "same", "various", "misc", "etc", "matter",
    "file", "files", "case", "issue", "issues", "item", "items", "document", "documents", "client",
    "work", "further", "other", "additional", "related", "multiple", "several",
)  # fmt: skip


@dataclass(frozen=True)
class VagueNarrative:
    """Narratives that do not say what was done and why ("attention to file", "conference").

    A narrative is vague when it is shorter than ``min_length`` characters, or when it uses one
    of ``phrases`` and, leaving out those phrases and ``stop_words``, has fewer than
    ``min_subject_words`` words left to name the subject.
    """

    phrases: tuple[str, ...] = VAGUE_PHRASES
    stop_words: tuple[str, ...] = STOP_WORDS
    min_length: int = 15
    min_subject_words: int = 2


@dataclass(frozen=True)
class RateCapItem:
    """One approved rate: for a timekeeper id, or for a classification."""

    max_rate: Decimal
    timekeeper: str = ""
    classification: str = ""


@dataclass(frozen=True)
class RateCap:
    """Approved hourly rates; a timekeeper's own cap beats the cap of their classification."""

    caps: tuple[RateCapItem, ...] = ()
    default_max_rate: Decimal | None = None


@dataclass(frozen=True)
class RateIncreaseRule:
    """Rate rises are paid only after the notice the client requires, and up to a percentage.

    Reads ``CheckContext.rate_increases``; work before notice + ``notice_days`` is payable at
    the previous rate.
    """

    notice_days: int = 60
    max_increase_percent: Decimal | None = None


@dataclass(frozen=True)
class ApprovedTimekeepers:
    """Only approved timekeepers may bill: these ids and ``CheckContext.approved_timekeepers``.

    With neither given, the rule cannot tell and says nothing.
    """

    timekeepers: tuple[str, ...] = ()


@dataclass(frozen=True)
class NonBillableClassification:
    """Classifications the client does not pay for at all; the fix writes the line off."""

    classifications: tuple[str, ...] = (
        "summer associate",
        "summer",
        "law clerk",
        "librarian",
        "secretary",
        "legal secretary",
        "SUMASC",
        "LCLERK",
        "SECRET",
    )


CLERICAL_PHRASES: tuple[str, ...] = (
    "scheduling", "schedule meeting", "schedule call", "calendar", "calendaring", "docketing",
    "filing", "e-file", "efile", "e-filing", "efiling", "file documents", "copying", "photocopy",
    "photocopying", "make copies", "organize", "organizing", "organized", "indexing",
    "index documents", "bates", "bates label", "bates labeling", "scanning", "scan documents",
    "deliver", "delivery", "mailing", "conflict check", "conflicts check", "assemble binders",
    "prepare binders", "binder", "binders", "labeling", "data entry", "update spreadsheet",
)  # fmt: skip


@dataclass(frozen=True)
class ClericalWork:
    """Clerical or administrative work billed by lawyers or paralegals is overhead.

    ``classifications`` limits the rule to those billers (empty: everyone).
    """

    phrases: tuple[str, ...] = CLERICAL_PHRASES
    classifications: tuple[str, ...] = ()


INTERNAL_PHRASES: tuple[str, ...] = (
    "internal conference", "internal meeting", "internal call", "office conference",
    "intra-office", "intraoffice", "intra office", "team meeting", "team call",
    "conference with associate", "conference with partner", "conference with paralegal",
    "confer with associate", "confer with partner", "confer with paralegal",
    "meet with associate", "meet with partner", "meet with paralegal",
    "discuss with associate", "discuss with partner", "discuss with paralegal",
    "discussion with associate", "discussion with partner",
)  # fmt: skip


@dataclass(frozen=True)
class InternalConference:
    """Conferences between the firm's own people.

    With ``max_billers`` 0 none is paid; with N, only N timekeepers may bill the internal
    conferences of one matter on one day (the others are at risk).
    """

    phrases: tuple[str, ...] = INTERNAL_PHRASES
    activity_codes: tuple[str, ...] = ("A105",)
    max_billers: int = 0


@dataclass(frozen=True)
class EventLimit:
    """How many timekeepers may bill one kind of event; ``words`` name the event."""

    kind: str
    words: tuple[str, ...]
    max_timekeepers: int


@dataclass(frozen=True)
class Attendance:
    """More timekeepers at one meeting, hearing or deposition than the client allows.

    A line attends an event when its ``event_id`` is set, or when its narrative names an event
    kind and an attendance word (or carries an ``activity_codes`` code, A109 appear/attend).
    Lines of one matter, day and event kind are one event; the timekeepers who billed the most
    are kept and the others are at risk.
    """

    events: tuple[EventLimit, ...] = (
        EventLimit("deposition", ("deposition", "depo"), 1),
        EventLimit("hearing", ("hearing",), 1),
        EventLimit("meeting", ("meeting",), 2),
        EventLimit("trial", ("trial",), 2),
        EventLimit("mediation", ("mediation",), 2),
    )
    attendance_words: tuple[str, ...] = (
        "attend", "attended", "attending", "attendance", "appear", "appeared", "appearance",
        "participate", "participated", "defend", "defended", "take", "took", "present",
    )  # fmt: skip
    activity_codes: tuple[str, ...] = ("A109",)


@dataclass(frozen=True)
class RestrictedWork:
    """Work the client does not pay for, or only with prior approval, named by its words.

    One rule per kind of work, its ``label`` saying why: "legal research needs prior approval",
    "billing about billing", "getting up to speed after a staffing change", "training".
    """

    phrases: tuple[str, ...]
    label: str


TRAVEL_PHRASES: tuple[str, ...] = (
    "travel", "traveled", "travelled", "traveling", "travelling", "drive to", "drive from",
    "drove to", "drove from", "flight to", "flight from", "fly to", "fly from", "flew to",
    "flew from", "train to", "train from",
)  # fmt: skip


@dataclass(frozen=True)
class TravelTime:
    """Non-working travel is paid at ``billable_percent`` of its value (50 % typical, 0 at CLOC).

    A time line is travel when its ``travel`` flag says so, or (flag unset) when its activity
    code is in ``activity_codes`` or its narrative uses one of ``phrases``. The fix writes the
    line down to the allowed share.
    """

    billable_percent: Decimal = Decimal(50)
    phrases: tuple[str, ...] = TRAVEL_PHRASES
    activity_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class TravelDailyCap:
    """At most ``max_hours`` of travel per timekeeper per day; the fix cuts the last lines."""

    max_hours: Decimal = Decimal(8)
    phrases: tuple[str, ...] = TRAVEL_PHRASES
    activity_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class NonReimbursableExpense:
    """Overhead the client does not reimburse (CLOC: copying, postage, phone, online research,
    overtime, supplies); matched by UTBMS expense code or by words. The fix removes the line."""

    codes: tuple[str, ...] = ("E104", "E105", "E106", "E108")
    phrases: tuple[str, ...] = (
        "postage",
        "local telephone",
        "long distance",
        "fax",
        "westlaw",
        "lexis",
        "pacer",
        "online research",
        "secretarial overtime",
        "overtime",
        "office supplies",
        "supplies",
        "conference room",
        "subscription",
    )


class CapBasis(StrEnum):
    UNIT = "unit"
    """The unit cost is capped: per page copied, per night, per mile."""
    PERSON = "person"
    """The amount is capped per person the expense covers: meals."""
    LINE = "line"
    """The amount of one line is capped."""


@dataclass(frozen=True)
class ExpenseCapItem:
    code: str
    max_amount: Decimal
    per: CapBasis = CapBasis.UNIT


@dataclass(frozen=True)
class ExpenseCap:
    """Caps on expenses by UTBMS code; the fix writes the line down to the cap."""

    caps: tuple[ExpenseCapItem, ...] = (
        ExpenseCapItem("E101", Decimal("0.10"), CapBasis.UNIT),
        ExpenseCapItem("E111", Decimal(60), CapBasis.PERSON),
    )


@dataclass(frozen=True)
class FirstClassTravel:
    """Airfare and rail above economy; the client pays coach, so the line is at risk."""

    codes: tuple[str, ...] = ("E110",)
    classes: tuple[str, ...] = ("first", "business")
    phrases: tuple[str, ...] = (
        "first class",
        "first-class",
        "business class",
        "business-class",
        "upgrade",
    )


@dataclass(frozen=True)
class ReceiptRequired:
    """Expenses above ``over_amount`` need a receipt (CLOC $25, federal CJA $50)."""

    over_amount: Decimal = Decimal(25)
    codes: tuple[str, ...] = ()
    """Only these expense codes; empty: every expense."""


@dataclass(frozen=True)
class UtbmsCodes:
    """UTBMS codes present and valid: task and activity on time, expense code on expenses.

    A task code must belong to the matter's code set (``MatterFacts.code_set``), else to one of
    ``code_sets`` when the guideline names them.
    """

    require_task: bool = True
    require_activity: bool = True
    require_expense: bool = True
    code_sets: tuple[str, ...] = ()


@dataclass(frozen=True)
class RestrictedCodes:
    """Codes of work the client has not authorized ("L5*": no appeal work without approval).

    A code ending in ``*`` matches every code that starts with the rest.
    """

    codes: tuple[str, ...]
    label: str = "work the client has not authorized"


@dataclass(frozen=True)
class LateEntry:
    """Time recorded more than ``max_days`` after the work (memory fades, bills get padded)."""

    max_days: int = 30


@dataclass(frozen=True)
class LateInvoice:
    """The invoice dated more than ``max_days`` after the billing period's end.

    With ``penalty_percent_per_month`` (CLOC: 5 % a month) that share of the invoice per started
    month late is at risk; without it, the whole invoice is.
    """

    max_days: int = 30
    penalty_percent_per_month: Decimal | None = None


@dataclass(frozen=True)
class BillingPeriod:
    """Lines dated outside the billing period, or after the invoice date."""

    allow_before_period: bool = False


@dataclass(frozen=True)
class DuplicateEntry:
    """The same timekeeper, day and matter with the same narrative more than once (expenses:
    the same day, matter, code, amount and description).

    With ``similarity`` 1 narratives match when they have the same words in the same order,
    case, punctuation and spacing aside. Below 1, narratives of one timekeeper, day and matter
    are also compared as sets of words less ``stop_words``, and match when the share of words
    in common (Jaccard) reaches ``similarity``: "draft letter and review file" then matches
    "review the file; draft letter".
    """

    similarity: Decimal = Decimal(1)
    same_hours: bool = False
    stop_words: tuple[str, ...] = ("a", "an", "the", "and", "of", "to", "re", "regarding", "with")


@dataclass(frozen=True)
class MatterBudget:
    """The matter's budget exceeded by more than ``tolerance_percent``."""

    tolerance_percent: Decimal = Decimal(0)


@dataclass(frozen=True)
class PhaseBudget:
    """A phase budget (L100…, keyed in ``MatterFacts.phase_budgets``) exceeded."""

    tolerance_percent: Decimal = Decimal(0)


RuleParams = (
    BillingIncrement
    | EntryHours
    | DailyHours
    | BlockBilling
    | VagueNarrative
    | RateCap
    | RateIncreaseRule
    | ApprovedTimekeepers
    | NonBillableClassification
    | ClericalWork
    | InternalConference
    | Attendance
    | RestrictedWork
    | TravelTime
    | TravelDailyCap
    | NonReimbursableExpense
    | ExpenseCap
    | FirstClassTravel
    | ReceiptRequired
    | UtbmsCodes
    | RestrictedCodes
    | LateEntry
    | LateInvoice
    | BillingPeriod
    | DuplicateEntry
    | MatterBudget
    | PhaseBudget
)

PARAMS: dict[RuleType, type[RuleParams]] = {
    RuleType.BILLING_INCREMENT: BillingIncrement,
    RuleType.ENTRY_HOURS: EntryHours,
    RuleType.DAILY_HOURS: DailyHours,
    RuleType.BLOCK_BILLING: BlockBilling,
    RuleType.VAGUE_NARRATIVE: VagueNarrative,
    RuleType.RATE_CAP: RateCap,
    RuleType.RATE_INCREASE: RateIncreaseRule,
    RuleType.APPROVED_TIMEKEEPERS: ApprovedTimekeepers,
    RuleType.NON_BILLABLE_CLASSIFICATION: NonBillableClassification,
    RuleType.CLERICAL_WORK: ClericalWork,
    RuleType.INTERNAL_CONFERENCE: InternalConference,
    RuleType.ATTENDANCE: Attendance,
    RuleType.RESTRICTED_WORK: RestrictedWork,
    RuleType.TRAVEL_TIME: TravelTime,
    RuleType.TRAVEL_DAILY_CAP: TravelDailyCap,
    RuleType.NON_REIMBURSABLE_EXPENSE: NonReimbursableExpense,
    RuleType.EXPENSE_CAP: ExpenseCap,
    RuleType.FIRST_CLASS_TRAVEL: FirstClassTravel,
    RuleType.RECEIPT_REQUIRED: ReceiptRequired,
    RuleType.UTBMS_CODES: UtbmsCodes,
    RuleType.RESTRICTED_CODES: RestrictedCodes,
    RuleType.LATE_ENTRY: LateEntry,
    RuleType.LATE_INVOICE: LateInvoice,
    RuleType.BILLING_PERIOD: BillingPeriod,
    RuleType.DUPLICATE_ENTRY: DuplicateEntry,
    RuleType.MATTER_BUDGET: MatterBudget,
    RuleType.PHASE_BUDGET: PhaseBudget,
}

DEFAULT_SEVERITY: dict[RuleType, Severity] = {
    RuleType.BILLING_INCREMENT: Severity.BLOCK,
    RuleType.ENTRY_HOURS: Severity.WARN,
    RuleType.DAILY_HOURS: Severity.BLOCK,
    RuleType.BLOCK_BILLING: Severity.BLOCK,
    RuleType.VAGUE_NARRATIVE: Severity.WARN,
    RuleType.RATE_CAP: Severity.BLOCK,
    RuleType.RATE_INCREASE: Severity.BLOCK,
    RuleType.APPROVED_TIMEKEEPERS: Severity.BLOCK,
    RuleType.NON_BILLABLE_CLASSIFICATION: Severity.BLOCK,
    RuleType.CLERICAL_WORK: Severity.WARN,
    RuleType.INTERNAL_CONFERENCE: Severity.WARN,
    RuleType.ATTENDANCE: Severity.WARN,
    RuleType.RESTRICTED_WORK: Severity.WARN,
    RuleType.TRAVEL_TIME: Severity.BLOCK,
    RuleType.TRAVEL_DAILY_CAP: Severity.BLOCK,
    RuleType.NON_REIMBURSABLE_EXPENSE: Severity.BLOCK,
    RuleType.EXPENSE_CAP: Severity.BLOCK,
    RuleType.FIRST_CLASS_TRAVEL: Severity.WARN,
    RuleType.RECEIPT_REQUIRED: Severity.WARN,
    RuleType.UTBMS_CODES: Severity.BLOCK,
    RuleType.RESTRICTED_CODES: Severity.WARN,
    RuleType.LATE_ENTRY: Severity.WARN,
    RuleType.LATE_INVOICE: Severity.WARN,
    RuleType.BILLING_PERIOD: Severity.BLOCK,
    RuleType.DUPLICATE_ENTRY: Severity.BLOCK,
    RuleType.MATTER_BUDGET: Severity.WARN,
    RuleType.PHASE_BUDGET: Severity.WARN,
}
