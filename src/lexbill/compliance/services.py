"""A client's billing guidelines applied where the work is: versions imported from YAML, every
pre-bill checked, blocking findings fixed (certain fixes as write-downs) or overridden with a
reason before approval. The rules themselves live in the pure ``lexbill.guidelines`` engine."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from functools import lru_cache

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from lexbill import guidelines as g
from lexbill.billing.models import LineKind, LineTreatment, Prebill, PrebillLine, PrebillStatus
from lexbill.billing.prebills import (
    adjust_line,
    comment_on_prebill,
    edit_line,
    require_prebill_access,
    set_line_treatment,
)
from lexbill.clients.models import Client, Matter
from lexbill.compliance import facts
from lexbill.compliance.models import FindingOverride, GuidelineVersion
from lexbill.core.errors import InvalidEntry, InvalidTransition, NotFound
from lexbill.ebilling.export import profile_for
from lexbill.ebilling.models import EbillingProfile
from lexbill.entries.models import TimeEntry
from lexbill.firm.models import User
from lexbill.firm.permissions import Action, require

# ---- versions ---------------------------------------------------------------------------------


def import_guidelines(actor: User | None, client: Client, text: str) -> GuidelineVersion:
    """Store a new version; the whole document is checked first and nothing is stored when any
    rule or parameter is wrong (every problem named at once)."""
    require(actor, Action.MANAGE_CLIENTS)
    document = g.load_document(text, source="guidelines")
    if document.client and document.client != client.number:
        raise InvalidEntry(
            f"the document is for client {document.client!r}, not {client.number}", field="client"
        )
    with transaction.atomic():
        Client.objects.select_for_update().get(pk=client.pk)
        if GuidelineVersion.objects.filter(client=client, version=document.version).exists():
            latest = GuidelineVersion.objects.filter(client=client).order_by("-version").first()
            raise InvalidEntry(
                f"version {document.version} of {client.number}'s guidelines exists; number "
                f"the new one {latest.version + 1 if latest else 1}",
                field="version",
            )
        return GuidelineVersion.objects.create(
            client=client,
            version=document.version,
            name=document.name,
            effective_from=document.effective_from,
            effective_to=document.effective_to,
            source=text,
            imported_by=actor,
        )


@lru_cache(maxsize=256)
def _parsed(pk: int, source: str) -> g.GuidelineDocument:
    # versions never change, so (pk, text) is a safe key
    return g.load_document(source)


def documents(client: Client) -> list[g.GuidelineDocument]:
    return [_parsed(v.pk, v.source) for v in GuidelineVersion.objects.filter(client=client)]


def document_for(client: Client, day: date) -> g.GuidelineDocument | None:
    """The client's guidelines in force on ``day``, or None when it has none."""
    return g.document_in_force(documents(client), day)


def export_guidelines(client: Client, version: int | None = None) -> str:
    versions = GuidelineVersion.objects.filter(client=client).order_by("-version")
    found = versions.filter(version=version).first() if version else versions.first()
    if found is None:
        raise NotFound(
            f"client {client.number} has no guidelines" + (f" v{version}" if version else "")
        )
    return str(found.source)


# ---- checking ---------------------------------------------------------------------------------


_CENT = Decimal("0.01")


def _plain_rate(rate: Decimal) -> Decimal:
    """500.0000 as stored reads 500.00 in a finding; a rate with real fractions of a cent keeps
    them."""
    rounded = rate.quantize(_CENT)
    return rounded if rounded == rate else rate


def line_record(line: PrebillLine, matter: Matter, codes: EbillingProfile | None = None) -> g.Line:
    """A pre-bill line as the client's e-billing system sees it: what it bills now."""
    billed = (
        Decimal(line.amount + line.adjustment)
        if line.treatment == LineTreatment.BILL
        else Decimal(0)
    )
    entry = line.time_entry
    # the receipt, people and fare class of an expense are on the expense, not copied to the line
    expense = line.expense if line.expense_id is not None else None
    return g.Line(
        id=str(line.pk),
        kind=g.LineKind.TIME if line.kind == LineKind.TIME else g.LineKind.EXPENSE,
        matter_id=matter.number,
        work_date=line.date,
        amount=billed,
        timekeeper_id=line.timekeeper.code if line.timekeeper else "",
        # the LEDES code the client's system sees (PARTNR, ASSOC…), as guidelines name them
        classification=(
            (codes or profile_for(matter.client)).classification_code(
                line.timekeeper.classification
            )
            if line.timekeeper
            else ""
        ),
        minutes=line.minutes or 0,
        rate=_plain_rate(line.rate),
        narrative=line.narrative,
        task_code=line.task_code,
        activity_code=line.activity_code,
        expense_code=line.expense_code,
        quantity=Decimal(line.quantity or 0),
        unit_cost=Decimal(line.rate) if line.kind == LineKind.EXPENSE else Decimal(0),
        entered_on=timezone.localdate(entry.created_at) if entry is not None else None,
        receipt=expense.receipt if expense is not None else False,
        persons=expense.persons if expense is not None else 1,
        travel_class=expense.travel_class if expense is not None else "",
    )


def _other_minutes(prebill: Prebill, lines: Sequence[PrebillLine]) -> dict[tuple[str, date], int]:
    """Minutes the same timekeepers billed the same client on the same days on other matters:
    a daily cap counts every matter of the client."""
    days = {line.date for line in lines if line.kind == LineKind.TIME}
    keepers = {line.timekeeper_id for line in lines if line.timekeeper_id}
    if not days or not keepers:
        return {}
    rows = (
        TimeEntry.objects.filter(
            matter__client_id=prebill.matter.client_id,
            timekeeper_id__in=keepers,
            work_date__in=days,
        )
        .exclude(matter_id=prebill.matter_id)
        .values("timekeeper__code", "work_date")
        .annotate(minutes=Sum("billed_minutes"))
    )
    return {(r["timekeeper__code"], r["work_date"]): r["minutes"] for r in rows}


def prebill_findings(prebill: Prebill) -> g.CheckResult | None:
    """Every finding of the client's guidelines on the pre-bill's billed lines (held lines wait
    for their own bill, no-charge lines bill nothing); None when the client has no guidelines in
    force."""
    matter = prebill.matter
    document = document_for(matter.client, prebill.through)
    if document is None:
        return None
    lines = list(
        prebill.lines.filter(treatment=LineTreatment.BILL)
        .exclude(kind=LineKind.LATE_CHARGE)  # set by the firm's policy, not the client's rules
        .select_related("timekeeper", "time_entry", "expense")
        .order_by("kind", "date", "id")
    )
    keepers = {
        line.timekeeper_id: line.timekeeper
        for line in lines
        if line.kind == LineKind.TIME and line.timekeeper is not None
    }
    context = g.CheckContext(
        currency=matter.currency,
        period_end=prebill.through,
        invoice_date=timezone.localdate(),
        matters={matter.number: facts.matter_facts(matter, prebill)},
        approved_timekeepers=facts.approved_timekeepers(matter.client),
        rate_increases=facts.rate_increases(matter, keepers.values(), prebill.through),
        other_minutes_by_day=_other_minutes(prebill, lines),
    )
    profile = profile_for(matter.client)
    records = [line_record(line, matter, profile) for line in lines]
    return g.check_lines(document, records, context)


def finding_key(finding: g.Finding) -> tuple[str, str]:
    return finding.rule_id, ",".join(finding.line_ids)


def open_blocking(prebill: Prebill, result: g.CheckResult | None) -> list[g.Finding]:
    if result is None:
        return []
    overridden = set(prebill.overrides.values_list("rule_id", "line_key"))
    return [f for f in result.blocking if finding_key(f) not in overridden]


def require_no_blocking_findings(prebill: Prebill) -> None:
    """The approval check: every blocking finding fixed or overridden first. What it finds is
    recorded (kept only when the approval goes through: a refusal rolls back)."""
    from lexbill.compliance.records import check_and_record  # records builds on this module

    blocking = open_blocking(prebill, check_and_record(prebill))
    if blocking:
        first = blocking[0]
        raise InvalidTransition(
            f"pre-bill {prebill.pk} breaks {prebill.matter.client.name}'s billing guidelines "
            f"({len(blocking)} blocking finding{'s' if len(blocking) > 1 else ''}; first: "
            f"{first.message}); fix each or override it with a reason",
            field="findings",
        )


def override_finding(
    actor: User | None, prebill: Prebill, rule_id: str, line_key: str, reason: str
) -> FindingOverride:
    """Bill despite a blocking finding, with the reason kept (and audited) beside it."""
    require_prebill_access(actor, prebill, Action.APPROVE_PREBILL)
    if not reason.strip():
        raise InvalidEntry("say why the finding is overridden", field="reason")
    if prebill.status not in (PrebillStatus.DRAFT, PrebillStatus.RETURNED):
        raise InvalidTransition(f"pre-bill {prebill.pk} is {prebill.status}", field="status")
    from lexbill.compliance.records import record_findings  # records builds on this module

    result = prebill_findings(prebill)
    keys = {finding_key(f) for f in (result or g.CheckResult((), 0, "")).findings}
    if (rule_id, line_key) not in keys:
        raise NotFound(f"no finding of rule {rule_id!r} on line(s) {line_key or '(invoice)'}")
    if prebill.overrides.filter(rule_id=rule_id, line_key=line_key).exists():
        raise InvalidEntry("this finding is already overridden", field="rule_id")
    with transaction.atomic():
        override = FindingOverride.objects.create(
            prebill=prebill, rule_id=rule_id, line_key=line_key, reason=reason.strip(), by=actor
        )
        record_findings(prebill, result)
    return override


def apply_certain_fixes(
    actor: User | None, prebill: Prebill, rule_ids: Iterable[str] | None = None
) -> int:
    """Apply every certain fix (or those of ``rule_ids``); returns the lines changed.

    The line is changed the way the client's system will look at it: a capped rate becomes the
    line's rate, rounding to the increment its hours, a travel share or an amount cap a
    write-down naming the rule, a non-reimbursable expense no-charge. Every fix applied is also
    listed in one pre-bill comment, so the reviewer sees what the guidelines changed. Splits are
    proposals for a person to confirm, never applied here. Fixes can uncover a follow-on one (a
    capped rate lowers the value a travel share is taken from), so it checks again, a few times.
    """
    wanted = set(rule_ids) if rule_ids is not None else None
    changed: set[str] = set()
    notes: list[str] = []
    after_fixes: g.CheckResult | None = None
    with transaction.atomic():
        for _ in range(_FIX_PASSES):
            result = prebill_findings(prebill)
            fixes = [
                fix
                for fix in (result.fixes if result else ())
                if fix.kind is not g.FixKind.SPLIT and (wanted is None or fix.rule_id in wanted)
            ]
            if not fixes:
                after_fixes = result  # checked after the last fix: no need to check again
                break
            changed |= _apply_once(actor, prebill, fixes, notes)
        if notes:
            comment_on_prebill(
                actor, prebill, "Billing guideline fixes applied:\n" + "\n".join(notes)
            )
            from lexbill.compliance.records import check_and_record, record_findings

            # what the fixes fixed is recorded as fixed (records builds on this module)
            if after_fixes is not None:
                record_findings(prebill, after_fixes)
            else:
                check_and_record(prebill)
    return len(changed)


_FIX_PASSES = 3


def _apply_once(
    actor: User | None, prebill: Prebill, fixes: Sequence[g.Fix], notes: list[str]
) -> set[str]:
    matter = prebill.matter
    profile = profile_for(matter.client)
    lines = {
        str(line.pk): line
        for line in prebill.lines.select_related("timekeeper", "time_entry", "expense")
    }
    by_line: dict[str, list[g.Fix]] = {}
    for fix in fixes:
        by_line.setdefault(fix.line_id, []).append(fix)
    for key, line_fixes in by_line.items():
        line = lines[key]
        reasons = "; ".join(dict.fromkeys(fix.reason for fix in line_fixes))
        notes.append(f"line of {line.date} ({line.narrative[:40]}): {reasons}")
        if any(fix.kind is g.FixKind.REMOVE for fix in line_fixes):
            set_line_treatment(actor, line, LineTreatment.NO_CHARGE)
            continue
        original = line_record(line, matter, profile)
        [target] = g.apply_fixes([original], line_fixes, matter.currency)
        changes: dict[str, object] = {}
        if target.minutes != original.minutes:
            changes["minutes"] = target.minutes
        if line.kind == LineKind.TIME and target.rate != original.rate:
            changes["rate"] = target.rate
        if line.kind == LineKind.EXPENSE and target.unit_cost != original.unit_cost:
            changes["rate"] = target.unit_cost
        if changes:
            # the capped rate is the line's rate (the client's system compares rates, so a
            # write-down would not clear the finding); the rule shows where the rate comes from
            capping = [fix.rule_id for fix in line_fixes if fix.rate_at_most is not None]
            source = f"guideline {capping[0]}" if capping and "rate" in changes else "edited"
            line = edit_line(actor, line, rate_source=source, **changes)  # type: ignore[arg-type]
        left = target.amount - line_record(line, matter, profile).amount
        if left:
            reason = "; ".join(filter(None, [line.adjustment_reason, reasons]))
            adjust_line(actor, line, line.adjustment + left, reason[:200])
    return set(by_line)
