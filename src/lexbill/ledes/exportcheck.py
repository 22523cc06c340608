"""Everything about invoices that LEDES, or the client, would not accept, found before writing.

The writer runs this first pass over all invoices and writes nothing unless it comes back empty,
so an export is never left half written. Each distinct part of a line (its number, codes,
timekeeper, amounts) is checked fully once and then remembered, so a million ordinary lines
cost a handful of set lookups each.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext

from lexbill.core.money import ROUNDING
from lexbill.formats.utbms import CodeKind
from lexbill.ledes.arithmetic import CENT, CONTEXT, ZERO, line_amount, round_cents
from lexbill.ledes.codes import CURRENCIES, timekeeper_classifications
from lexbill.ledes.fieldcheck import NULL_TEXTS, Finding, value_finding
from lexbill.ledes.model import Invoice, LineItem, LineType, Party
from lexbill.ledes.problems import Code, ExportProblem
from lexbill.ledes.rules import ClientRules
from lexbill.ledes.spec import (
    ACTIVITY_CODE,
    DESCRIPTION_LIMIT,
    EXPENSE_CODE,
    LAW_FIRM_ID,
    TASK_CODE,
    LedesFormat,
)
from lexbill.ledes.text import CleanText, clean_text, is_ledes_safe

_MAX_LINE_AMOUNT = Decimal("1E10")
_MAX_INVOICE_AMOUNT = Decimal("1E12")
_MAX_RATE_PLACES = 10
_ADJUSTMENTS = (LineType.FEE_ADJUSTMENT, LineType.EXPENSE_ADJUSTMENT)
NO_KEEPER = ("", "", "", "", "")
KeeperKey = tuple[str, str, str, str, str]
"""A line's timekeeper fields: id, name, classification, last name, first name."""
Keepers = dict[tuple[KeeperKey, bool], "Timekeeper"]
"""Timekeepers that passed the checks, by their fields and whether on a fee line (fee lines
need more of them than expense lines)."""
_NO_CENTS = Decimal("0.00")
_NOT_A_DAY = "must be a date (a datetime.date, not a datetime: LEDES has days only)"

PARTY_FIELDS = (
    ("name", "NAME", 60),
    ("address_1", "ADDRESS_1", 60),
    ("address_2", "ADDRESS_2", 60),
    ("city", "CITY", 40),
    ("state_or_region", "STATEorREGION", 40),
    ("postcode", "POSTCODE", 20),
)


@dataclass(frozen=True, slots=True)
class InvoiceFigures:
    """The totals written for one invoice, to compare with the firm's own invoice."""

    number: str
    line_items: int
    total: Decimal
    """INVOICE_TOTAL: the sum of the rounded line totals (tax included in 98BI)."""
    tax_total: Decimal
    net_total: Decimal


@dataclass(slots=True)
class Timekeeper:
    """A timekeeper's fields as written, checked and cleaned once per invoice."""

    id: str
    name: CleanText
    classification: str
    last: CleanText
    first: CleanText


@dataclass(slots=True)
class CheckedInvoice:
    """One invoice that passed: its figures and the text to write for its invoice fields."""

    invoice: Invoice
    figures: InvoiceFigures
    description: CleanText
    timekeepers: Keepers
    matter_name: CleanText | None
    law_firm: tuple[CleanText, ...]
    client: tuple[CleanText, ...]
    reported_tax: Decimal


class _Checker:
    """Finds everything about one invoice that LEDES (or the client) would not accept."""

    def __init__(self, fmt: LedesFormat, rules: ClientRules) -> None:
        self.fmt = fmt
        self.rules = rules
        self.specs = fmt.fields
        self.international = fmt is LedesFormat.LEDES_98BI
        self.limit = min(rules.narrative_limit or DESCRIPTION_LIMIT, DESCRIPTION_LIMIT)
        self.problems: list[ExportProblem] = []
        self._codes: dict[tuple[int, str], Finding | None] = {}
        # What has passed the full checks once: an ordinary line whose every part is in
        # these sets is checked by a handful of lookups (see ``_fast_amount``).
        self._numbers_ok: set[Decimal] = set()
        self.rates_ok: set[Decimal] = set()
        self._ids_ok: set[str] = set()
        self._codes_ok: set[tuple[str, str, str, str]] = set()
        self._keepers_ok: Keepers = {}

    # ---- small helpers

    def _problem(self, invoice: str, item: str | None, field: str, code: Code, text: str) -> None:
        self.problems.append(ExportProblem(invoice, item, field, code, text))

    def _identifier(
        self,
        invoice: str,
        item: str | None,
        field: str,
        value: object,
        limit: int,
        *,
        required: bool = True,
    ) -> None:
        """IDs are written exactly or not at all: transliterating one would change the key."""
        if not isinstance(value, str):
            self._problem(invoice, item, field, Code.MISSING_REQUIRED, "must be text")
            return
        if not value:
            if required:
                self._problem(invoice, item, field, Code.MISSING_REQUIRED, "required, but empty")
            return
        if value in NULL_TEXTS:
            self._null(invoice, item, field, value)
        elif not value.isascii():
            self._problem(
                invoice, item, field, Code.NON_ASCII, f"{value!r} has non-ASCII characters"
            )
        elif not value.isprintable():
            self._problem(
                invoice, item, field, Code.CONTROL_CHARACTER, f"{value!r} has control characters"
            )
        elif "|" in value or "[" in value or "]" in value:
            self._problem(
                invoice,
                item,
                field,
                Code.TERMINATOR_IN_VALUE,
                f"{value!r} contains '|', '[' or ']', which LEDES uses as separators",
            )
        if len(value) > limit:
            self._problem(
                invoice,
                item,
                field,
                Code.TOO_LONG,
                f"{value!r} has {len(value)} characters; at most {limit} are allowed",
            )

    def _null(self, invoice: str, item: str | None, field: str, value: str) -> None:
        self._problem(
            invoice,
            item,
            field,
            Code.NULL_LITERAL,
            f"{value!r} alone reads as an empty value to e-billing systems; reword it",
        )

    def _narrative(
        self, invoice: str, item: str | None, field: str, value: str, limit: int
    ) -> None:
        """Free text is always writable, except as the one word receivers take for "empty"."""
        if value in NULL_TEXTS or (not is_ledes_safe(value) or len(value) > limit):
            cleaned = clean_text(value, limit).text
            if cleaned in NULL_TEXTS:
                self._null(invoice, item, field, cleaned)

    def _text(
        self, invoice: str, item: str | None, field: str, value: str, limit: int, required: bool
    ) -> CleanText:
        """Names and addresses: transliterated, but refused rather than cut when too long."""
        cleaned = clean_text(value)
        if required and not cleaned.text.strip():
            self._problem(invoice, item, field, Code.MISSING_REQUIRED, "required, but empty")
        elif cleaned.text in NULL_TEXTS:
            self._null(invoice, item, field, cleaned.text)
        elif len(cleaned.text) > limit:
            self._problem(
                invoice,
                item,
                field,
                Code.TOO_LONG,
                f"{cleaned.text!r} has {len(cleaned.text)} characters; at most {limit} fit",
            )
        return cleaned

    def _decimal(
        self,
        invoice: str,
        item: str | None,
        field: str,
        value: object,
        *,
        places: int = 4,
        limit: Decimal = _MAX_LINE_AMOUNT,
        negative: bool = True,
    ) -> bool:
        """Whether ``value`` is a Decimal LEDES can write exactly in this field."""
        if type(value) is not Decimal:
            self._problem(
                invoice,
                item,
                field,
                Code.NOT_DECIMAL,
                f"must be a Decimal, not {type(value).__name__} (floats lose cents)",
            )
            return False
        usual = places == 4 and limit is _MAX_LINE_AMOUNT
        if not (usual and value in self._numbers_ok):
            reason = None
            if not value.is_finite():
                reason = f"{value} is not a finite number"
            elif value != value.quantize(Decimal(1).scaleb(-places), context=CONTEXT):
                reason = f"{value} has more than {places} decimals; round it before export"
            elif abs(value) >= limit:
                reason = f"{value} is too large for the field"
            if reason is not None:
                self._problem(invoice, item, field, Code.BAD_NUMBER, reason)
                return False
            if usual and len(self._numbers_ok) < 50_000:
                self._numbers_ok.add(value)
        if not negative and value < 0:
            code = Code.NEGATIVE_UNITS if field == "LINE_ITEM_NUMBER_OF_UNITS" else Code.BAD_NUMBER
            self._problem(invoice, item, field, code, f"{value} must not be negative")
            return False
        return True

    def _code(self, position: int, value: str) -> Finding | None:
        key = (position, value)
        if key not in self._codes:
            self._codes[key] = value_finding(self.specs[position], value, self.fmt, self.rules)
        return self._codes[key]

    # ---- the invoice

    def check(self, invoice: Invoice) -> CheckedInvoice | None:
        before = len(self.problems)
        number = invoice.number if isinstance(invoice.number, str) else str(invoice.number)
        self._check_header(invoice, number)
        timekeepers: Keepers = {}
        seen: set[str] = set()
        tax = gross = _NO_CENTS
        default_rate = invoice.international.tax_rate if invoice.international else ZERO
        if not invoice.lines:
            self._problem(number, None, "lines", Code.NO_LINES, "an invoice needs line items")
        start, end = invoice.billing_start, invoice.billing_end
        if not (type(start) is date and type(end) is date):
            start = end = date.min  # no line is fast-checked: dates go the careful way
        international = self.international
        fast = self._fast_amount
        for line in invoice.lines:
            amount = fast(line, seen, timekeepers, start, end)
            if amount is None:
                amount = self._check_line(invoice, number, line, seen, timekeepers)
                if amount is None:
                    continue
            if international:
                rate = line.tax_rate if line.tax_rate is not None else default_rate
                if type(rate) is Decimal and rate.is_finite():
                    line_tax_total = (amount * rate).quantize(CENT, ROUNDING)
                    tax += line_tax_total
                    gross += amount + line_tax_total
                    continue
            gross += amount
        if abs(gross) >= _MAX_INVOICE_AMOUNT:
            self._problem(
                number, None, "INVOICE_TOTAL", Code.BAD_NUMBER, "the invoice total is too large"
            )
        expected = invoice.expected_total
        if expected is not None and len(self.problems) == before and gross != expected:
            self._problem(
                number,
                None,
                "INVOICE_TOTAL",
                Code.EXPECTED_TOTAL_MISMATCH,
                f"LEDES arithmetic gives {gross} but the invoice totals {expected}; "
                "a line's rounding or an adjustment differs from the invoice",
            )
        details = self._check_international(invoice, number)
        self._narrative(number, None, "INVOICE_DESCRIPTION", invoice.description, DESCRIPTION_LIMIT)
        description = clean_text(invoice.description, DESCRIPTION_LIMIT)
        if len(self.problems) != before:
            return None
        reported = tax
        if details is not None and details[0] is not None:
            reported = round_cents(CONTEXT.multiply(tax, details[0]))
        extra = invoice.international
        return CheckedInvoice(
            invoice=invoice,
            figures=InvoiceFigures(number, len(invoice.lines), gross, tax, gross - tax),
            description=description,
            timekeepers=timekeepers,
            matter_name=(clean_text(extra.matter_name) if extra is not None else None),
            law_firm=details[1] if details else (),
            client=details[2] if details else (),
            reported_tax=reported,
        )

    def _check_header(self, invoice: Invoice, number: str) -> None:
        self._identifier(number, None, "INVOICE_NUMBER", invoice.number, 20)
        if isinstance(invoice.number, str) and invoice.number:
            reason = self.rules.invoice_number_problem(invoice.number)
            if reason:
                self._problem(number, None, "INVOICE_NUMBER", Code.INVOICE_NUMBER_RULE, reason)
        self._identifier(number, None, "CLIENT_ID", invoice.client_id, 20)
        self._identifier(number, None, "LAW_FIRM_MATTER_ID", invoice.law_firm_matter_id, 20)
        self._identifier(
            number, None, "CLIENT_MATTER_ID", invoice.client_matter_id, 20, required=False
        )
        spec = self.specs[LAW_FIRM_ID]
        self._identifier(number, None, "LAW_FIRM_ID", invoice.law_firm_id, spec.max_length)
        if isinstance(invoice.law_firm_id, str) and invoice.law_firm_id:
            found = value_finding(spec, invoice.law_firm_id, self.fmt, self.rules)
            if found and found[0] not in (Code.TOO_LONG, Code.NULL_LITERAL):
                self._problem(number, None, "LAW_FIRM_ID", found[0], found[1])
        for field, value in (
            ("INVOICE_DATE", invoice.date),
            ("BILLING_START_DATE", invoice.billing_start),
            ("BILLING_END_DATE", invoice.billing_end),
        ):
            if type(value) is not date:
                self._problem(number, None, field, Code.BAD_DATE, _NOT_A_DAY)
        if (
            type(invoice.billing_start) is date
            and type(invoice.billing_end) is date
            and invoice.billing_start > invoice.billing_end
        ):
            self._problem(
                number,
                None,
                "BILLING_START_DATE",
                Code.BILLING_PERIOD_REVERSED,
                f"the billing period starts ({invoice.billing_start}) after it ends "
                f"({invoice.billing_end})",
            )
        currency = invoice.currency
        if currency and currency not in CURRENCIES:
            self._problem(
                number,
                None,
                "INVOICE_CURRENCY",
                Code.BAD_CURRENCY,
                f"{currency!r} is not an ISO 4217 code",
            )
        elif self.international and not currency:
            self._problem(
                number,
                None,
                "INVOICE_CURRENCY",
                Code.MISSING_REQUIRED,
                "LEDES98BI needs the invoice currency",
            )

    def _fast_amount(
        self,
        line: LineItem,
        seen: set[str],
        timekeepers: Keepers,
        start: date,
        end: date,
    ) -> Decimal | None:
        """The amount of an ordinary F or E line made only of parts already checked, else None.

        ``None`` just means "check it properly"; it is never a refusal.
        """
        item = line.number
        line_type = line.type
        units, cost, adjustment = line.units, line.unit_cost, line.adjustment
        numbers_ok = self._numbers_ok
        if not (
            item in self._ids_ok
            and item not in seen
            and (line_type is LineType.FEE or line_type is LineType.EXPENSE)
            and type(line.date) is date
            and start <= line.date <= end
            and (line_type, line.task_code, line.expense_code, line.activity_code) in self._codes_ok
            and type(units) is Decimal
            and type(cost) is Decimal
            and type(adjustment) is Decimal
            and units in numbers_ok
            and cost in numbers_ok
            and adjustment in numbers_ok
            and units >= 0
            and cost >= 0
            and line.billed_amount is None
            and line.description not in NULL_TEXTS
            and len(line.description) <= self.limit
        ):
            return None
        keeper = (
            line.timekeeper_id,
            line.timekeeper_name,
            line.timekeeper_classification,
            line.timekeeper_last_name,
            line.timekeeper_first_name,
        )
        if keeper == NO_KEEPER:
            if line_type is LineType.FEE:
                return None
        else:
            checked_keeper = (keeper, line_type is LineType.FEE)
            if checked_keeper not in timekeepers:
                known = self._keepers_ok.get(checked_keeper)
                if known is None:
                    return None
                timekeepers[checked_keeper] = known
        rate = line.tax_rate
        if rate is not None and not (type(rate) is Decimal and rate in self.rates_ok):
            return None
        amount = (units * cost + adjustment).quantize(CENT, ROUNDING)
        if not -_MAX_LINE_AMOUNT < amount < _MAX_LINE_AMOUNT:
            return None
        seen.add(item)
        return amount

    def _check_line(
        self,
        invoice: Invoice,
        number: str,
        line: LineItem,
        seen: set[str],
        timekeepers: Keepers,
    ) -> Decimal | None:
        """Problems of one line; its rounded amount (before tax) if it can be priced."""
        before = len(self.problems)
        amount = self._check_line_fully(invoice, number, line, seen, timekeepers)
        if len(self.problems) == before and isinstance(line.number, str):
            # Remember the parts that passed, so the next ordinary line takes the fast path.
            if len(self._ids_ok) < 100_000:
                self._ids_ok.add(line.number)
            if len(self._codes_ok) < 100_000:
                self._codes_ok.add(
                    (LineType(line.type), line.task_code, line.expense_code, line.activity_code)
                )
        return amount

    def _check_line_fully(
        self,
        invoice: Invoice,
        number: str,
        line: LineItem,
        seen: set[str],
        timekeepers: Keepers,
    ) -> Decimal | None:
        item = line.number if isinstance(line.number, str) else str(line.number)
        if item in seen:
            self._problem(
                number,
                item,
                "LINE_ITEM_NUMBER",
                Code.DUPLICATE_LINE_NUMBER,
                f"line item number {item} is used twice in the invoice",
            )
        seen.add(item)
        self._identifier(number, item, "LINE_ITEM_NUMBER", line.number, 20)
        try:
            line_type = LineType(line.type)
        except ValueError:
            self._problem(
                number,
                item,
                "EXP/FEE/INV_ADJ_TYPE",
                Code.UNKNOWN_LINE_TYPE,
                f"{line.type!r} is not F, E, IF or IE",
            )
            return None
        if type(line.date) is not date:
            self._problem(number, item, "LINE_ITEM_DATE", Code.BAD_DATE, _NOT_A_DAY)
        elif (
            type(invoice.billing_start) is date
            and type(invoice.billing_end) is date
            and not invoice.billing_start <= line.date <= invoice.billing_end
        ):
            self._problem(
                number,
                item,
                "LINE_ITEM_DATE",
                Code.LINE_DATE_OUTSIDE_PERIOD,
                f"{line.date} is outside the billing period {invoice.billing_start} to "
                f"{invoice.billing_end}",
            )
        self._check_codes(number, item, line, line_type)
        self._narrative(number, item, "LINE_ITEM_DESCRIPTION", line.description, self.limit)
        if line_type is LineType.FEE or (
            line.timekeeper_id
            or line.timekeeper_name
            or line.timekeeper_classification
            or line.timekeeper_last_name
            or line.timekeeper_first_name
        ):
            self._check_timekeeper(number, item, line, line_type, timekeepers)
        if self.international and line.tax_rate is not None:
            self._check_rate(number, item, "LINE_ITEM_TAX_RATE", line.tax_rate)
        return self._price(number, item, line, line_type)

    def _price(self, number: str, item: str, line: LineItem, line_type: LineType) -> Decimal | None:
        priced_line = line_type not in _ADJUSTMENTS
        ok = True
        for field, value in (
            ("LINE_ITEM_NUMBER_OF_UNITS", line.units),
            ("LINE_ITEM_UNIT_COST", line.unit_cost),
        ):
            if value is None:
                if priced_line:
                    self._problem(
                        number,
                        item,
                        field,
                        Code.MISSING_REQUIRED,
                        f"required on {'a fee' if line_type is LineType.FEE else 'an expense'} "
                        "line",
                    )
                    ok = False
                continue
            negative = field == "LINE_ITEM_UNIT_COST" and not priced_line
            ok = self._decimal(number, item, field, value, negative=negative) and ok
        ok = self._decimal(number, item, "LINE_ITEM_ADJUSTMENT_AMOUNT", line.adjustment) and ok
        if not ok:
            return None
        amount = line_amount(line)
        if abs(amount) >= _MAX_LINE_AMOUNT:
            self._problem(
                number, item, "LINE_ITEM_TOTAL", Code.BAD_NUMBER, f"{amount} is too large"
            )
            return None
        billed = line.billed_amount
        if billed is not None and amount != billed:
            self._problem(
                number,
                item,
                "LINE_ITEM_TOTAL",
                Code.BILLED_AMOUNT_MISMATCH,
                f"units × unit cost + adjustment gives {amount} but the invoice bills {billed}; "
                "carry the difference in the line's adjustment (reconciling_adjustment)",
            )
        return amount

    def _check_codes(self, number: str, item: str, line: LineItem, line_type: LineType) -> None:
        rules = self.rules
        for position, value, kind in (
            (TASK_CODE, line.task_code, CodeKind.TASK),
            (EXPENSE_CODE, line.expense_code, CodeKind.EXPENSE),
            (ACTIVITY_CODE, line.activity_code, CodeKind.ACTIVITY),
        ):
            spec = self.specs[position]
            if value:
                found = self._code(position, value)
                if found is not None:
                    self._problem(number, item, spec.name, found[0], found[1])
                elif _misplaced(kind, line_type, rules):
                    self._problem(
                        number,
                        item,
                        spec.name,
                        Code.MISPLACED_CODE,
                        f"{value} is a {kind.value} code, which "
                        f"{'a fee' if line_type is LineType.FEE else 'an expense'} line does "
                        "not take",
                    )
            elif _required(kind, line_type, rules):
                self._problem(
                    number,
                    item,
                    spec.name,
                    Code.MISSING_CODE,
                    f"this client requires a UTBMS {kind.value} code on this line",
                )

    def _check_timekeeper(
        self,
        number: str,
        item: str,
        line: LineItem,
        line_type: LineType,
        timekeepers: Keepers,
    ) -> None:
        key = (
            line.timekeeper_id,
            line.timekeeper_name,
            line.timekeeper_classification,
            line.timekeeper_last_name,
            line.timekeeper_first_name,
        )
        fee = line_type is LineType.FEE
        if (key, fee) in timekeepers:
            return
        known = self._keepers_ok.get((key, fee))
        if known is not None:
            timekeepers[key, fee] = known
            return
        before = len(self.problems)
        self._identifier(number, item, "TIMEKEEPER_ID", line.timekeeper_id, 20, required=fee)
        name = self._text(
            number,
            item,
            "TIMEKEEPER_NAME",
            line.timekeeper_name,
            30,
            required=fee and not self.international,
        )
        classification = line.timekeeper_classification
        if classification and classification not in timekeeper_classifications():
            self._problem(
                number,
                item,
                "TIMEKEEPER_CLASSIFICATION",
                Code.UNKNOWN_CLASSIFICATION,
                f"{classification!r} is not a LEDES timekeeper classification; map the "
                "firm's title to one (PARTNR, ASSOC, PARALG…)",
            )
        elif fee and not classification:
            self._problem(
                number, item, "TIMEKEEPER_CLASSIFICATION", Code.MISSING_REQUIRED, "required"
            )
        last_text, first_text = line.timekeeper_last_name, line.timekeeper_first_name
        if self.international and not (last_text and first_text):
            split_last, comma, split_first = line.timekeeper_name.partition(",")
            if comma:
                last_text = last_text or split_last.strip()
                first_text = first_text or split_first.strip()
        last = self._text(
            number, item, "TIMEKEEPER_LAST_NAME", last_text, 30, self.international and fee
        )
        first = self._text(
            number, item, "TIMEKEEPER_FIRST_NAME", first_text, 30, self.international and fee
        )
        if len(self.problems) == before:
            keeper = Timekeeper(line.timekeeper_id, name, classification, last, first)
            timekeepers[key, fee] = keeper
            if len(self._keepers_ok) < 100_000:
                self._keepers_ok[key, fee] = keeper

    def _check_rate(self, number: str, item: str | None, field: str, rate: object) -> None:
        if self._decimal(number, item, field, rate, places=_MAX_RATE_PLACES, negative=False):
            assert isinstance(rate, Decimal)
            if rate >= 1:
                self._problem(
                    number,
                    item,
                    field,
                    Code.BAD_TAX_RATE,
                    f"{rate} is not a fraction below 1; write 20% as 0.2",
                )
            elif len(self.rates_ok) < 10_000:
                self.rates_ok.add(rate)

    def _check_international(
        self, invoice: Invoice, number: str
    ) -> tuple[Decimal | None, tuple[CleanText, ...], tuple[CleanText, ...]] | None:
        """98BI details; returns (tax exchange rate, firm texts, client texts)."""
        if not self.international:
            return None
        details = invoice.international
        if details is None:
            self._problem(
                number,
                None,
                "international",
                Code.MISSING_DETAILS,
                "LEDES98BI needs the tax details, client tax ID and matter name",
            )
            return None
        self._identifier(number, None, "CLIENT_TAX_ID", details.client_tax_id, 20)
        self._identifier(number, None, "PO_NUMBER", details.po_number, 100, required=False)
        self._text(number, None, "MATTER_NAME", details.matter_name, 255, required=True)
        self._text(number, None, "LINE_ITEM_TAX_TYPE", details.tax_type, 20, required=False)
        self._check_rate(number, None, "LINE_ITEM_TAX_RATE", details.tax_rate)
        if details.account_type not in ("O", "T"):
            self._problem(
                number,
                None,
                "ACCOUNT_TYPE",
                Code.BAD_ACCOUNT_TYPE,
                f"{details.account_type!r}: ACCOUNT_TYPE is O or T",
            )
        firm = self._party(number, "LAW_FIRM", details.law_firm)
        client = self._party(number, "CLIENT", details.client)
        exchange: Decimal | None = None
        tax_currency = details.tax_currency
        if tax_currency and tax_currency != invoice.currency:
            if tax_currency not in CURRENCIES:
                self._problem(
                    number,
                    None,
                    "INVOICE_TAX_CURRENCY",
                    Code.BAD_CURRENCY,
                    f"{tax_currency!r} is not an ISO 4217 code",
                )
            if details.tax_exchange_rate is None:
                self._problem(
                    number,
                    None,
                    "INVOICE_REPORTED_TAX_TOTAL",
                    Code.MISSING_DETAILS,
                    f"the tax total is reported in {tax_currency}: an exchange rate is needed",
                )
            elif self._decimal(
                number,
                None,
                "tax_exchange_rate",
                details.tax_exchange_rate,
                places=_MAX_RATE_PLACES,
                limit=_MAX_INVOICE_AMOUNT,
                negative=False,
            ):
                exchange = details.tax_exchange_rate
        return exchange, firm, client

    def _party(self, number: str, prefix: str, party: Party) -> tuple[CleanText, ...]:
        texts = tuple(
            self._text(number, None, f"{prefix}_{suffix}", getattr(party, attribute), limit, False)
            for attribute, suffix, limit in PARTY_FIELDS
        )
        country = party.country
        if country and not (len(country) in (2, 3) and country.isascii() and country.isupper()):
            self._problem(
                number,
                None,
                f"{prefix}_COUNTRY",
                Code.BAD_COUNTRY,
                f"{country!r} is not a 2- or 3-letter ISO 3166 country code",
            )
        return texts


def _misplaced(kind: CodeKind, line_type: LineType, rules: ClientRules) -> bool:
    if line_type is LineType.FEE:
        return kind is CodeKind.EXPENSE
    if line_type is LineType.EXPENSE:
        return kind is CodeKind.ACTIVITY or (
            kind is CodeKind.TASK and not rules.allow_task_code_on_expense
        )
    return False


def _required(kind: CodeKind, line_type: LineType, rules: ClientRules) -> bool:
    if line_type is LineType.FEE:
        return (kind is CodeKind.TASK and rules.require_task_code) or (
            kind is CodeKind.ACTIVITY and rules.require_activity_code
        )
    if line_type is LineType.EXPENSE:
        return kind is CodeKind.EXPENSE and rules.require_expense_code
    return False


def check_invoices(
    invoices: Iterable[Invoice],
    format: LedesFormat = LedesFormat.LEDES_1998B,
    rules: ClientRules | None = None,
) -> list[ExportProblem]:
    """Every reason the invoices could not be exported; empty when they can."""
    _, problems = check_all(invoices, format, rules or ClientRules())
    return problems


def check_all(
    invoices: Iterable[Invoice], fmt: LedesFormat, rules: ClientRules
) -> tuple[list[CheckedInvoice], list[ExportProblem]]:
    """The invoices that passed, ready to write, and every problem of those that did not."""
    checker = _Checker(fmt, rules)
    checked: list[CheckedInvoice] = []
    with localcontext(CONTEXT):
        _check_each(checker, invoices, checked)
    return checked, checker.problems


def _check_each(
    checker: _Checker, invoices: Iterable[Invoice], checked: list[CheckedInvoice]
) -> None:
    """Also what concerns the file as a whole: repeated invoice numbers, mixed currencies."""
    numbers: set[str] = set()
    currency: tuple[str, str] | None = None
    for invoice in invoices:
        if invoice.number in numbers:
            checker.problems.append(
                ExportProblem(
                    str(invoice.number),
                    None,
                    "INVOICE_NUMBER",
                    Code.DUPLICATE_INVOICE_NUMBER,
                    "the same invoice number appears twice in one file",
                )
            )
        numbers.add(invoice.number)
        if invoice.currency:
            if currency is None:
                currency = (invoice.currency, invoice.number)
            elif invoice.currency != currency[0]:
                checker.problems.append(
                    ExportProblem(
                        invoice.number,
                        None,
                        "INVOICE_CURRENCY",
                        Code.MIXED_CURRENCY,
                        f"in {invoice.currency}, but invoice {currency[1]} in the same file is "
                        f"in {currency[0]}; export one file per currency",
                    )
                )
        result = checker.check(invoice)
        if result is not None:
            checked.append(result)
