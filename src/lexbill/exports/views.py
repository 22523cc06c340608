"""The export page: download all of the firm's data as a CSV archive or an Excel workbook.

The file is written to a temporary file on the server (bounded memory, whatever the firm's size)
and streamed from there; the temporary file goes when the download is done. Downloads are POST
forms because each export leaves an audit record.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from typing import Any, cast

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from lexbill.exports.archive import count_rows
from lexbill.exports.services import export_firm_archive, export_firm_workbook
from lexbill.exports.tables import exported_tables
from lexbill.firm.models import Firm
from lexbill.firm.permissions import Action
from lexbill.web.access import acting_user, require_action


def _file_name(extension: str) -> str:
    firm = Firm.objects.first()
    name = slugify(firm.name) if firm else "firm"
    return f"lexbill-{name or 'firm'}-{timezone.now():%Y-%m-%d}.{extension}"


@require_action(Action.EXPORT_FIRM_DATA)
def home(request: HttpRequest) -> HttpResponse:
    tables = [(spec, count_rows(spec)) for spec in exported_tables()]
    return render(
        request,
        "exports/home.html",
        {"tables": tables, "rows": sum(n for _, n in tables)},
    )


def _download(
    request: HttpRequest, extension: str, write: Callable[[Any, Any], object], content_type: str
) -> HttpResponse:
    # Not a context manager: FileResponse closes (and so deletes) it once the download is sent.
    spool = tempfile.TemporaryFile(prefix="lexbill-export-")  # noqa: SIM115
    try:
        write(acting_user(request), spool)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    response = FileResponse(
        spool, as_attachment=True, filename=_file_name(extension), content_type=content_type
    )
    # A streaming response; require_action's view type names HttpResponse, which it is not.
    return cast(HttpResponse, response)


@require_action(Action.EXPORT_FIRM_DATA)
@require_POST
def archive(request: HttpRequest) -> HttpResponse:
    return _download(request, "zip", export_firm_archive, "application/zip")


@require_action(Action.EXPORT_FIRM_DATA)
@require_POST
def workbook(request: HttpRequest) -> HttpResponse:
    return _download(
        request,
        "xlsx",
        export_firm_workbook,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
