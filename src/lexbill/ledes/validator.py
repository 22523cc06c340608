"""Validating any LEDES 1998B or 98BI file, reporting every problem at once.

Checks run column by column over blocks of records, not line by line: each column's *distinct*
values are checked once (a million lines have a few hundred dates, codes and rates), the
arithmetic is mapped over whole columns of Decimals in C, and only lines that fail a fast test
are looked at one by one. That is what keeps a million lines within a few seconds in Python.
Invoices may span blocks; their running sums and first-seen values live in ``_InvoiceState``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal, localcontext
from itertools import compress, islice, pairwise, repeat
from operator import add, mul, ne, not_

from lexbill.core.money import ROUNDING
from lexbill.ledes.arithmetic import CENT, CONTEXT, ZERO
from lexbill.ledes.fieldcheck import NULL_TEXTS, Finding, findings_for, value_finding
from lexbill.ledes.problems import Code, Problem, Severity, ValidationReport
from lexbill.ledes.reader import RecordReader, Source
from lexbill.ledes.rules import ClientRules
from lexbill.ledes.spec import (
    ACTIVITY_CODE,
    ADJUSTMENT,
    ADJUSTMENT_TYPES,
    BILLING_END_DATE,
    BILLING_START_DATE,
    EXPENSE_CODE,
    INVOICE_CURRENCY,
    INVOICE_NET_TOTAL,
    INVOICE_NUMBER,
    INVOICE_TAX_TOTAL,
    INVOICE_TOTAL,
    LINE_DATE,
    LINE_DESCRIPTION,
    LINE_ITEM_NUMBER,
    LINE_TAX,
    LINE_TOTAL,
    LINE_TYPE,
    LINE_TYPES,
    NOT_FEE_TYPES,
    REPORTED_TAX_TOTAL,
    TASK_CODE,
    TAX_CURRENCY,
    TAX_RATE,
    UNIT_COST,
    UNITS,
    FieldSpec,
    Kind,
    LedesFormat,
    Need,
    detect_format,
)
from lexbill.ledes.text import replacement_for

NAN = Decimal("NaN")
Column = list[str]
"""One field's values over a block of lines."""
RowSink = Callable[[list[list[str]], Sequence[int]], None]
"""Receives each block's well-formed rows and their line numbers (the parser builds on it)."""


def _changes(column: Column) -> Iterator[int]:
    """Rows whose value differs from the row before."""
    return compress(range(1, len(column)), map(ne, islice(column, 1, None), column))


def _plain_text(column: Column, limit: int) -> bool:
    """No value longer than ``limit`` and none spelled NULL: nothing to look at one by one."""
    return max(map(len, column)) <= limit and not any(null in column for null in NULL_TEXTS)


def _constant_in_runs(column: Column, starts: list[int], bounds: list[int]) -> bool:
    """Whether ``column`` only changes value where a new run of lines starts.

    Long runs (the usual invoice) are counted slice by slice in C; many short runs are
    compared row against row instead, which costs less than a loop over the runs.
    """
    if len(starts) * 8 < len(column):
        return all(
            column[start:end].count(column[start]) == end - start for start, end in pairwise(bounds)
        )
    return set(starts).issuperset(_changes(column))


class _InvoiceState:
    """What is known about one invoice so far, across blocks."""

    __slots__ = ("count", "first_line", "line_numbers", "tax", "total", "values", "verifiable")

    def __init__(self, first_line: int, values: tuple[str, ...]) -> None:
        self.first_line = first_line
        self.values = values
        self.total = ZERO
        self.tax = ZERO
        self.count = 0
        self.line_numbers: dict[str, int] = {}
        self.verifiable = True


def _places(text: str) -> int:
    _, point, fraction = text.partition(".")
    return len(fraction) if point else 0


def _half_unit(text: str) -> Decimal:
    """Half of the last place written (at least cents): how far a rounded figure may stray."""
    return Decimal(5).scaleb(-max(2, _places(text)) - 1)


class _Validator:
    """Checks blocks of records as they are read; ``finish`` adds the whole-invoice checks."""

    def __init__(self, rules: ClientRules, row_sink: RowSink | None = None) -> None:
        self.rules = rules
        self.row_sink = row_sink
        self.problems: list[Problem] = []
        self.format: LedesFormat | None = None
        self.specs: tuple[FieldSpec, ...] = ()
        self.invoice_level: list[int] = []
        self.invoices: dict[str, _InvoiceState] = {}
        self.invalid_invoice_numbers: set[str] = set()
        self.line_items = 0
        self._head: list[tuple[str, int]] = []
        self._value_cache: dict[int, dict[str, Finding | None]] = {}
        self.reader: RecordReader | None = None

    # ----------------------------------------------------------------- the first two lines

    def feed(self, records: list[str], lines: Sequence[int]) -> None:
        start = 0
        while self.format is None and start < len(records):
            self._head.append((records[start], lines[start]))
            start += 1
            if len(self._head) == 2:
                self._read_head()
        if self.format is not None and start < len(records):
            if start:
                records, lines = records[start:], lines[start:]
            self._check_rows(records, lines)

    def _read_head(self) -> None:
        """Marker and header: checked, and used to decide which field table applies."""
        (marker, marker_line), (header, header_line) = self._head[0], self._head[1]
        data: list[tuple[str, int]] = []
        if marker.startswith("INVOICE_DATE|") or marker.count("|") > 10:
            # No marker at all: the first line is the header (or already data).
            data = [(header, header_line)]
            header, header_line = marker, marker_line
            marker = ""
        fmt = detect_format(marker, header, data[0][0] if data else None)
        self._set_format(fmt)
        if marker + "[]" != fmt.marker:
            shown = repr(marker + "[]") if marker else "nothing"
            self._add(
                1,
                None,
                Code.BAD_MARKER,
                f"the first line must be {fmt.marker!r} for LEDES {fmt.value}; found {shown}",
            )
        looks_like_data = header[:8].isdigit()
        if looks_like_data:
            data.insert(0, (header, header_line))
            self._add(
                header_line,
                None,
                Code.BAD_HEADER,
                f"the header line with the {len(self.specs)} LEDES {fmt.value} field names "
                "is missing",
            )
        elif header != fmt.header[:-2]:
            self._add(header_line, None, Code.BAD_HEADER, self._header_message(header, fmt))
        self._head = []
        if data:
            self._check_rows([text for text, _ in data], [line for _, line in data])

    def _header_message(self, header: str, fmt: LedesFormat) -> str:
        names = header.split("|")
        expected = fmt.field_names
        for index, (found, wanted) in enumerate(zip(names, expected, strict=False), start=1):
            if found != wanted:
                return (
                    f"the header must list the {len(expected)} LEDES {fmt.value} field names "
                    f"in order; field {index} is {found!r}, expected {wanted!r}"
                )
        return (
            f"the header must list the {len(expected)} LEDES {fmt.value} field names; "
            f"it has {len(names)}"
        )

    def _set_format(self, fmt: LedesFormat) -> None:
        self.format = fmt
        self.specs = fmt.fields
        self.invoice_level = [s.position - 1 for s in self.specs if s.invoice_level]
        if self.reader is not None:
            self.reader.fields = len(self.specs)

    # ----------------------------------------------------------------- helpers

    def _add(
        self,
        line: int,
        spec: FieldSpec | None,
        code: Code,
        message: str,
        severity: Severity = Severity.ERROR,
    ) -> None:
        self.problems.append(
            Problem(
                line,
                spec.name if spec else None,
                code,
                message,
                severity,
                spec.position if spec else 0,
            )
        )

    def _finding(self, position: int, value: str) -> Finding | None:
        assert self.format is not None
        return value_finding(self.specs[position], value, self.format, self.rules)

    # ----------------------------------------------------------------- data lines

    def _check_rows(self, records: list[str], lines: Sequence[int]) -> None:
        width = len(self.specs)
        self._check_characters(records, lines, width)
        if set(map(str.count, records, repeat("|"))) != {width - 1}:
            records, lines = self._drop_misshapen(records, lines, width)
        if not records:
            return
        count = len(records)
        self.line_items += count
        # One flat list for the whole block, columns by slicing: no list per line, which
        # would cost both time and garbage-collector passes over a million small lists.
        fields = "|".join(records).split("|")
        columns: list[Column] = [fields[k::width] for k in range(width)]
        if self.row_sink is not None:
            self.row_sink([fields[i : i + width] for i in range(0, len(fields), width)], lines)
        del fields
        # Lines of one invoice come in runs. An invoice-level field that changes only where
        # the invoice number changes is constant within each run, so its distinct values are
        # its values at the run starts: no hashing of a whole column, no tuple per line.
        numbers = columns[INVOICE_NUMBER]
        starts = [0, *_changes(numbers)]
        bounds = [*starts, count]
        known: dict[int, set[str]] = {}
        uneven = False
        for position in self.invoice_level:
            column = columns[position]
            if _constant_in_runs(column, starts, bounds):
                known[position] = {column[row] for row in starts}
            else:
                uneven = True
        distinct: list[set[str]] = []
        invalid: list[dict[str, Finding]] = []
        for spec, column in zip(self.specs, columns, strict=True):
            values, bad = self._check_column(
                spec, column, columns[LINE_TYPE], lines, known.get(spec.position - 1)
            )
            distinct.append(values)
            invalid.append(bad)
        self.invalid_invoice_numbers.update(invalid[INVOICE_NUMBER])
        self._check_placement(columns, invalid, lines)
        self._check_dates(columns, invalid, lines)
        self._check_rules(columns, lines)
        self._check_invoice_fields(columns, invalid, lines, bounds, uneven)
        with localcontext(CONTEXT):
            self._check_arithmetic(columns, distinct, invalid, lines, bounds)

    def _drop_misshapen(
        self, records: list[str], lines: Sequence[int], width: int
    ) -> tuple[list[str], list[int]]:
        kept_records: list[str] = []
        kept_lines: list[int] = []
        assert self.format is not None
        for record, line in zip(records, lines, strict=True):
            fields = record.count("|") + 1
            if fields == width:
                kept_records.append(record)
                kept_lines.append(line)
                continue
            hint = "; a '[]' or line break inside a value ends the record early"
            if fields > width:
                hint = "; a '|' inside a value (a narrative?) splits it into two fields"
            self._add(
                line,
                None,
                Code.FIELD_COUNT,
                f"{fields} fields instead of the {width} of LEDES {self.format.value}{hint}",
            )
            number = record.split("|", 2)[1] if fields > 1 else None
            if number is not None:
                # Its invoice is short of a line we could not read: its sums cannot be judged.
                state = self.invoices.get(number)
                if state is None:
                    state = self.invoices[number] = _InvoiceState(line, ())
                state.verifiable = False
        return kept_records, kept_lines

    def _check_characters(self, records: list[str], lines: Sequence[int], width: int) -> None:
        """Non-ASCII and control characters, found per field."""
        blob = " ".join(records)
        if blob.isascii() and blob.isprintable():
            return
        for record, line in zip(records, lines, strict=True):
            if record.isascii() and record.isprintable():
                continue
            row = record.split("|")
            named = len(row) == width
            for index, value in enumerate(row):
                spec = self.specs[index] if named else None
                self._check_value_characters(line, spec, value)

    def _check_value_characters(self, line: int, spec: FieldSpec | None, value: str) -> None:
        if not value.isascii():
            odd = sorted({c for c in value if not c.isascii()})
            escaped = [c for c in odd if "\udc80" <= c <= "\udcff"]
            if escaped:
                shown = ", ".join(f"0x{ord(c) - 0xDC00:02X}" for c in escaped)
                self._add(
                    line,
                    spec,
                    Code.NON_ASCII,
                    f"byte {shown} is not valid UTF-8 (a Windows-1252 or Latin-1 file?); "
                    "LEDES files should be plain ASCII",
                    Severity.WARNING,
                )
            shown = ", ".join(
                f"{c!r} (U+{ord(c):04X}, could be written {replacement_for(c)!r})"
                for c in odd
                if c not in escaped
            )
            if shown:
                self._add(
                    line,
                    spec,
                    Code.NON_ASCII,
                    f"non-ASCII character {shown}; many receivers reject anything but ASCII",
                    Severity.WARNING,
                )
        controls = sorted({c for c in value if c.isascii() and not c.isprintable()} - {"\n"})
        if controls:
            self._add(
                line,
                spec,
                Code.CONTROL_CHARACTER,
                "contains control characters "
                + ", ".join(f"U+{ord(c):04X}" for c in controls)
                + " (a tab?); receivers may split or reject the line",
                Severity.WARNING,
            )

    def _check_column(
        self,
        spec: FieldSpec,
        column: Column,
        types: Column,
        lines: Sequence[int],
        values: set[str] | None = None,
    ) -> tuple[set[str], dict[str, Finding]]:
        """Each distinct value checked once; bad and missing values reported on their lines."""
        assert self.format is not None
        if values is None and spec.kind is Kind.TEXT and _plain_text(column, spec.max_length):
            # Free text only has a length to respect: no need to hash a column of narratives.
            if "" in column and spec.need is not Need.OPTIONAL:
                self._report_missing(spec, column, types, lines)
            return set(), {}
        values = set(column) if values is None else set(values)
        blank = "" in values
        if blank:
            values.discard("")
        cache = self._value_cache.setdefault(spec.position, {})
        bad = findings_for(spec, values, self.format, self.rules, cache)
        if bad:
            for line, value in zip(lines, column, strict=True):
                found = bad.get(value)
                if found is not None:
                    self._add(line, spec, found[0], found[1])
        if blank and spec.need is not Need.OPTIONAL:
            self._report_missing(spec, column, types, lines)
        return values, bad

    def _report_missing(
        self,
        spec: FieldSpec,
        column: Column,
        types: Column,
        lines: Sequence[int],
    ) -> None:
        exempt: frozenset[str] = frozenset()
        if spec.need is Need.PRICED_LINES:
            exempt = ADJUSTMENT_TYPES
        elif spec.need is Need.FEE_LINES:
            exempt = NOT_FEE_TYPES
        if exempt and set(compress(types, map(not_, column))) <= exempt:
            return
        for line, value, line_type in zip(lines, column, types, strict=True):
            if not value and line_type not in exempt:
                self._add(line, spec, Code.MISSING_REQUIRED, self._missing_message(spec, line_type))

    @staticmethod
    def _missing_message(spec: FieldSpec, line_type: str) -> str:
        if spec.need is Need.ALWAYS:
            return "required, but empty"
        if spec.need is Need.PRICED_LINES:
            what = f"an {line_type} line" if line_type in LINE_TYPES else "this line"
            return f"required on {what}; only IF and IE lines may leave it empty"
        return "required on fee lines (and lines whose type is not known), but empty"

    def _check_placement(
        self,
        columns: list[Column],
        invalid: list[dict[str, Finding]],
        lines: Sequence[int],
    ) -> None:
        """UTBMS codes on the right kind of line, and the ones the client requires present."""
        types = columns[LINE_TYPE]
        rules = self.rules
        misplaced = {
            TASK_CODE: frozenset() if rules.allow_task_code_on_expense else frozenset({"E"}),
            EXPENSE_CODE: frozenset({"F"}),
            ACTIVITY_CODE: frozenset({"E"}),
        }
        required = {
            TASK_CODE: "F" if rules.require_task_code else None,
            EXPENSE_CODE: "E" if rules.require_expense_code else None,
            ACTIVITY_CODE: "F" if rules.require_activity_code else None,
        }
        for position in (TASK_CODE, EXPENSE_CODE, ACTIVITY_CODE):
            column = columns[position]
            spec = self.specs[position]
            wrong = misplaced[position]
            if wrong and not wrong.isdisjoint(compress(types, column)):
                bad = invalid[position]
                for line, value, line_type in zip(lines, column, types, strict=True):
                    if value and line_type in wrong and value not in bad:
                        kind = "a fee" if line_type == "F" else "an expense"
                        what = spec.name.removeprefix("LINE_ITEM_").lower().replace("_", " ")
                        self._add(
                            line,
                            spec,
                            Code.MISPLACED_CODE,
                            f"{value} is on {kind} line, which does not take a {what}",
                        )
            needed = required[position]
            if needed and needed in set(compress(types, map(not_, column))):
                for line, value, line_type in zip(lines, column, types, strict=True):
                    if not value and line_type == needed:
                        self._add(
                            line,
                            spec,
                            Code.MISSING_CODE,
                            f"this client requires a UTBMS code here on "
                            f"{'fee' if needed == 'F' else 'expense'} lines",
                        )

    def _check_dates(
        self,
        columns: list[Column],
        invalid: list[dict[str, Finding]],
        lines: Sequence[int],
    ) -> None:
        """Line dates inside the billing period (as text: YYYYMMDD sorts like the date)."""
        starts, ends, days = (
            columns[BILLING_START_DATE],
            columns[BILLING_END_DATE],
            columns[LINE_DATE],
        )
        broken = invalid[BILLING_START_DATE].keys() | invalid[BILLING_END_DATE].keys()
        broken |= invalid[LINE_DATE].keys()
        broken.add("")
        combos = {
            combo
            for combo in set(zip(days, starts, ends, strict=True))
            if broken.isdisjoint(combo) and not combo[1] <= combo[0] <= combo[2]
        }
        if not combos:
            return
        spec = self.specs[LINE_DATE]
        for line, combo in zip(lines, zip(days, starts, ends, strict=True), strict=True):
            if combo in combos:
                day, start, end = combo
                if start > end:
                    continue  # reported once per invoice as a reversed period
                self._add(
                    line,
                    spec,
                    Code.LINE_DATE_OUTSIDE_PERIOD,
                    f"{day} is outside the billing period {start}-{end}; "
                    "many receivers reject such lines",
                    Severity.WARNING,
                )

    def _check_rules(self, columns: list[Column], lines: Sequence[int]) -> None:
        limit = self.rules.narrative_limit
        narratives = columns[LINE_DESCRIPTION]
        if limit is None or max(map(len, narratives)) <= limit:
            return
        spec = self.specs[LINE_DESCRIPTION]
        for line, text in zip(lines, narratives, strict=True):
            if len(text) > limit:
                self._add(
                    line,
                    spec,
                    Code.NARRATIVE_TOO_LONG,
                    f"{len(text)} characters; this client accepts at most {limit}",
                )

    def _check_invoice_fields(
        self,
        columns: list[Column],
        invalid: list[dict[str, Finding]],
        lines: Sequence[int],
        bounds: list[int],
        uneven: bool,
    ) -> None:
        """Invoice-level fields identical on every line of an invoice, across blocks too.

        Each run of lines is compared by its first line with the invoice's first line; when
        some field also changes inside a run (``uneven``), every line is compared.
        """
        numbers = columns[INVOICE_NUMBER]
        level_columns = [columns[i] for i in self.invoice_level]
        bad_numbers = invalid[INVOICE_NUMBER]
        suspect: list[tuple[int, int]] = []
        for start, end in pairwise(bounds):
            number = numbers[start]
            values = tuple(column[start] for column in level_columns)
            state = self.invoices.get(number)
            if state is None:
                state = self.invoices[number] = _InvoiceState(lines[start], values)
                self._check_new_invoice(number, state, invalid)
            elif not state.values:
                state.values = values
                self._check_new_invoice(number, state, invalid)
            if number and number not in bad_numbers and (uneven or values != state.values):
                suspect.append((start, end))
        if suspect:
            self._report_conflicts(numbers, level_columns, lines, suspect)

    def _check_new_invoice(
        self, number: str, state: _InvoiceState, invalid: list[dict[str, Finding]]
    ) -> None:
        if not number or number in invalid[INVOICE_NUMBER]:
            return
        reason = self.rules.invoice_number_problem(number)
        if reason:
            self._add(
                state.first_line, self.specs[INVOICE_NUMBER], Code.INVOICE_NUMBER_RULE, reason
            )
        level = dict(zip(self.invoice_level, state.values, strict=True))
        start, end = level[BILLING_START_DATE], level[BILLING_END_DATE]
        if (
            start
            and end
            and start > end
            and start not in invalid[BILLING_START_DATE]
            and end not in invalid[BILLING_END_DATE]
        ):
            self._add(
                state.first_line,
                self.specs[BILLING_START_DATE],
                Code.BILLING_PERIOD_REVERSED,
                f"the billing period starts ({start}) after it ends ({end})",
                Severity.WARNING,
            )

    def _report_conflicts(
        self,
        numbers: Column,
        level_columns: list[Column],
        lines: Sequence[int],
        runs: list[tuple[int, int]],
    ) -> None:
        for row in (row for start, end in runs for row in range(start, end)):
            number = numbers[row]
            state = self.invoices[number]
            for position, column, first in zip(
                self.invoice_level, level_columns, state.values, strict=True
            ):
                value = column[row]
                if value != first:
                    spec = self.specs[position]
                    self._add(
                        lines[row],
                        spec,
                        Code.INCONSISTENT_INVOICE_FIELD,
                        f"{value!r} differs from {first!r} on line {state.first_line}, the "
                        f"first line of invoice {number}; {spec.name} must be identical on "
                        "every line of an invoice",
                    )

    # ----------------------------------------------------------------- arithmetic

    def _decimals(
        self, column: Column, values: set[str], bad: dict[str, Finding], blank: Decimal
    ) -> list[Decimal]:
        """The column as Decimals: invalid values become NaN, which poisons any sum they enter."""
        if bad:
            convert = {value: NAN if value in bad else Decimal(value) for value in values}
        else:
            convert = dict(zip(values, map(Decimal, values), strict=True))
        convert[""] = blank
        return list(map(convert.__getitem__, column))

    def _check_arithmetic(
        self,
        columns: list[Column],
        distinct: list[set[str]],
        invalid: list[dict[str, Finding]],
        lines: Sequence[int],
        bounds: list[int],
    ) -> None:
        international = self.format is LedesFormat.LEDES_98BI

        def numbers(position: int, blank: Decimal) -> list[Decimal]:
            return self._decimals(columns[position], distinct[position], invalid[position], blank)

        units, costs = numbers(UNITS, NAN), numbers(UNIT_COST, NAN)
        adjustments, totals = numbers(ADJUSTMENT, ZERO), numbers(LINE_TOTAL, NAN)
        amounts = list(
            map(
                Decimal.quantize,
                map(add, map(mul, units, costs), adjustments),
                repeat(CENT),
                repeat(ROUNDING),
            )
        )
        taxes: list[Decimal] = []
        if international:
            taxes, rates = numbers(LINE_TAX, NAN), numbers(TAX_RATE, ZERO)
            expected_taxes = map(
                Decimal.quantize, map(mul, amounts, rates), repeat(CENT), repeat(ROUNDING)
            )
            suspects = set(compress(range(len(amounts)), map(ne, expected_taxes, taxes)))
            suspects.update(
                compress(range(len(amounts)), map(ne, map(add, amounts, taxes), totals))
            )
        else:
            suspects = set(compress(range(len(amounts)), map(ne, amounts, totals)))
        for row in sorted(suspects):
            self._check_line_slowly(columns, invalid, row, lines[row])
        self._accumulate(columns, invalid, totals, taxes, lines, bounds)

    def _check_line_slowly(
        self,
        columns: list[Column],
        invalid: list[dict[str, Finding]],
        row: int,
        line: int,
    ) -> None:
        """The exact rules for one line that failed the fast test (blanks, rounding, IF/IE)."""
        international = self.format is LedesFormat.LEDES_98BI
        involved = [UNITS, UNIT_COST, ADJUSTMENT, LINE_TOTAL]
        if international:
            involved += [LINE_TAX, TAX_RATE]
        raw = {position: columns[position][row] for position in involved}
        if any(raw[p] in invalid[p] for p in involved):
            return
        line_type = columns[LINE_TYPE][row]
        adjustment_line = line_type in ADJUSTMENT_TYPES
        units_text, cost_text = raw[UNITS], raw[UNIT_COST]
        if not raw[LINE_TOTAL] or (not adjustment_line and not (units_text and cost_text)):
            return  # reported as missing
        if international and not raw[LINE_TAX]:
            return
        adjustment = Decimal(raw[ADJUSTMENT] or 0)
        if not cost_text:
            priced = ZERO
        elif not units_text:
            priced = Decimal(cost_text)
        else:
            priced = Decimal(units_text) * Decimal(cost_text)
        exact = priced + adjustment
        total = Decimal(raw[LINE_TOTAL])
        formula = (
            f"{units_text or ('1' if cost_text else '0')} × {cost_text or '0'} "
            f"+ {raw[ADJUSTMENT] or '0'}"
        )
        if not international:
            if abs(total - exact) > _half_unit(raw[LINE_TOTAL]):
                self._add(
                    line,
                    self.specs[LINE_TOTAL],
                    Code.LINE_TOTAL_MISMATCH,
                    f"LINE_ITEM_TOTAL is {raw[LINE_TOTAL]} but units × unit cost + adjustment "
                    f"= {formula} = {exact.normalize():f}",
                )
            return
        tax = Decimal(raw[LINE_TAX])
        rate = Decimal(raw[TAX_RATE] or 0)
        rounded_base = exact.quantize(CENT, rounding=ROUNDING)
        slack = _half_unit(raw[LINE_TAX]) + abs(rounded_base - exact) * rate
        if abs(tax - exact * rate) > slack:
            self._add(
                line,
                self.specs[LINE_TAX],
                Code.LINE_TAX_MISMATCH,
                f"LINE_ITEM_TAX_TOTAL is {raw[LINE_TAX]} but ({formula}) × tax rate "
                f"{raw[TAX_RATE] or '0'} = {(exact * rate).normalize():f}",
            )
        if abs(total - (exact + tax)) > _half_unit(raw[LINE_TOTAL]):
            self._add(
                line,
                self.specs[LINE_TOTAL],
                Code.LINE_TOTAL_MISMATCH,
                f"LINE_ITEM_TOTAL is {raw[LINE_TOTAL]} but units × unit cost + adjustment "
                f"+ tax = {formula} + {raw[LINE_TAX]} = {(exact + tax).normalize():f}",
            )

    def _accumulate(
        self,
        columns: list[Column],
        invalid: list[dict[str, Finding]],
        totals: list[Decimal],
        taxes: list[Decimal],
        lines: Sequence[int],
        bounds: list[int],
    ) -> None:
        """Adds each run of one invoice's lines to its sums and checks its line numbers."""
        numbers = columns[INVOICE_NUMBER]
        line_numbers = columns[LINE_ITEM_NUMBER]
        bad_line_numbers = invalid[LINE_ITEM_NUMBER]
        for start, end in pairwise(bounds):
            state = self.invoices[numbers[start]]
            state.count += end - start
            state.total += sum(totals[start:end], ZERO)
            if taxes:
                state.tax += sum(taxes[start:end], ZERO)
            run = line_numbers[start:end]
            seen = state.line_numbers
            if len(set(run)) == end - start and seen.keys().isdisjoint(run):
                seen.update(zip(run, lines[start:end], strict=True))
                continue
            for row in range(start, end):
                number = line_numbers[row]
                if not number or number in bad_line_numbers:
                    continue
                first = seen.setdefault(number, lines[row])
                if first != lines[row]:
                    self._add(
                        lines[row],
                        self.specs[LINE_ITEM_NUMBER],
                        Code.DUPLICATE_LINE_NUMBER,
                        f"line item number {number} is already used on line {first} of "
                        f"invoice {numbers[row]}; it must be unique within the invoice",
                    )

    # ----------------------------------------------------------------- the end

    def finish(self) -> ValidationReport:
        if self.format is None:
            if self._head:
                marker, _ = self._head[0]
                self._set_format(detect_format(marker, None, None))
                self._head.append(("", self._head[0][1] + 1))
                self._read_head()
            else:
                self._add(1, None, Code.EMPTY_FILE, "the file is empty")
        if self.format is not None and not self.line_items:
            self._add(3, None, Code.NO_LINE_ITEMS, "the file has no line items")
        with localcontext(CONTEXT):
            self._check_invoice_totals()
        self.problems.sort(key=lambda p: (p.line, p.position, p.code.value))
        invoices = sum(1 for state in self.invoices.values() if state.values)
        return ValidationReport(self.format, tuple(self.problems), self.line_items, invoices)

    def _declared(self, state: _InvoiceState, position: int) -> Decimal | None:
        """The invoice-level figure from the invoice's first line, if it is a valid number."""
        level = self.invoice_level.index(position)
        text = state.values[level]
        if not text or self._finding(position, text) is not None:
            return None
        return Decimal(text)

    def _check_invoice_totals(self) -> None:
        international = self.format is LedesFormat.LEDES_98BI
        currencies: dict[str, tuple[str, int]] = {}
        for number, state in self.invoices.items():
            if not number or number in self.invalid_invoice_numbers or not state.values:
                continue
            if international:
                currency = state.values[self.invoice_level.index(INVOICE_CURRENCY)]
                if currency:
                    currencies.setdefault(currency, (number, state.first_line))
            if not state.verifiable:
                continue
            self._check_invoice_figures(number, state, international)
        if len(currencies) > 1:
            (first, (first_invoice, _)), *others = currencies.items()
            for currency, (number, line) in others:
                self._add(
                    line,
                    self.specs[INVOICE_CURRENCY],
                    Code.MIXED_CURRENCY,
                    f"invoice {number} is in {currency} but invoice {first_invoice} in the "
                    f"same file is in {first}; send one file per currency",
                )

    def _check_invoice_figures(
        self, number: str, state: _InvoiceState, international: bool
    ) -> None:
        line = state.first_line
        total = self._declared(state, INVOICE_TOTAL)
        counted = f"{state.count} line totals add" if state.count != 1 else "1 line total adds"
        if total is not None and not state.total.is_nan() and total != state.total:
            self._add(
                line,
                self.specs[INVOICE_TOTAL],
                Code.INVOICE_TOTAL_MISMATCH,
                f"INVOICE_TOTAL of invoice {number} is {total:f} but its {counted} up to "
                f"{state.total:f}",
            )
        if not international:
            return
        tax = self._declared(state, INVOICE_TAX_TOTAL)
        if tax is not None and not state.tax.is_nan() and tax != state.tax:
            self._add(
                line,
                self.specs[INVOICE_TAX_TOTAL],
                Code.INVOICE_TAX_TOTAL_MISMATCH,
                f"INVOICE_TAX_TOTAL of invoice {number} is {tax:f} but its line taxes add up "
                f"to {state.tax:f}",
            )
        net = self._declared(state, INVOICE_NET_TOTAL)
        tax_for_net = tax if tax is not None else (None if state.tax.is_nan() else state.tax)
        if (
            net is not None
            and total is not None
            and tax_for_net is not None
            and net != total - tax_for_net
        ):
            self._add(
                line,
                self.specs[INVOICE_NET_TOTAL],
                Code.INVOICE_NET_TOTAL_MISMATCH,
                f"INVOICE_NET_TOTAL of invoice {number} is {net:f} but INVOICE_TOTAL "
                f"{total:f} − INVOICE_TAX_TOTAL {tax_for_net:f} = {total - tax_for_net:f}",
            )
        reported = self._declared(state, REPORTED_TAX_TOTAL)
        level = dict(zip(self.invoice_level, state.values, strict=True))
        same_currency = level[TAX_CURRENCY] in ("", level[INVOICE_CURRENCY])
        if reported is not None and tax is not None and same_currency and reported != tax:
            self._add(
                line,
                self.specs[REPORTED_TAX_TOTAL],
                Code.REPORTED_TAX_MISMATCH,
                f"INVOICE_REPORTED_TAX_TOTAL is {reported:f} in the invoice currency, so it "
                f"must equal INVOICE_TAX_TOTAL {tax:f}",
            )


def run_validation(
    source: Source, rules: ClientRules | None = None, row_sink: RowSink | None = None
) -> ValidationReport:
    """Reads ``source`` block by block through the validator (the parser adds a row sink)."""
    validator = _Validator(rules or ClientRules(), row_sink)
    reader = RecordReader(source)
    validator.reader = reader
    for block in reader.blocks():
        validator.problems.extend(block.problems)
        if block.records:
            validator.feed(block.records, block.lines)
    return validator.finish()


def validate_ledes(source: Source, rules: ClientRules | None = None) -> ValidationReport:
    """Every problem in a LEDES 1998B or 98BI file, in reading order.

    ``source`` is the text, the raw bytes, a path or a binary file object. ``rules`` adds one
    client's demands (required codes, invoice-number rule, narrative limit) to the format's.
    The file is valid when ``report.is_valid``: warnings (non-ASCII text, dates outside the
    billing period…) do not make it invalid.
    """
    return run_validation(source, rules)
