"""The Import page: upload → mapping → dry-run results → commit, with a progress bar.

Thin on purpose: forms type the input; imports.services and imports.progress decide.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from lexbill.core.errors import LexbillError
from lexbill.firm.permissions import Action
from lexbill.formats.import_fields import Kind, schema
from lexbill.formats.tabular import sample_rows
from lexbill.imports import progress
from lexbill.imports.forms import MappingForm, UploadForm
from lexbill.imports.models import ImportBatch, ImportMapping
from lexbill.imports.services import receive_upload, saved_mapping, set_batch_mapping
from lexbill.web.access import acting_user, require_action
from lexbill.web.errors import add_service_error

PROBLEMS_SHOWN = 200
SAMPLE_ROWS = 5


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


@require_action(Action.IMPORT_DATA)
def home(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = receive_upload(
                acting_user(request), form.cleaned_data["kind"], upload.name, upload.chunks()
            )
        except LexbillError as exc:
            add_service_error(form, exc)
        else:
            return redirect("imports:mapping", pk=batch.pk)
    return render(
        request,
        "imports/home.html",
        {
            "form": form,
            "batches": ImportBatch.objects.select_related("created_by")[:20],
            "mappings": ImportMapping.objects.all()[:50],
            "kinds": [(k.value, schema(k)) for k in Kind],
        },
        status=400 if form.errors else 200,
    )


def _batch(pk: int) -> ImportBatch:
    return get_object_or_404(ImportBatch, pk=pk)


@require_action(Action.IMPORT_DATA)
def mapping(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(pk)
    if batch.status == ImportBatch.Status.COMMITTED:
        return redirect("imports:batch", pk=batch.pk)
    initial: dict[str, Any] = {f"col_{k}": v for k, v in batch.columns.items()}
    initial.update(batch.options or {})
    form = MappingForm(batch.kind, batch.headers, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        actor = acting_user(request)
        try:
            set_batch_mapping(
                actor, batch, form.columns(), form.options(), name=form.cleaned_data["name"]
            )
            progress.start(actor, batch, commit=False)
        except LexbillError as exc:
            add_service_error(form, exc)
        else:
            return redirect("imports:batch", pk=batch.pk)
    samples: list[tuple[int, list[str]]] = []
    try:
        if batch.stored_path and Path(batch.stored_path).exists():
            samples = sample_rows(Path(batch.stored_path), batch.file_name, SAMPLE_ROWS)
    except LexbillError:
        samples = []
    return render(
        request,
        "imports/mapping.html",
        {
            "batch": batch,
            "form": form,
            "saved": saved_mapping(batch.kind, batch.headers) is not None,
            "samples": samples,
        },
        status=400 if form.errors else 200,
    )


@require_action(Action.IMPORT_DATA)
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(pk)
    running = progress.get_progress(batch.pk)
    template = "imports/_status.html" if _is_htmx(request) else "imports/batch.html"
    busy = batch.status in (ImportBatch.Status.CHECKING, ImportBatch.Status.COMMITTING)
    return render(
        request,
        template,
        {
            "batch": batch,
            "run": running,
            "busy": busy and running is not None and not running.finished,
            "lost": busy and running is None,
            "problems": batch.problems[:PROBLEMS_SHOWN],
            "can_commit": batch.status == ImportBatch.Status.CHECKED and not batch.problem_count,
        },
    )


@require_action(Action.IMPORT_DATA)
@require_POST
def commit(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(pk)
    try:
        progress.start(acting_user(request), batch, commit=True)
    except LexbillError as exc:
        messages.error(request, exc.message)
    return redirect("imports:batch", pk=batch.pk)


@require_action(Action.IMPORT_DATA)
@require_POST
def recheck(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(pk)
    try:
        progress.start(acting_user(request), batch, commit=False)
    except LexbillError as exc:
        messages.error(request, exc.message)
    return redirect("imports:batch", pk=batch.pk)
