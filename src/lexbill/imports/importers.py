"""Per kind, checking typed rows against the database and storing them set-based.

An importer is built once per file with every lookup it needs loaded into dicts, then called
once per row (``check``) and once per chunk of rows (``flush``). Problems go to a shared
:class:`ProblemList` (every one counted, the first ones kept) with the file's row and column.
A flush writes nothing once any problem is known: the commit is going to roll back anyway.

Time entries, the kind with a million rows, live in ``time_import.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Model
from django.utils import timezone

from lexbill.billing.models import Rate
from lexbill.clients.models import Client, Matter
from lexbill.clients.services import _check_code_set as check_matter_code_set
from lexbill.clients.services import _practice_area
from lexbill.core.errors import LexbillError
from lexbill.core.money import minor_unit_places
from lexbill.core.rates import RateLevel, RateRow
from lexbill.entries.models import Billable, Expense
from lexbill.entries.services import ExpenseDraft, _check_expense
from lexbill.firm.models import Classification, Firm, Timekeeper, User
from lexbill.firm.services import _check_target
from lexbill.formats.import_fields import Problem, RowReader

PROBLEMS_KEPT = 1000
"""Problems listed in full; beyond this only counted (a broken million-row file would
otherwise carry a million messages around)."""


class ProblemList:
    """Every problem counted, the first ``PROBLEMS_KEPT`` kept."""

    def __init__(self) -> None:
        self.kept: list[Problem] = []
        self.count = 0

    def add(self, problem: Problem) -> None:
        self.count += 1
        if len(self.kept) < PROBLEMS_KEPT:
            self.kept.append(problem)

    def extend(self, problems: Sequence[Problem]) -> None:
        for problem in problems:
            self.add(problem)


# --- the kinds --------------------------------------------------------------------------------


class Importer:
    """Checks typed rows against the database and, when writing, stores them in chunks."""

    def __init__(
        self, reader: RowReader, problems: ProblemList, actor: User | None, firm: Firm, write: bool
    ) -> None:
        self.reader = reader
        self.problems = problems
        self.actor = actor
        self.actor_id = actor.pk if actor is not None else None
        self.firm = firm
        self.write = write
        self.created = 0
        self.rows = 0
        self.now = timezone.now()

    def problem(self, row: int, name: str, message: str) -> None:
        self.problems.add(Problem(row, self.reader.column_of(name), message, name))

    def service_problem(self, row: int, exc: LexbillError, default: str) -> None:
        """A service rule's refusal, put on the column its field came from."""
        name = exc.field or default
        name = self.FIELD_ALIASES.get(name, name)
        self.problem(row, name, exc.message)

    FIELD_ALIASES: Mapping[str, str] = {}

    def check(self, row: int, values: list[Any]) -> None:
        raise NotImplementedError

    def check_references(self, row: int, values: Sequence[Any]) -> None:
        """A row that could not be typed whole: name what its well-formed values refer to
        that does not exist, so one dry run shows every problem of the row."""

    def flush(self, expected_rows: int = 0) -> None:
        """Write what has been checked so far, unless a problem has already doomed the import
        (the transaction will roll back; writing more would only cost time). ``expected_rows``
        is the reader's estimate of the file's size, for importers that plan their writing."""

    def finish(self) -> None:
        """After the last row: write the rest."""
        self.flush()

    def close(self) -> None:
        """Release what the importer holds, also after an error."""

    def counts(self) -> dict[str, Any]:
        return {self.reader.kind.value: self.created}


class BufferedImporter(Importer):
    """A kind stored with ``bulk_create``, one chunk of checked rows at a time."""

    model: type[Model]
    batch_size = 1000

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.buffer: list[Any] = []

    def flush(self, expected_rows: int = 0) -> None:
        if self.buffer and not self.problems.count:
            self.model._default_manager.bulk_create(self.buffer, batch_size=self.batch_size)
        self.buffer.clear()


class NumberedImporter(BufferedImporter):
    """A kind whose rows are identified by a number or ID that must be new to the firm and
    appear once in the file."""

    key_field: str
    key_label: str
    """How a message names the key, e.g. ``"client number"``."""
    taken_phrase = "is taken"

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.taken: set[str] = set(
            self.model._default_manager.values_list(self.key_field, flat=True)
        )
        self.in_file: dict[str, int] = {}

    def claim(self, row: int, key: str) -> None:
        """Refuse ``key`` if the firm or an earlier row has it; otherwise remember its row."""
        if key in self.taken:
            self.problem(row, self.key_field, f"{self.key_label} {key} {self.taken_phrase}")
        elif key in self.in_file:
            self.problem(
                row, self.key_field, f"{self.key_label} {key} is also on row {self.in_file[key]}"
            )
        else:
            self.in_file[key] = row


class ExpenseImporter(BufferedImporter):
    FIELD_ALIASES: Mapping[str, str] = {}
    model = Expense
    batch_size = 2000

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.matters = {m.number: m for m in Matter.objects.all()}
        self.timekeepers = timekeepers_by_code()
        self.seen: dict[int, int] = {}
        self.allow_duplicates = self.reader.options.allow_duplicates
        self.unit_cost_column = "unit_cost" if self.reader.mapping.get("unit_cost") else "amount"

    def check(self, row: int, values: list[Any]) -> None:
        (
            number,
            day,
            code,
            quantity,
            unit_cost,
            amount,
            description,
            keeper_code,
            billable,
            receipt,
            persons,
            travel_class,
        ) = values
        matter = self.matters.get(number)
        keeper = None
        ok = True
        if matter is None:
            self.problem(row, "matter", f"unknown matter {number!r}")
            ok = False
        if keeper_code:
            keeper = self.timekeepers.get(keeper_code) or self.timekeepers.get(keeper_code.upper())
            if keeper is None:
                self.problem(row, "timekeeper", f"unknown timekeeper {keeper_code!r}")
                ok = False
        quantity = quantity if quantity is not None else Decimal(1)
        if unit_cost is None and amount is not None:
            if quantity <= 0:
                self.problem(row, "quantity", "quantity must be more than zero")
                return
            unit_cost = amount / quantity
            if unit_cost != unit_cost.quantize(Decimal("0.0001")):
                self.problem(
                    row, "amount", f"{amount} is not {quantity} × a unit cost with 4 decimals"
                )
                return
        if not ok or matter is None:
            return
        draft = ExpenseDraft(
            matter=matter,
            date=day,
            expense_code=code,
            quantity=quantity,
            unit_cost=unit_cost,
            description=description,
            timekeeper=keeper,
            billable=billable or Billable.BILLABLE,
            receipt=bool(receipt),
            persons=1 if persons is None else persons,
            travel_class=travel_class or "",
        )
        try:
            expense = _check_expense(draft, row)
        except LexbillError as exc:
            name = exc.field or "expense_code"
            if name == "unit_cost":
                name = self.unit_cost_column
            self.problem(row, name, exc.message)
            return
        if not self.allow_duplicates:
            digest = hash(
                (
                    matter.pk,
                    day,
                    expense.expense_code,
                    expense.quantity,
                    expense.unit_cost,
                    expense.description,
                    keeper.pk if keeper else None,
                )
            )
            earlier = self.seen.get(digest)
            if earlier is not None:
                self.problems.add(
                    Problem(
                        row,
                        "",
                        f"the same expense as row {earlier}; if both are real, allow duplicates",
                    )
                )
                return
            self.seen[digest] = row
        self.created += 1
        if self.write:
            expense.created_by_id = self.actor_id
            self.buffer.append(expense)

    def check_references(self, row: int, values: Sequence[Any]) -> None:
        number, keeper_code = values[0], values[7]
        if number and number not in self.matters:
            self.problem(row, "matter", f"unknown matter {number!r}")
        if keeper_code and not (
            self.timekeepers.get(keeper_code) or self.timekeepers.get(keeper_code.upper())
        ):
            self.problem(row, "timekeeper", f"unknown timekeeper {keeper_code!r}")


class TimekeeperImporter(NumberedImporter):
    model = Timekeeper
    key_field = "code"
    key_label = "timekeeper ID"
    taken_phrase = "exists already"

    def check(self, row: int, values: list[Any]) -> None:
        code, first, last, classification, target, active = values
        before = self.problems.count
        self.claim(row, code)
        if classification not in Classification.values:  # pragma: no cover - choices agree
            self.problem(row, "classification", f"unknown classification {classification!r}")
        try:
            _check_target(target)
        except LexbillError as exc:
            self.service_problem(row, exc, "billable_target_hours")
        if self.problems.count > before:
            return
        self.created += 1
        if self.write:
            self.buffer.append(
                Timekeeper(
                    code=code,
                    first_name=first,
                    last_name=last,
                    classification=classification,
                    billable_target_hours=target,
                    active=True if active is None else active,
                )
            )


_TAX_PLACES = Decimal("0.0001")
_CENTS = Decimal("0.01")


class ClientImporter(NumberedImporter):
    model = Client
    key_field = "number"
    key_label = "client number"

    def check(self, row: int, values: list[Any]) -> None:
        (number, name, address, contact, email, tax, tax_label, tax_id, late) = values
        before = self.problems.count
        self.claim(row, number)
        tax = tax if tax is not None else Decimal(0)
        if not Decimal(0) <= tax < Decimal(100):  # as create_client
            self.problem(row, "tax_rate_percent", "tax rate must be between 0 and 100 percent")
        elif tax != tax.quantize(_TAX_PLACES):
            self.problem(row, "tax_rate_percent", "at most 4 decimal places")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                self.problem(row, "billing_email", f"{email!r} is not an e-mail address")
        if self.problems.count > before:
            return
        self.created += 1
        if self.write:
            self.buffer.append(
                Client(
                    number=number,
                    name=name,
                    address=address or "",
                    billing_contact=contact or "",
                    billing_email=email or "",
                    tax_rate_percent=tax,
                    tax_label=tax_label or "Tax",
                    tax_id=tax_id or "",
                    late_charges_allowed=bool(late),
                )
            )


class MatterImporter(NumberedImporter):
    model = Matter
    key_field = "number"
    key_label = "matter number"

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.clients = {c.number: c.pk for c in Client.objects.only("pk", "number")}
        self.timekeepers = timekeepers_by_code()

    def check(self, row: int, values: list[Any]) -> None:
        (
            number,
            client,
            name,
            attorney,
            opened_on,
            client_matter_id,
            code_set,
            currency,
            arrangement,
            flat_fee,
            fee_cap,
            practice_area,
            status,
            closed_on,
        ) = values
        before = self.problems.count
        self.claim(row, number)
        client_id = self.clients.get(client)
        if client_id is None:
            self.problem(row, "client", f"unknown client {client!r} (import clients first)")
        keeper = self.timekeepers.get(attorney) or self.timekeepers.get(attorney.upper())
        if keeper is None:
            self.problem(row, "responsible_attorney", f"unknown timekeeper {attorney!r}")
        currency = currency or self.firm.base_currency
        try:
            minor_unit_places(currency)
        except LexbillError as exc:
            self.problem(row, "currency", exc.message)
        try:
            check_matter_code_set(code_set or "")
            practice_area = _practice_area(practice_area)
        except LexbillError as exc:
            self.service_problem(row, exc, "task_code_set")
        arrangement = arrangement or Matter.Arrangement.HOURLY
        for fee, name, needed in (
            (flat_fee, "flat_fee", Matter.Arrangement.FLAT_FEE),
            (fee_cap, "fee_cap", Matter.Arrangement.CAPPED),
        ):
            label = "flat fee" if name == "flat_fee" else "fee cap"
            if arrangement == needed and (fee is None or fee <= 0):
                self.problem(
                    row, name, f"a {arrangement.replace('_', '-')} matter needs a positive {label}"
                )
            elif fee is not None and fee != fee.quantize(_CENTS):
                self.problem(row, name, "at most 2 decimal places")
        if closed_on is not None and status is None:
            status = Matter.Status.CLOSED
        status = status or Matter.Status.OPEN
        if status == Matter.Status.CLOSED and closed_on is None:
            self.problem(row, "closed_on", "a closed matter needs the day it was closed")
        if closed_on is not None and closed_on < opened_on:
            self.problem(row, "closed_on", f"closed on {closed_on}, before it opened")
        if self.problems.count > before or client_id is None:
            return
        self.created += 1
        if self.write:
            self.buffer.append(
                Matter(
                    client_id=client_id,
                    number=number,
                    name=name,
                    responsible_attorney=keeper,
                    opened_on=opened_on,
                    client_matter_id=client_matter_id or "",
                    task_code_set=code_set or "",
                    currency=currency,
                    arrangement=arrangement,
                    flat_fee=flat_fee,
                    fee_cap=fee_cap,
                    practice_area=practice_area or "",
                    status=status,
                    closed_on=closed_on if status == Matter.Status.CLOSED else None,
                )
            )


_RATE_FIELDS = {
    "matter_id": "matter",
    "client_id": "client",
    "timekeeper_id": "timekeeper",
    "classification": "classification",
    "amount": "amount",
    "level": "level",
    "effective_from": "effective_from",
}


class RateImporter(BufferedImporter):
    model = Rate

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.matters = {
            m.number: (m.pk, m.currency) for m in Matter.objects.only("pk", "number", "currency")
        }
        self.clients = {c.number: c.pk for c in Client.objects.only("pk", "number")}
        self.timekeepers = timekeepers_by_code()
        self.taken: set[tuple[Any, ...]] = set(
            Rate.objects.values_list(
                "level",
                "currency",
                "effective_from",
                "matter_id",
                "client_id",
                "timekeeper_id",
                "classification",
            )
        )
        self.in_file: dict[tuple[Any, ...], int] = {}

    def check(self, row: int, values: list[Any]) -> None:
        level, amount, currency, effective_from, keeper_code, classification, client, matter = (
            values
        )
        before = self.problems.count
        matter_id = client_id = keeper_id = None
        matter_currency = None
        if matter:
            found = self.matters.get(matter)
            if found is None:
                self.problem(row, "matter", f"unknown matter {matter!r}")
            else:
                matter_id, matter_currency = found
        if client:
            client_id = self.clients.get(client)
            if client_id is None:
                self.problem(row, "client", f"unknown client {client!r}")
        if keeper_code:
            keeper = self.timekeepers.get(keeper_code) or self.timekeepers.get(keeper_code.upper())
            if keeper is None:
                self.problem(row, "timekeeper", f"unknown timekeeper {keeper_code!r}")
            else:
                keeper_id = keeper.pk
        if not keeper_code and not classification:
            self.problem(row, "timekeeper", "a rate names a timekeeper or a classification")
        if self.problems.count > before:
            return
        if level is None:
            level = (
                RateLevel.MATTER
                if matter
                else RateLevel.CLIENT
                if client
                else RateLevel.TIMEKEEPER
                if keeper_code
                else RateLevel.CLASSIFICATION
            )
        currency = currency or matter_currency or self.firm.base_currency
        if amount != amount.quantize(_CENTS):
            self.problem(row, "amount", "a rate has at most 2 decimal places")
            return
        try:
            rate = RateRow(
                level=RateLevel(level),
                amount=amount,
                currency=currency,
                effective_from=effective_from,
                matter_id=matter_id,
                client_id=client_id,
                timekeeper_id=keeper_id,
                classification=classification or None,
            )
        except LexbillError as exc:
            name = _RATE_FIELDS.get(exc.field or "level", "level")
            if exc.field == "currency" or "currency" in exc.message:
                name = "currency"
            self.problem(row, name, exc.message)
            return
        key = (
            rate.level.value,
            currency,
            effective_from,
            matter_id,
            client_id,
            keeper_id,
            classification or "",
        )
        if key in self.taken:
            self.problem(
                row,
                "effective_from",
                f"a {rate.level} rate from {effective_from} already exists for this key",
            )
            return
        if key in self.in_file:
            self.problem(
                row,
                "effective_from",
                f"the same {rate.level} rate and date as row {self.in_file[key]}",
            )
            return
        self.in_file[key] = row
        self.created += 1
        if self.write:
            self.buffer.append(
                Rate(
                    level=rate.level.value,
                    amount=amount,
                    currency=currency,
                    effective_from=effective_from,
                    matter_id=matter_id,
                    client_id=client_id,
                    timekeeper_id=keeper_id,
                    classification=classification or "",
                )
            )


def timekeepers_by_code() -> dict[str, Timekeeper]:
    keepers: dict[str, Timekeeper] = {}
    for keeper in Timekeeper.objects.all():
        keepers[keeper.code] = keeper
        keepers.setdefault(keeper.code.upper(), keeper)
    return keepers
