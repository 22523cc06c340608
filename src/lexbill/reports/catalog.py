"""Every standard report, imported once so each registers itself; the order is the menu's."""

from lexbill.reports import (  # noqa: F401
    audit_extract,
    billed,
    budgets,
    collections,
    cycle_time,
    realization,
    utilization,
    wip,
    writedowns,
)
