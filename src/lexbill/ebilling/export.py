"""A final invoice as LEDES: the firm's frozen invoice mapped line by line onto the writer's
records, under the client's e-billing profile.

Every figure comes from the stored invoice, never recomputed from entries or rates, and the
writer is told what each line and the invoice charge (``billed_amount``, ``expected_total``), so
a file whose arithmetic would differ from the invoice by a cent is refused, not sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from lexbill import ledes
from lexbill.billing.models import Invoice, InvoiceLine, LineKind
from lexbill.clients.models import Client
from lexbill.core.errors import InvalidEntry
from lexbill.ebilling.models import EbillingProfile
from lexbill.firm.models import Timekeeper

_UNITS = Decimal("0.0001")
_MINUTES_PER_HOUR = Decimal(60)
_PERCENT = Decimal(100)


def profile_for(client: Client) -> EbillingProfile:
    """The client's profile, or the defaults (LEDES 1998B, standard codes) when it has none."""
    found = EbillingProfile.objects.filter(client=client).first()
    return found if found is not None else EbillingProfile(client=client)


def client_rules(profile: EbillingProfile) -> ledes.ClientRules:
    return ledes.ClientRules(
        task_code_sets=frozenset(profile.task_code_sets or ()),
        require_activity_code=profile.require_activity_code,
        require_expense_code=profile.require_expense_code,
        invoice_number_pattern=profile.invoice_number_pattern or None,
        invoice_number_rule=profile.invoice_number_rule,
        narrative_limit=profile.narrative_limit,
    )


def _split_name(name: str) -> tuple[str, str]:
    first, _, last = name.rpartition(" ")
    return (last, first) if first else (name, "")


def _names(codes: set[str]) -> dict[str, tuple[str, str]]:
    """(last, first) per timekeeper code: the invoice froze "First Last", LEDES wants them apart."""
    return {
        tk.code: (tk.last_name, tk.first_name)
        for tk in Timekeeper.objects.filter(code__in=codes).only("code", "first_name", "last_name")
    }


def _line(
    line: InvoiceLine,
    profile: EbillingProfile,
    names: dict[str, tuple[str, str]],
    tax_rate: Decimal | None,
) -> ledes.LineItem:
    common = {
        "number": str(line.position),
        "date": line.date,
        "description": line.narrative,
        "tax_rate": tax_rate,
        "billed_amount": line.total,
    }
    if line.kind == LineKind.FEE_ADJUSTMENT:
        return ledes.LineItem(type=ledes.LineType.FEE_ADJUSTMENT, adjustment=line.total, **common)
    if line.kind == LineKind.LATE_CHARGE:
        # an invoice-level expense adjustment (IE) adding the charge, untaxed: LEDES has no line
        # type for interest and UTBMS no expense code for it, and an IE line needs neither
        untaxed = {**common, "tax_rate": Decimal(0) if tax_rate is not None else None}
        return ledes.LineItem(
            type=ledes.LineType.EXPENSE_ADJUSTMENT, adjustment=line.total, **untaxed
        )
    if line.kind == LineKind.TIME:
        units = (Decimal(line.minutes or 0) / _MINUTES_PER_HOUR).quantize(_UNITS, ROUND_HALF_UP)
        last, first = names.get(line.timekeeper_code) or _split_name(line.timekeeper_name)
        return ledes.LineItem(
            type=ledes.LineType.FEE,
            units=units,
            unit_cost=line.rate,
            # the write-down, no-charge and any rounding of hours × rate, so the line charges
            # exactly what the invoice does
            adjustment=ledes.reconciling_adjustment(units, line.rate, line.total),
            task_code=line.task_code,
            activity_code=line.activity_code,
            timekeeper_id=line.timekeeper_code,
            timekeeper_name=f"{last}, {first}" if first else last,
            timekeeper_last_name=last,
            timekeeper_first_name=first,
            timekeeper_classification=profile.classification_code(line.classification),
            **common,
        )
    units = line.quantity if line.quantity is not None else Decimal(1)
    return ledes.LineItem(
        type=ledes.LineType.EXPENSE,
        units=units,
        unit_cost=line.rate,
        adjustment=ledes.reconciling_adjustment(units, line.rate, line.total),
        expense_code=line.expense_code,
        timekeeper_id=line.timekeeper_code,
        **common,
    )


def _party(
    name: str, address: str, city: str, region: str, postcode: str, country: str
) -> ledes.Party:
    lines = [part.strip() for part in address.splitlines() if part.strip()]
    return ledes.Party(
        name=name,
        address_1=lines[0] if lines else "",
        address_2=lines[1] if len(lines) > 1 else "",
        city=city,
        state_or_region=region,
        postcode=postcode,
        country=country,
    )


def _require_cent_tax(invoice: Invoice, lines: Sequence[InvoiceLine], rate: Decimal) -> None:
    """LEDES98BI taxes each line to the cent; an invoice taxed in another minor unit (whole yen)
    cannot be written so that each line and the total agree with it, so it is refused."""
    differ = [
        line
        for line in lines
        if line.kind != LineKind.LATE_CHARGE and ledes.line_tax(line.total, rate) != line.tax
    ]
    if differ:
        first = differ[0]
        raise InvalidEntry(
            f"invoice {invoice.number} is taxed in whole {invoice.currency} units, but LEDES98BI "
            f"taxes each line to the cent ({len(differ)} line(s) differ; line {first.position}: "
            f"{first.tax} on the invoice, {ledes.line_tax(first.total, rate)} in LEDES)",
            field="tax",
        )


def ledes_invoice(
    invoice: Invoice,
    profile: EbillingProfile,
    fmt: ledes.LedesFormat,
    lines: Sequence[InvoiceLine] | None = None,
) -> ledes.Invoice:
    """One stored invoice as LEDES records (its own lines unless ``lines`` are given, as a test
    of the mapping does); refuses what the format cannot carry."""
    parties = invoice.parties
    if fmt == ledes.LedesFormat.LEDES_1998B and invoice.tax:
        raise InvalidEntry(
            f"invoice {invoice.number} charges {invoice.tax_label or 'tax'} of {invoice.tax}, "
            "which LEDES 1998B cannot carry: export it as LEDES98BI",
            field="format",
        )
    lines = list(lines) if lines is not None else list(invoice.lines.order_by("position"))
    names = _names({line.timekeeper_code for line in lines if line.timekeeper_code})
    is_98bi = fmt == ledes.LedesFormat.LEDES_98BI
    tax_rate = invoice.tax_rate_percent / _PERCENT if is_98bi else None
    dates = [line.date for line in lines]
    international = None
    if is_98bi:
        _require_cent_tax(invoice, lines, tax_rate or Decimal(0))
        international = ledes.InternationalDetails(
            client_tax_id=parties["client"].get("tax_id", ""),
            matter_name=parties["matter"]["name"],
            tax_rate=tax_rate or Decimal(0),
            tax_type=profile.tax_type or invoice.tax_label,
            law_firm=_party(
                parties["firm"]["name"],
                parties["firm"].get("address", ""),
                profile.firm_city,
                profile.firm_region,
                profile.firm_postcode,
                profile.firm_country,
            ),
            client=_party(
                parties["client"]["name"],
                parties["client"].get("address", ""),
                profile.client_city,
                profile.client_region,
                profile.client_postcode,
                profile.client_country,
            ),
        )
    return ledes.Invoice(
        number=invoice.number,
        date=invoice.issued_on,
        client_id=profile.client_ledes_id or parties["client"]["number"],
        law_firm_id=profile.law_firm_id or parties["firm"].get("tax_id", ""),
        law_firm_matter_id=parties["matter"]["number"],
        client_matter_id=parties["matter"].get("client_matter_id", ""),
        billing_start=invoice.period_start or min(dates, default=invoice.issued_on),
        billing_end=invoice.period_end or max(dates, default=invoice.issued_on),
        description=parties["matter"]["name"],
        currency=invoice.currency,
        lines=tuple(_line(line, profile, names, tax_rate) for line in lines),
        international=international,
        expected_total=invoice.total,
    )


def export_invoices(
    invoices: Sequence[Invoice], fmt: ledes.LedesFormat | str | None = None
) -> ledes.LedesExport:
    """The invoices of one client as one LEDES file, in the client's format unless ``fmt`` says
    otherwise. Raises ``ExportRefused`` (every problem, by invoice, line and field) or
    ``InvalidEntry`` and writes nothing when any invoice cannot be expressed validly."""
    if not invoices:
        raise InvalidEntry("no invoices to export", field="invoices")
    clients = {invoice.client_id for invoice in invoices}
    if len(clients) > 1:
        raise InvalidEntry(
            "a LEDES file goes to one client's e-billing system: these invoices are for "
            f"{len(clients)} clients",
            field="invoices",
        )
    profile = profile_for(invoices[0].client)
    chosen = ledes.LedesFormat(fmt or profile.format)
    records = [ledes_invoice(invoice, profile, chosen) for invoice in invoices]
    return ledes.export_ledes(records, chosen, client_rules(profile))
