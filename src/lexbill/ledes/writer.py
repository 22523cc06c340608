"""Writing invoices as LEDES 1998B or LEDES98BI V2, or refusing to.

Two passes. The first checks every invoice and computes its figures; if anything cannot be
expressed validly (a missing ID, an unknown code, a total LEDES arithmetic cannot reproduce) it
raises ``ExportRefused`` with every problem, before a single byte is written, so a caller can
stream to a file without ever leaving half an export behind. The second pass writes line by line
in batches. Free text is transliterated, and each change is returned with the summary.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from typing import TextIO

from lexbill.core.money import ROUNDING
from lexbill.ledes.arithmetic import CENT, CONTEXT, ZERO, line_amount, round_cents
from lexbill.ledes.exportcheck import (
    NO_KEEPER,
    PARTY_FIELDS,
    CheckedInvoice,
    InvoiceFigures,
    KeeperKey,
    check_all,
    check_invoices,
)
from lexbill.ledes.model import Invoice, LineType
from lexbill.ledes.problems import ExportRefused
from lexbill.ledes.rules import ClientRules
from lexbill.ledes.spec import DESCRIPTION_LIMIT, LedesFormat
from lexbill.ledes.text import CleanText, TextChange, clean_text

BATCH_LINES = 5_000
"""Lines joined into one ``write`` call: few enough to stream, many enough to be fast."""


@dataclass(frozen=True, slots=True)
class ExportSummary:
    """What was written: per invoice the figures, and every change made to the text."""

    format: LedesFormat
    invoices: tuple[InvoiceFigures, ...]
    changes: tuple[TextChange, ...]
    """Every transliteration and truncation made to the text, for the billing team to see."""

    @property
    def line_items(self) -> int:
        return sum(figures.line_items for figures in self.invoices)


@dataclass(frozen=True, slots=True)
class LedesExport:
    """A whole LEDES file in memory, with what was changed to make it."""

    text: str
    summary: ExportSummary

    @property
    def changes(self) -> tuple[TextChange, ...]:
        return self.summary.changes


# --------------------------------------------------------------------------- formatting


class _Numbers:
    """Decimal → LEDES text, cached by value (a file repeats its rates and hours endlessly).

    Money is written with 2 decimals, units and unit costs with 2 to 4 as needed, tax rates as
    short as they are; never a thousands separator, a '+', an exponent or "-0.00".
    """

    def __init__(self) -> None:
        self.cache: dict[Decimal, str] = {}
        self.rates: dict[Decimal, str] = {}

    def fixed(self, value: Decimal) -> str:
        text = self.cache.get(value)
        if text is None:
            text = _fixed(value)
            if len(self.cache) < 50_000:
                self.cache[value] = text
        return text

    def optional(self, value: Decimal | None) -> str:
        return "" if value is None else self.fixed(value)

    def rate(self, value: Decimal) -> str:
        text = self.rates.get(value)
        if text is None:
            text = f"{value.normalize(CONTEXT):f}" if value else "0"
            self.rates[value] = text
        return text


def _fixed(value: Decimal) -> str:
    if not value:
        return "0.00"
    cents = round_cents(value)
    if cents == value:
        return f"{cents:f}"
    return f"{value.normalize(CONTEXT):f}"


def _yyyymmdd(day: date) -> str:
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


# --------------------------------------------------------------------------- writing


class _Renderer:
    def __init__(self, fmt: LedesFormat, rules: ClientRules, line_ending: str) -> None:
        self.fmt = fmt
        self.international = fmt is LedesFormat.LEDES_98BI
        self.end = "[]" + line_ending
        self.numbers = _Numbers()
        self.dates: dict[date, str] = {}
        self.limit = min(rules.narrative_limit or DESCRIPTION_LIMIT, DESCRIPTION_LIMIT)
        self.changes: list[TextChange] = []

    def day(self, value: date) -> str:
        text = self.dates.get(value)
        if text is None:
            text = self.dates[value] = _yyyymmdd(value)
        return text

    def _note(self, cleaned: CleanText, invoice: str, item: str | None, field: str) -> str:
        if cleaned.changed:
            self.changes.extend(cleaned.changes(invoice, item, field))
        return cleaned.text

    def render(self, checked: CheckedInvoice, out: list[str]) -> None:
        """Appends the invoice's lines to ``out``."""
        invoice = checked.invoice
        figures = checked.figures
        number = figures.number
        num = self.numbers
        head = (
            f"{self.day(invoice.date)}|{number}|{invoice.client_id}|"
            f"{invoice.law_firm_matter_id}|{num.fixed(figures.total)}|"
            f"{self.day(invoice.billing_start)}|{self.day(invoice.billing_end)}|"
            f"{self._note(checked.description, number, None, 'INVOICE_DESCRIPTION')}|"
        )
        firm = f"|{invoice.law_firm_id}|"
        tail = f"|{invoice.client_matter_id}"
        names = self._timekeeper_texts(checked)
        details = invoice.international
        international = self.international and details is not None
        rate_default = ZERO
        middle = closing = ""
        tax_type = ""
        if international:
            assert details is not None and checked.matter_name is not None
            matter = self._note(checked.matter_name, number, None, "MATTER_NAME")
            tail += (
                f"|{details.po_number}|{details.client_tax_id}|{matter}|"
                f"{num.fixed(figures.tax_total)}|{num.fixed(figures.net_total)}|"
                f"{invoice.currency}"
            )
            firm_texts = self._party_texts(checked.law_firm, number, "LAW_FIRM")
            client_texts = self._party_texts(checked.client, number, "CLIENT")
            middle = (
                f"|{details.account_type}|{firm_texts}|{details.law_firm.country}|"
                f"{client_texts}|{details.client.country}|"
            )
            tax_currency = details.tax_currency or invoice.currency
            closing = f"|{num.fixed(checked.reported_tax)}|{tax_currency}"
            rate_default = details.tax_rate
            tax_type = self._note(clean_text(details.tax_type), number, None, "LINE_ITEM_TAX_TYPE")
        limit = self.limit
        fixed_cache = num.cache
        fixed = num.fixed
        rates = num.rates
        days = self.dates
        day = self.day
        end = self.end
        for line in invoice.lines:
            item = line.number
            units, cost, adjustment = line.units, line.unit_cost, line.adjustment
            if line.type is LineType.FEE or line.type is LineType.EXPENSE:
                assert units is not None and cost is not None
                amount = (units * cost + adjustment).quantize(CENT, ROUNDING)
                units_text = fixed_cache.get(units) or fixed(units)
                cost_text = fixed_cache.get(cost) or fixed(cost)
            else:
                amount = line_amount(line)
                units_text, cost_text = num.optional(units), num.optional(cost)
            description = line.description
            if not (
                description.isascii()
                and description.isprintable()
                and "|" not in description
                and "[" not in description
                and "]" not in description
                and len(description) <= limit
            ):
                cleaned = clean_text(description, limit)
                description = cleaned.text
                self.changes.extend(cleaned.changes(number, item, "LINE_ITEM_DESCRIPTION"))
            tk_id, tk_name, tk_class, tk_last, tk_first = names.get(
                (
                    line.timekeeper_id,
                    line.timekeeper_name,
                    line.timekeeper_classification,
                    line.timekeeper_last_name,
                    line.timekeeper_first_name,
                ),
                NO_KEEPER,
            )
            line_date = line.date
            body = (
                f"{head}{item}|{line.type}|{units_text}|"
                f"{fixed_cache.get(adjustment) or fixed(adjustment)}|"
            )
            rest = (
                f"|{days.get(line_date) or day(line_date)}|{line.task_code}|"
                f"{line.expense_code}|{line.activity_code}|{tk_id}|{description}{firm}"
                f"{cost_text}|{tk_name}|{tk_class}{tail}"
            )
            if not international:
                out.append(f"{body}{fixed_cache.get(amount) or fixed(amount)}{rest}{end}")
                continue
            rate = line.tax_rate if line.tax_rate is not None else rate_default
            tax = (amount * rate).quantize(CENT, ROUNDING)
            gross = amount + tax
            out.append(
                f"{body}{fixed_cache.get(gross) or fixed(gross)}{rest}|{tk_last}|{tk_first}"
                f"{middle}{rates.get(rate) or num.rate(rate)}|"
                f"{fixed_cache.get(tax) or fixed(tax)}|{tax_type}{closing}{end}"
            )

    def _timekeeper_texts(self, checked: CheckedInvoice) -> dict[KeeperKey, KeeperKey]:
        """The timekeeper fields as written, by the line's fields; changes noted once each."""
        number = checked.figures.number
        first_use: dict[KeeperKey, str] = {}
        for line in checked.invoice.lines:
            key = (
                line.timekeeper_id,
                line.timekeeper_name,
                line.timekeeper_classification,
                line.timekeeper_last_name,
                line.timekeeper_first_name,
            )
            if key != NO_KEEPER:
                first_use.setdefault(key, line.number)
        texts: dict[KeeperKey, KeeperKey] = {}
        for (key, _), keeper in checked.timekeepers.items():
            if key in texts:
                continue  # the same person on fee and expense lines: written the same way
            item = first_use.get(key)
            texts[key] = (
                keeper.id,
                self._note(keeper.name, number, item, "TIMEKEEPER_NAME"),
                keeper.classification,
                self._note(keeper.last, number, item, "TIMEKEEPER_LAST_NAME")
                if self.international
                else "",
                self._note(keeper.first, number, item, "TIMEKEEPER_FIRST_NAME")
                if self.international
                else "",
            )
        return texts

    def _party_texts(self, texts: tuple[CleanText, ...], number: str, prefix: str) -> str:
        return "|".join(
            self._note(cleaned, number, None, f"{prefix}_{suffix}")
            for cleaned, (_, suffix, _) in zip(texts, PARTY_FIELDS, strict=True)
        )


def write_ledes(
    invoices: Sequence[Invoice],
    out: TextIO,
    format: LedesFormat = LedesFormat.LEDES_1998B,
    rules: ClientRules | None = None,
    *,
    line_ending: str = "\n",
) -> ExportSummary:
    """Writes ``invoices`` as one LEDES file to ``out``, or raises ``ExportRefused``.

    Nothing is written unless every invoice passes. ``line_ending`` is what follows each
    ``[]``: LF by default, ``"\\r\\n"`` for receivers that want Windows files. Open ``out`` with
    ``newline=""`` so the text layer does not translate it again.
    """
    if line_ending not in ("\n", "\r\n"):
        raise ValueError("line_ending must be '\\n' or '\\r\\n'")
    rules = rules or ClientRules()
    checked, problems = check_all(invoices, format, rules)
    if problems:
        raise ExportRefused(problems)
    renderer = _Renderer(format, rules, line_ending)
    out.write(f"{format.marker}{line_ending}{format.header}{line_ending}")
    batch: list[str] = []
    with localcontext(CONTEXT):
        for invoice in checked:
            renderer.render(invoice, batch)
            if len(batch) >= BATCH_LINES:
                out.write("".join(batch))
                batch.clear()
    if batch:
        out.write("".join(batch))
    return ExportSummary(format, tuple(item.figures for item in checked), tuple(renderer.changes))


def export_ledes(
    invoices: Sequence[Invoice],
    format: LedesFormat = LedesFormat.LEDES_1998B,
    rules: ClientRules | None = None,
    *,
    line_ending: str = "\n",
) -> LedesExport:
    """The LEDES file for ``invoices`` as text, with its summary; see ``write_ledes``."""
    buffer = io.StringIO(newline="")
    summary = write_ledes(invoices, buffer, format, rules, line_ending=line_ending)
    return LedesExport(buffer.getvalue(), summary)


__all__ = [
    "ExportSummary",
    "InvoiceFigures",
    "LedesExport",
    "check_invoices",
    "export_ledes",
    "write_ledes",
]
