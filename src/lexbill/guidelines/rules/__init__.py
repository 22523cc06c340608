"""The compiled rule for each rule type."""

from __future__ import annotations

from typing import Any

from lexbill.guidelines.params import RuleType
from lexbill.guidelines.rules.base import DocumentFacts, Found, Rule, Scan
from lexbill.guidelines.rules.bill import (
    BillingPeriodRule,
    DuplicateEntryRule,
    LateInvoiceRule,
    MatterBudgetRule,
    PhaseBudgetRule,
)
from lexbill.guidelines.rules.codes import RestrictedCodesRule, UtbmsCodesRule
from lexbill.guidelines.rules.expenses import (
    ExpenseCapRule,
    FirstClassTravelRule,
    NonReimbursableExpenseRule,
    ReceiptRequiredRule,
    TravelDailyCapRule,
    TravelTimeRule,
)
from lexbill.guidelines.rules.narrative import (
    BlockBillingRule,
    ClericalWorkRule,
    InternalConferenceRule,
    RestrictedWorkRule,
    VagueNarrativeRule,
)
from lexbill.guidelines.rules.staffing import (
    ApprovedTimekeepersRule,
    AttendanceRule,
    NonBillableClassificationRule,
    RateCapRule,
    RateIncreaseCheck,
)
from lexbill.guidelines.rules.time import (
    BillingIncrementRule,
    DailyHoursRule,
    EntryHoursRule,
    LateEntryRule,
)

RULES: dict[RuleType, type[Rule[Any]]] = {
    rule.type: rule
    for rule in (
        BillingIncrementRule,
        EntryHoursRule,
        DailyHoursRule,
        BlockBillingRule,
        VagueNarrativeRule,
        RateCapRule,
        RateIncreaseCheck,
        ApprovedTimekeepersRule,
        NonBillableClassificationRule,
        ClericalWorkRule,
        InternalConferenceRule,
        AttendanceRule,
        RestrictedWorkRule,
        TravelTimeRule,
        TravelDailyCapRule,
        NonReimbursableExpenseRule,
        ExpenseCapRule,
        FirstClassTravelRule,
        ReceiptRequiredRule,
        UtbmsCodesRule,
        RestrictedCodesRule,
        LateEntryRule,
        LateInvoiceRule,
        BillingPeriodRule,
        DuplicateEntryRule,
        MatterBudgetRule,
        PhaseBudgetRule,
    )
}

__all__ = ["RULES", "DocumentFacts", "Found", "Rule", "Scan"]
