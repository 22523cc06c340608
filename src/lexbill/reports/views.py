"""Report pages: the list of standard reports, and one page per report that shows it, draws its
charts, and downloads it (``?format=xlsx|csv|pdf``) from the very same ``Report``.

Only the billing office's specialists, coordinators and administrators see reports
(Action.VIEW_REPORTS): they span every client.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import json_script
from django.utils.safestring import SafeString, mark_safe

from lexbill.core.errors import LexbillError
from lexbill.firm.permissions import Action
from lexbill.reports import exports
from lexbill.reports.forms import ReportForm
from lexbill.reports.framework import Chart
from lexbill.reports.pdf import report_context, report_pdf
from lexbill.reports.registry import all_reports, report_spec
from lexbill.web.access import require_action


def chart_scripts(charts: list[Chart]) -> SafeString:
    """Each chart's data as a ``<script type="application/json">`` (data, never code: the
    page has no inline script), found by charts.js through the canvas's ``data-chart``."""
    return mark_safe("".join(json_script(c.as_json(), f"chart-data-{c.key}") for c in charts))


@require_action(Action.VIEW_REPORTS)
def report_index(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/index.html", {"specs": all_reports()})


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_action(Action.VIEW_REPORTS)
def report_page(request: HttpRequest, name: str) -> HttpResponse:
    try:
        spec = report_spec(name)
    except LexbillError:
        raise Http404(f"no report {name}") from None
    # always bound: with nothing chosen the form's defaults (last month) give a report at once
    form = ReportForm(spec, request.GET, today=timezone.localdate())
    report = None
    if form.is_valid():
        try:
            report = spec.build(form.cleaned_data["request"])
        except LexbillError as error:
            form.add_error(None, error.message)
    fmt = request.GET.get("format", "")
    if report is not None and fmt:
        if fmt == "xlsx":
            return _download(
                exports.xlsx_bytes(report), exports.XLSX, exports.file_name(report, "xlsx")
            )
        if fmt == "csv":
            return _download(
                exports.csv_bytes(report), exports.CSV, exports.file_name(report, "csv")
            )
        if fmt == "pdf":
            return _download(report_pdf(report), exports.PDF, exports.file_name(report, "pdf"))
        raise Http404(f"no format {fmt}")
    query = request.GET.copy()
    query.pop("format", None)
    context = {
        "spec": spec,
        "form": form,
        "query": query.urlencode(),
        "charts": [chart.as_json() for chart in report.charts] if report else [],
        "chart_scripts": chart_scripts(report.charts if report else []),
        **(report_context(report, page=True) if report else {}),
    }
    return render(request, "reports/report.html", context)
