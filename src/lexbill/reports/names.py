"""The standard reports' names and one-line help, known before Django starts.

The command line builds ``lexbill report NAME`` from this list before any app is loaded; each
name's module registers the report itself (a test checks the two lists agree).
"""

STANDARD_REPORTS: tuple[tuple[str, str], ...] = (
    ("billed", "Billed fees and expenses: invoices issued in a period, and credit notes."),
    ("realization", "Realization: worked value at standard rates → billed → collected."),
    ("utilization", "Utilization: billable hours against each timekeeper's target."),
    ("wip", "Work in progress: unbilled time and expenses, by age."),
    ("collections", "AR aging and collections: cash received by period, days sales outstanding."),
    ("write-downs", "Write-downs and write-offs by reason and by timekeeper."),
    ("cycle-time", "Billing cycle time: work date → invoice → payment, in days."),
    ("budgets", "Matter budgets: budget against actual, with threshold alerts."),
    ("audit", "Audit extract: every billing change in a period, for the auditors."),
)
