"""The standard reports by name: the page, the command line and the API look them up here."""

from __future__ import annotations

from lexbill.core.errors import LexbillError
from lexbill.reports.framework import ReportSpec

_REPORTS: dict[str, ReportSpec] = {}


def register(spec: ReportSpec) -> ReportSpec:
    if spec.name in _REPORTS and _REPORTS[spec.name] is not spec:
        raise LexbillError(f"two reports are named {spec.name!r}")
    _REPORTS[spec.name] = spec
    return spec


def report_spec(name: str) -> ReportSpec:
    try:
        return _REPORTS[name]
    except KeyError:
        names = ", ".join(sorted(_REPORTS))
        raise LexbillError(
            f"there is no report {name!r}; the reports are: {names}", field="report"
        ) from None


def all_reports() -> list[ReportSpec]:
    """In the order the catalog registered them (the order of the reports menu)."""
    return list(_REPORTS.values())
