"""A client's billing guideline as data: versioned, effective-dated, rules with parameters.

Clients reissue their outside-counsel guidelines every year or two and the rules in force are
the ones of the version effective when the work is billed, so a document carries its version and
dates and old versions are kept, not edited. A matter may carry overrides (a negotiated rate cap,
travel allowed on a trial matter) that replace, add or switch off rules for that matter alone.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from lexbill.guidelines.errors import GuidelineError
from lexbill.guidelines.model import Severity
from lexbill.guidelines.params import CLIENT_WIDE, PARAMS, RuleParams, RuleType


@dataclass(frozen=True)
class RuleSpec:
    """One rule of a document: which check, how severe, with what parameters, and why.

    ``source`` cites the clause of the client's guideline ("§4.2 Travel") so a finding can say
    where the rule comes from when the billing partner disputes it.
    """

    id: str
    type: RuleType
    params: RuleParams
    severity: Severity
    source: str = ""

    def __post_init__(self) -> None:
        expected = PARAMS[self.type]
        if type(self.params) is not expected:
            raise TypeError(
                f"rule {self.id!r} of type {self.type.value} needs {expected.__name__} "
                f"parameters, not {type(self.params).__name__}"
            )


@dataclass(frozen=True)
class MatterOverride:
    """What changes for one matter: rules replaced or added by id, rules switched off."""

    matter_id: str
    rules: tuple[RuleSpec, ...] = ()
    disable: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class GuidelineDocument:
    """One version of a client's guidelines.

    Build it with ``document_from_data`` or ``load_document`` (which check everything and
    report every problem at once); constructing it directly checks the structure too.
    """

    name: str
    client: str
    version: int
    effective_from: datetime.date
    rules: tuple[RuleSpec, ...]
    effective_to: datetime.date | None = None
    """Last day in force; ``None`` until a later version replaces it."""
    currency: str = "USD"
    description: str = ""
    matters: tuple[MatterOverride, ...] = field(default=())

    def __post_init__(self) -> None:
        problems = structural_problems(self)
        if problems:
            raise GuidelineError(problems)

    def in_force_on(self, day: datetime.date) -> bool:
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )

    def override_for(self, matter_id: str) -> MatterOverride | None:
        for override in self.matters:
            if override.matter_id == matter_id:
                return override
        return None

    def rules_for_matter(self, matter_id: str) -> tuple[RuleSpec, ...]:
        """The rules in force for one matter: the client's, with the matter's overrides."""
        override = self.override_for(matter_id)
        if override is None:
            return self.rules
        replaced = {rule.id: rule for rule in override.rules}
        disabled = set(override.disable)
        result = [replaced.pop(rule.id, rule) for rule in self.rules if rule.id not in disabled]
        result.extend(rule for rule in override.rules if rule.id in replaced)
        return tuple(result)


def structural_problems(document: GuidelineDocument) -> list[str]:
    """Inconsistencies no single rule shows: duplicate ids, overrides of unknown rules."""
    problems: list[str] = []
    if document.version < 1:
        problems.append(f"version must be at least 1, not {document.version}")
    if document.effective_to is not None and document.effective_to < document.effective_from:
        problems.append(
            f"effective_to {document.effective_to} is before effective_from "
            f"{document.effective_from}"
        )
    by_id: dict[str, RuleSpec] = {}
    for index, rule in enumerate(document.rules):
        if not rule.id:
            problems.append(f"rules[{index}]: id is blank")
        elif rule.id in by_id:
            problems.append(f"rules[{index}] {rule.id!r}: the id is used twice")
        by_id.setdefault(rule.id, rule)
    seen_matters: set[str] = set()
    for m_index, override in enumerate(document.matters):
        where = f"matters[{m_index}] {override.matter_id!r}"
        if not override.matter_id:
            problems.append(f"matters[{m_index}]: matter is blank")
        if override.matter_id in seen_matters:
            problems.append(f"{where}: the matter is listed twice")
        seen_matters.add(override.matter_id)
        for rule_id in override.disable:
            base = by_id.get(rule_id)
            if base is None:
                problems.append(f"{where}: disables {rule_id!r}, which is not a rule")
            elif base.type in CLIENT_WIDE:
                problems.append(
                    f"{where}: {rule_id!r} ({base.type.value}) covers all the client's matters "
                    "and cannot be switched off for one"
                )
        own_ids: set[str] = set()
        for r_index, rule in enumerate(override.rules):
            rwhere = f"{where} rules[{r_index}] {rule.id!r}"
            if rule.id in own_ids:
                problems.append(f"{rwhere}: the id is used twice")
            own_ids.add(rule.id)
            if rule.type in CLIENT_WIDE:
                problems.append(
                    f"{rwhere}: {rule.type.value} covers all the client's matters; set it on the "
                    "client's rules"
                )
            base = by_id.get(rule.id)
            if base is not None and base.type is not rule.type:
                problems.append(
                    f"{rwhere}: replaces a {base.type.value} rule with a {rule.type.value} one; "
                    "give the new rule its own id"
                )
            if rule.id in override.disable:
                problems.append(f"{rwhere}: is both replaced and disabled")
    return problems


def document_in_force(
    documents: Iterable[GuidelineDocument], day: datetime.date
) -> GuidelineDocument | None:
    """The version in force on ``day``: the latest start on or before it, then the highest
    version (a reissue on the same day supersedes)."""
    best: GuidelineDocument | None = None
    for document in documents:
        if not document.in_force_on(day):
            continue
        if best is None or (document.effective_from, document.version) > (
            best.effective_from,
            best.version,
        ):
            best = document
    return best
