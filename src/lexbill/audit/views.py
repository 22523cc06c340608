"""The audit page: who changed what and when, filtered, paged by keyset, exported, verified.

Coordinators and administrators read and export (``Action.VIEW_AUDIT_TRAIL``); administrators
may also run the chain verification (``Action.VERIFY_AUDIT_TRAIL``), which reads the whole
trail inside the request — seconds for a small firm, about a minute per million records.
Downloads are POST forms because each export leaves an audit record.
"""

from __future__ import annotations

import tempfile
from typing import cast
from urllib.parse import urlencode

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from lexbill.audit.export import csv_chunks, write_workbook
from lexbill.audit.forms import AuditFilterForm
from lexbill.audit.selectors import AuditFilters, audit_page, diff, known_models
from lexbill.audit.services import record_trail_export, verify_trail
from lexbill.firm.permissions import Action, allowed
from lexbill.web.access import acting_user, require_action

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cursor(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@require_action(Action.VIEW_AUDIT_TRAIL)
def trail(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound and form.is_valid() else AuditFilters()
    valid = not form.is_bound or form.is_valid()
    page = (
        audit_page(filters, _cursor(request.GET.get("older")), _cursor(request.GET.get("newer")))
        if valid
        else None
    )
    query = filters.as_query()

    def url(**cursor: int) -> str:
        return "?" + urlencode({**query, **{k: str(v) for k, v in cursor.items()}})

    return render(
        request,
        "audit/trail.html",
        {
            "form": form,
            "query": query,
            "rows": [(r, diff(r)) for r in page.rows] if page else [],
            "older_url": url(older=page.older) if page and page.older else "",
            "newer_url": url(newer=page.newer) if page and page.newer else "",
            "first_url": ("?" + urlencode(query)) if page and page.newer else "",
            "models": known_models(),
            "may_verify": allowed(acting_user(request), Action.VERIFY_AUDIT_TRAIL),
        },
    )


@require_action(Action.VIEW_AUDIT_TRAIL)
@require_POST
def export(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The filters are not valid; nothing was exported.")
        return redirect("audit:trail")
    filters = form.filters()
    file_format = "xlsx" if request.POST.get("format") == "xlsx" else "csv"
    record_trail_export(acting_user(request), filters, file_format)
    name = f"lexbill-audit-{timezone.now():%Y-%m-%d}.{file_format}"
    if file_format == "csv":
        response = StreamingHttpResponse(csv_chunks(filters), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        # A streaming response; require_action's view type names HttpResponse, which it is not.
        return cast(HttpResponse, response)
    # Not a context manager: FileResponse closes (and so deletes) it once the download is sent.
    spool = tempfile.TemporaryFile(prefix="lexbill-audit-")  # noqa: SIM115
    try:
        write_workbook(filters, spool)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return cast(
        HttpResponse, FileResponse(spool, as_attachment=True, filename=name, content_type=XLSX)
    )


@require_action(Action.VERIFY_AUDIT_TRAIL)
@require_POST
def verify(request: HttpRequest) -> HttpResponse:
    result = verify_trail(acting_user(request))
    if result.broken is None:
        messages.success(
            request,
            f"The audit trail is intact: {result.verified:,} records verified. "
            f"Head hash {result.head} (record {result.head_id}).",
        )
    else:
        b = result.broken
        where = f" ({b.model}, {b.at})" if b.record_id is not None else ""
        messages.error(
            request,
            f"The audit trail is broken: {b.message}{where}. {result.verified:,} records "
            "before it verified. See docs/audit/README.md for what to do.",
        )
    return redirect("audit:trail")
