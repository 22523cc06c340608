"""Pre-bills, bill runs and invoices: review, approve, finalize, and the invoice as PDF or LEDES.

Every change goes through the billing services, which check the token owner's role; the views
only find what the caller may see (404 otherwise) and shape the answer. Finalizing and starting
a bill run create money records, so both honour ``Idempotency-Key`` (``run_idempotent``).

A bill run runs inside the request and answers 201 with its counts. It is one transaction
whose result must commit together with the remembered response, so a retry with the same key
can never bill twice; a background run (the web's progress page) could not give that. A firm
whose month-end run takes minutes runs it from the command line (``lexbill bill-run``) or the
web page instead, or gives its HTTP client a long enough timeout.
"""

from collections.abc import Sequence
from typing import Any

from django.db.models import F, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router
from ninja.pagination import paginate

from lexbill import ledes
from lexbill.api.billing_access import (
    MappedPage,
    actor_of,
    found,
    visible_prebills,
)
from lexbill.api.idempotency import run_idempotent
from lexbill.api.problems import problem_response
from lexbill.api.schemas_billing import (
    ApproveIn,
    BillRunIn,
    BillRunOut,
    FinalizeIn,
    Id,
    InvoiceDetailOut,
    InvoiceFilters,
    InvoiceOut,
    LedesFormatName,
    PrebillDetailOut,
    PrebillFilters,
    PrebillOut,
    SendBackIn,
    from_bill_run,
    from_invoice,
    from_invoice_detail,
    from_prebill,
    from_prebill_detail,
)
from lexbill.billing.bill_run import run_bill_run
from lexbill.billing.invoicing import finalize_prebill
from lexbill.billing.models import BillRun, Invoice, Prebill, PrebillStatus
from lexbill.billing.pdf import render_invoice_pdf
from lexbill.billing.prebills import approve_prebill, prebill_figures, send_back_prebill
from lexbill.billing.selectors import with_balances, with_prebill_figures
from lexbill.ebilling.export import export_invoices
from lexbill.firm.models import User

router = Router()

OPEN_STATUSES = [PrebillStatus.DRAFT, PrebillStatus.RETURNED, PrebillStatus.APPROVED]


# ---- pre-bills ---------------------------------------------------------------------------------


def _prebill_rows(prebills: Sequence[Prebill]) -> list[PrebillOut]:
    return [from_prebill(p) for p in with_prebill_figures(list(prebills))]


def _prebill_detail(actor: User, pk: int) -> PrebillDetailOut:
    prebill = found(visible_prebills(actor), pk, "pre-bill")
    [prebill] = with_prebill_figures([prebill])
    return from_prebill_detail(prebill, prebill_figures(prebill))


@router.get("/prebills", response=list[PrebillOut], summary="List pre-bills")
@paginate(MappedPage, build=_prebill_rows)
def list_prebills(request: HttpRequest, filters: Query[PrebillFilters]) -> Any:
    """Pre-bills by matter number; an attorney's token sees their own matters' only.

    ``open=true`` is the review queue (draft, sent back, approved), as the web's list shows it.
    """
    prebills = visible_prebills(actor_of(request))
    if filters.status is not None:
        prebills = prebills.filter(status=filters.status)
    if filters.open is not None:
        in_queue = Q(status__in=OPEN_STATUSES)
        prebills = prebills.filter(in_queue) if filters.open else prebills.exclude(in_queue)
    if filters.matter is not None:
        prebills = prebills.filter(matter_id=filters.matter)
    if filters.client is not None:
        prebills = prebills.filter(matter__client_id=filters.client)
    if filters.bill_run is not None:
        prebills = prebills.filter(run_id=filters.bill_run)
    if filters.responsible_attorney is not None:
        prebills = prebills.filter(matter__responsible_attorney_id=filters.responsible_attorney)
    return prebills


@router.get(
    "/prebills/{prebill_id}", response=PrebillDetailOut, summary="Read a pre-bill and its lines"
)
def read_prebill(request: HttpRequest, prebill_id: Id) -> PrebillDetailOut:
    """The lines, the comments, and the figures the invoice will carry (computed exactly as
    finalization computes them: flat fee or cap, tax)."""
    return _prebill_detail(actor_of(request), prebill_id)


@router.post(
    "/prebills/{prebill_id}/approve", response=PrebillDetailOut, summary="Approve a pre-bill"
)
def approve(request: HttpRequest, payload: ApproveIn, prebill_id: Id) -> PrebillDetailOut:
    """Coordinators, administrators and the matter's responsible attorney approve; nobody but
    an administrator approves a bill of only their own time. The client's billing guidelines
    may refuse it (422, naming what stops it)."""
    actor = actor_of(request)
    prebill = found(visible_prebills(actor), prebill_id, "pre-bill")
    approve_prebill(actor, prebill, payload.comment)
    return _prebill_detail(actor, prebill_id)


@router.post(
    "/prebills/{prebill_id}/send-back",
    response=PrebillDetailOut,
    summary="Send a pre-bill back for changes",
)
def send_back(request: HttpRequest, payload: SendBackIn, prebill_id: Id) -> PrebillDetailOut:
    actor = actor_of(request)
    prebill = found(visible_prebills(actor), prebill_id, "pre-bill")
    send_back_prebill(actor, prebill, payload.comment)
    return _prebill_detail(actor, prebill_id)


@router.post(
    "/prebills/{prebill_id}/finalize",
    response={201: InvoiceDetailOut},
    summary="Finalize an approved pre-bill into an invoice",
)
def finalize(request: HttpRequest, payload: FinalizeIn, prebill_id: Id) -> HttpResponse:
    """Numbers and freezes the invoice. Honours ``Idempotency-Key``: a retry with the same key
    answers with the same invoice instead of a 409 for a pre-bill already finalized."""
    actor = actor_of(request)
    prebill = found(visible_prebills(actor), prebill_id, "pre-bill")

    def create() -> tuple[int, Any]:
        invoice = finalize_prebill(actor, prebill, issued_on=payload.issued_on)
        return 201, _invoice_detail(invoice.pk)

    return run_idempotent(request, create)


# ---- bill runs ---------------------------------------------------------------------------------


def _runs() -> QuerySet[BillRun]:
    return BillRun.objects.select_related("started_by").order_by("-started_at", "-id")


@router.post("/bill-runs", response={201: BillRunOut}, summary="Run a bill run")
def start_bill_run(request: HttpRequest, payload: BillRunIn) -> HttpResponse:
    """All unbilled work through ``through`` onto one draft pre-bill per matter, in this request
    (see the router's notes); list its pre-bills with ``GET /prebills?bill_run=<id>``.
    Honours ``Idempotency-Key``."""
    actor = actor_of(request)

    def create() -> tuple[int, Any]:
        run = run_bill_run(actor, payload.through)
        return 201, from_bill_run(found(_runs(), run.pk, "bill run"))

    return run_idempotent(request, create)


@router.get("/bill-runs", response=list[BillRunOut], summary="List bill runs")
@paginate(MappedPage, build=lambda runs: [from_bill_run(r) for r in runs])
def list_bill_runs(request: HttpRequest) -> Any:
    """Newest first."""
    return _runs()


@router.get("/bill-runs/{run_id}", response=BillRunOut, summary="Read a bill run")
def read_bill_run(request: HttpRequest, run_id: Id) -> BillRunOut:
    return from_bill_run(found(_runs(), run_id, "bill run"))


# ---- invoices ----------------------------------------------------------------------------------


def _invoices() -> QuerySet[Invoice]:
    return with_balances(Invoice.objects.select_related("client", "matter"))


def _invoice_detail(pk: int) -> InvoiceDetailOut:
    invoice = found(_invoices().select_related("finalized_by"), pk, "invoice")
    return from_invoice_detail(invoice, timezone.localdate())


def _status_filter(invoices: QuerySet[Invoice], status: str) -> QuerySet[Invoice]:
    """``invoice_status`` as SQL conditions on ``with_balances``' figures, one per status."""
    credited_all = Q(credited__gt=0) & Q(credited__gte=F("total"))
    untouched = Q(balance__gt=0, paid=0, credited=0)
    conditions = {
        "credited": credited_all,
        "paid": Q(balance__lte=0) & ~credited_all,
        "partly paid": Q(balance__gt=0) & (Q(paid__gt=0) | Q(credited__gt=0)) & ~credited_all,
        "sent": untouched & Q(was_sent=True),
        "final": untouched & Q(was_sent=False),
    }
    return invoices.filter(conditions[status])


def _invoice_rows(invoices: Sequence[Invoice]) -> list[InvoiceOut]:
    today = timezone.localdate()
    return [from_invoice(invoice, today) for invoice in invoices]


@router.get("/invoices", response=list[InvoiceOut], summary="List invoices")
@paginate(MappedPage, build=_invoice_rows)
def list_invoices(request: HttpRequest, filters: Query[InvoiceFilters]) -> Any:
    """Newest first, each with what is still owing on it."""
    invoices = _invoices()
    if filters.client is not None:
        invoices = invoices.filter(client_id=filters.client)
    if filters.matter is not None:
        invoices = invoices.filter(matter_id=filters.matter)
    if filters.number is not None:
        invoices = invoices.filter(number=filters.number)
    if filters.issued_from is not None:
        invoices = invoices.filter(issued_on__gte=filters.issued_from)
    if filters.issued_to is not None:
        invoices = invoices.filter(issued_on__lte=filters.issued_to)
    if filters.status is not None:
        invoices = _status_filter(invoices, filters.status)
    if filters.open is not None:
        invoices = (
            invoices.filter(balance__gt=0)  # type: ignore[misc]
            if filters.open
            else invoices.filter(balance__lte=0)  # type: ignore[misc]
        )
    return invoices.order_by("-issued_on", "-id")


@router.get(
    "/invoices/{invoice_id}",
    response=InvoiceDetailOut,
    summary="Read an invoice with its lines and balance",
)
def read_invoice(request: HttpRequest, invoice_id: Id) -> InvoiceDetailOut:
    return _invoice_detail(invoice_id)


@router.get(
    "/invoices/{invoice_id}/pdf",
    summary="Download the invoice as PDF",
    openapi_extra={
        "responses": {
            200: {
                "description": "The invoice as printed",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def invoice_pdf(request: HttpRequest, invoice_id: Id) -> HttpResponse:
    invoice = found(Invoice.objects.all(), invoice_id, "invoice")
    response = HttpResponse(render_invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="invoice-{invoice.number}.pdf"'
    return response


@router.get(
    "/invoices/{invoice_id}/ledes",
    summary="Export the invoice as a LEDES file",
    openapi_extra={
        "responses": {
            200: {
                "description": "The LEDES file, in the client's e-billing format unless "
                "`format` says otherwise",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            }
        }
    },
)
def invoice_ledes(
    request: HttpRequest,
    invoice_id: Id,
    format: LedesFormatName | None = None,
) -> HttpResponse:
    """LEDES 1998B or LEDES98BI, as the client's e-billing profile says (or ``format``). An
    invoice the format cannot express is refused with every problem at once (422, ``errors``
    naming invoice, line item and field); nothing is written."""
    invoice = found(Invoice.objects.select_related("client"), invoice_id, "invoice")
    try:
        result = export_invoices([invoice], format)
    except ledes.ExportRefused as refused:
        return problem_response(
            422,
            "LEDES export refused",
            refused.message,
            field=refused.field,
            errors=[
                {
                    "invoice": p.invoice,
                    "line_item": p.line_item,
                    "field": p.field,
                    "code": p.code.value,
                    "message": p.message,
                }
                for p in refused.problems
            ],
        )
    response = HttpResponse(result.text, content_type="text/plain; charset=us-ascii")
    response["Content-Disposition"] = (
        f'attachment; filename="invoice-{invoice.number}-ledes{result.summary.format}.txt"'
    )
    response["X-Lexbill-Text-Changes"] = str(len(result.changes))
    return response
