"""What the guideline checks found, kept: the facts behind the report of findings by client, rule
and timekeeper.

Findings are computed on demand from the pre-bill as it stands, so once a reviewer fixes a line
its finding is gone, and with it the lesson (which rules cost money, whose narratives need
work). ``record_findings`` keeps each finding the first time a check finds it, with the amount
at risk as first found, and follows its outcome on every later check: fixed when it is no longer
found, overridden while a reviewer's override covers it, open otherwise (after approval: billed
with it). It is called wherever findings are checked for real — right after a bill run for the
clients with guidelines, when the findings panel loads, after a fix or an override, and at
approval — and only while the pre-bill can still change (draft or sent back), so what an
approved or finalized pre-bill shows is what it was billed with.

Everything is set-based: one query each for the records and overrides already there, one for the
lines of new findings, one ``bulk_create`` and at most one ``UPDATE`` per pre-bill.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Case, CharField, Value, When
from django.utils import timezone

from lexbill import guidelines as g
from lexbill.audit.recorder import record_event
from lexbill.billing.models import BillRun, Prebill, PrebillLine
from lexbill.billing.prebills import EDITABLE
from lexbill.compliance.models import FindingOutcome, FindingRecord, GuidelineVersion
from lexbill.compliance.services import finding_key, prebill_findings
from lexbill.core.errors import LexbillError
from lexbill.core.money import minor_unit_places
from lexbill.core.splitting import share_amount

_ZERO = Decimal(0)
Key = tuple[str, str]  # (rule id, line key), as services.finding_key makes it


@dataclass(frozen=True)
class Recorded:
    """What one recording changed, counted in findings (not timekeeper rows)."""

    new: int = 0
    fixed: int = 0
    overridden: int = 0
    reopened: int = 0

    @property
    def changed(self) -> bool:
        return any((self.new, self.fixed, self.overridden, self.reopened))

    def __add__(self, other: Recorded) -> Recorded:
        return Recorded(
            self.new + other.new,
            self.fixed + other.fixed,
            self.overridden + other.overridden,
            self.reopened + other.reopened,
        )

    def as_dict(self) -> dict[str, int]:
        return {
            "new": self.new,
            "fixed": self.fixed,
            "overridden": self.overridden,
            "reopened": self.reopened,
        }


def line_key_hash(line_key: str) -> str:
    """The unique constraint's stand-in for a line key that can name hundreds of lines."""
    return hashlib.sha1(line_key.encode(), usedforsecurity=False).hexdigest()


def timekeeper_shares(
    finding: g.Finding, lines: Mapping[str, tuple[int | None, Decimal]], currency: str
) -> list[tuple[int | None, Decimal]]:
    """The finding's amount at risk per timekeeper of its lines, in the order they first appear.

    ``lines`` maps a line id to (timekeeper id or None, billed amount). Shares follow the billed
    amounts of each timekeeper's lines (by line count when they are all zero), rounded down to
    the minor unit with the remainder on the last, so they add up to exactly the finding's
    amount and a total by timekeeper never counts a cent twice. A finding over one timekeeper's
    lines, over lines without one, or over the whole invoice is one share.
    """
    groups: dict[int | None, list[Decimal]] = {}
    for line_id in finding.line_ids:
        keeper, billed = lines.get(line_id, (None, _ZERO))
        groups.setdefault(keeper, []).append(billed)
    if len(groups) <= 1:
        return [(next(iter(groups), None), finding.amount_at_risk)]
    places = minor_unit_places(currency)
    weights = [max(0, int(sum(billed, _ZERO).scaleb(places))) for billed in groups.values()]
    if not any(weights):
        weights = [len(billed) for billed in groups.values()]
    return list(zip(groups, share_amount(finding.amount_at_risk, weights, currency), strict=True))


def _current(result: g.CheckResult) -> dict[Key, g.Finding]:
    """The result's findings by key. Two findings of one rule on the same lines (no rule makes
    them today) are one finding here, their amounts added, as one override covers both."""
    current: dict[Key, g.Finding] = {}
    for finding in result.findings:
        key = finding_key(finding)
        seen = current.get(key)
        current[key] = (
            finding
            if seen is None
            else replace(seen, amount_at_risk=seen.amount_at_risk + finding.amount_at_risk)
        )
    return current


def _outcome(key: Key, current: Mapping[Key, g.Finding], overridden: set[Key]) -> str:
    if key not in current:
        return FindingOutcome.FIXED
    return FindingOutcome.OVERRIDDEN if key in overridden else FindingOutcome.OPEN


def _new_rows(
    prebill: Prebill,
    found: Sequence[tuple[Key, g.Finding]],
    overridden: set[Key],
    currency: str,
    now: datetime,
) -> list[FindingRecord]:
    ids = {int(i) for _, finding in found for i in finding.line_ids if i.isdigit()}
    lines = {
        str(pk): (keeper, amount + adjustment)
        for pk, keeper, amount, adjustment in PrebillLine.objects.filter(
            prebill=prebill, pk__in=ids
        ).values_list("pk", "timekeeper_id", "amount", "adjustment")
    }
    matter = prebill.matter
    rows = []
    for key, finding in found:
        outcome = _outcome(key, {key: finding}, overridden)
        digest = line_key_hash(key[1])
        shares = timekeeper_shares(finding, lines, currency)
        for part, (keeper, amount) in enumerate(shares, start=1):
            rows.append(
                FindingRecord(
                    prebill=prebill,
                    client_id=matter.client_id,
                    matter=matter,
                    through=prebill.through,
                    rule_id=finding.rule_id,
                    rule_type=finding.rule_type,
                    severity=finding.severity.value,
                    line_key=key[1],
                    line_key_hash=digest,
                    part=part,
                    timekeeper_id=keeper,
                    amount_at_risk=amount,
                    currency=currency,
                    message=finding.message,
                    first_found_at=now,
                    outcome=outcome,
                    outcome_at=now,
                )
            )
    return rows


def _record(prebill: Prebill, result: g.CheckResult | None, now: datetime) -> Recorded:
    if result is None or prebill.status not in EDITABLE:
        # no guidelines in force: nothing was checked, so nothing is known to be fixed; and an
        # approved pre-bill keeps what it was billed with
        return Recorded()
    current = _current(result)
    overridden: set[Key] = set(prebill.overrides.values_list("rule_id", "line_key"))
    rows = list(
        FindingRecord.objects.filter(prebill=prebill).values_list(
            "pk", "rule_id", "line_key", "part", "outcome"
        )
    )
    known = {(rule_id, line_key) for _, rule_id, line_key, _, _ in rows}
    found = [(key, finding) for key, finding in current.items() if key not in known]
    if found:
        FindingRecord.objects.bulk_create(
            _new_rows(prebill, found, overridden, result.currency, now),
            ignore_conflicts=True,  # a check recorded at the same moment elsewhere wins
        )
    changes: dict[str, list[int]] = {}
    counted: dict[str, int] = {}
    for pk, rule_id, line_key, part, outcome in rows:
        wanted = _outcome((rule_id, line_key), current, overridden)
        if wanted == outcome:
            continue
        changes.setdefault(wanted, []).append(pk)
        if part == 1:
            change = "reopened" if wanted == FindingOutcome.OPEN else wanted
            counted[change] = counted.get(change, 0) + 1
    if changes:
        FindingRecord.objects.filter(pk__in=[pk for ids in changes.values() for pk in ids]).update(
            outcome=Case(
                *(When(pk__in=ids, then=Value(wanted)) for wanted, ids in changes.items()),
                output_field=CharField(),
            ),
            outcome_at=now,
        )
    return Recorded(
        new=len(found),
        fixed=counted.get(FindingOutcome.FIXED, 0),
        overridden=counted.get(FindingOutcome.OVERRIDDEN, 0),
        reopened=counted.get("reopened", 0),
    )


def record_findings(
    prebill: Prebill, result: g.CheckResult | None, *, now: datetime | None = None
) -> Recorded:
    """Keep what ``result`` (a fresh ``prebill_findings`` of ``prebill``) found.

    New findings are inserted with the amount at risk as found; findings no longer found become
    fixed, those under an override overridden, a fixed one found again open. A finding is
    keyed by pre-bill, rule and line ids, as overrides are. No role is checked: this records
    what a check found, for whoever ran it, and its callers have checked theirs. One audit event
    when anything changed, not one per row.
    """
    with transaction.atomic():
        recorded = _record(prebill, result, now or timezone.now())
        if recorded.changed:
            record_event(
                "compliance.FindingRecord",
                prebill.pk,
                f"guideline findings of pre-bill {prebill.pk}: {recorded.new} new, "
                f"{recorded.fixed} fixed, {recorded.overridden} overridden, "
                f"{recorded.reopened} found again",
                **recorded.as_dict(),
            )
    return recorded


def check_and_record(prebill: Prebill) -> g.CheckResult | None:
    """``prebill_findings``, recorded: for the places where findings are checked for real."""
    result = prebill_findings(prebill)
    record_findings(prebill, result)
    return result


def record_bill_run_findings(run: BillRun) -> Recorded:
    """After a bill run, inside its transaction: check and record the new pre-bills of clients
    that have guidelines (registered in ``billing.bill_run.AFTER_BILL_RUN``).

    A firm without guidelines pays one indexed query; pre-bills of clients without them are
    never loaded. A pre-bill the engine refuses to check (a guideline in another currency) is
    left for its findings panel to say so: a guideline mistake must not stop the bill run.
    """
    clients = set(GuidelineVersion.objects.values_list("client_id", flat=True).distinct())
    if not clients:
        return Recorded()
    now = timezone.now()
    total = Recorded()
    prebills = Prebill.objects.filter(run=run, matter__client_id__in=clients).select_related(
        "matter__client"
    )
    checked = 0
    for prebill in prebills.order_by("pk"):
        try:
            result = prebill_findings(prebill)
        except LexbillError:
            continue
        total += _record(prebill, result, now)
        checked += result is not None
    if total.changed:
        record_event(
            "billing.BillRun",
            run.pk,
            f"guideline findings of bill run {run.pk}: {total.new} on {checked} pre-bills",
            prebills_checked=checked,
            **total.as_dict(),
        )
    return total
