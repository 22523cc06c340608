"""What the API sends and accepts for time entries and expenses.

Time goes in as hours worked (``"1.5"``, a decimal string) and comes out both as the raw
duration and as the billed minutes and hours after the firm's increment; an expense's amount is
quantity × unit cost rounded half-up in the matter's currency, as the bill will show it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from lexbill.api.schemas import DecimalOut
from lexbill.api.values import Code, Hours, Id, LongText, Rate4
from lexbill.core.increments import minutes_to_hours
from lexbill.core.invoice_math import expense_amount
from lexbill.entries.models import Expense, TimeEntry

BillableName = Literal["billable", "no_charge", "non_billable"]
BillingStateName = Literal["unbilled", "prebilled", "billed"]
TravelClassName = Literal["", "economy", "premium", "business", "first"]
Narrative = Annotated[LongText, Field(min_length=1)]
Persons = Annotated[int, Field(ge=1, le=500)]


class Input(Schema):
    """A request body: unknown fields are refused, not ignored."""

    model_config = ConfigDict(extra="forbid")


# ---- time --------------------------------------------------------------------------------------


class TimeEntryOut(Schema):
    id: int
    matter_id: int
    matter_number: str
    client_id: int
    timekeeper_id: int
    timekeeper_code: str
    work_date: dt.date
    duration_seconds: int = Field(description="the time as worked")
    billed_minutes: int = Field(description="the time rounded up to the firm's increment")
    billed_hours: DecimalOut = Field(description="billed minutes in hours (4 places at most)")
    narrative: str
    task_code: str
    activity_code: str
    billable: BillableName
    state: BillingStateName
    created_at: dt.datetime
    created_by: str | None = Field(description="username of whoever recorded it")

    @staticmethod
    def resolve_matter_number(obj: TimeEntry) -> str:
        return obj.matter.number

    @staticmethod
    def resolve_client_id(obj: TimeEntry) -> int:
        return obj.matter.client_id

    @staticmethod
    def resolve_timekeeper_code(obj: TimeEntry) -> str:
        return obj.timekeeper.code

    @staticmethod
    def resolve_billed_hours(obj: TimeEntry) -> Decimal:
        return minutes_to_hours(obj.billed_minutes)

    @staticmethod
    def resolve_created_by(obj: TimeEntry) -> str | None:
        return obj.created_by.username if obj.created_by is not None else None


class TimeEntryIn(Input):
    matter_id: Id
    timekeeper_id: Id | None = Field(
        None, description="whose time it is; by default your own timekeeper"
    )
    work_date: dt.date
    hours: Hours = Field(
        description="hours worked; billed by the firm's increment", examples=["1.5"]
    )
    narrative: Narrative
    task_code: Code = Field("", description="UTBMS task code", examples=["L110"])
    activity_code: Code = Field("", description="UTBMS activity code", examples=["A103"])
    billable: BillableName = "billable"


class TimeEntryPatch(Input):
    matter_id: Id | None = None
    timekeeper_id: Id | None = None
    work_date: dt.date | None = None
    hours: Hours | None = None
    narrative: Narrative | None = None
    task_code: Code | None = None
    activity_code: Code | None = None
    billable: BillableName | None = None


class TimeFilters(Schema):
    matter: Id | None = Field(None, description="the matter's id")
    client: Id | None = Field(None, description="the client's id")
    timekeeper: Id | None = Field(None, description="the timekeeper's id")
    date_from: dt.date | None = Field(None, description="worked on or after this day")
    date_to: dt.date | None = Field(None, description="worked on or before this day")
    state: BillingStateName | None = Field(None, description="where the entry is in billing")
    billable: BillableName | None = None
    task_code: Code | None = None


# ---- expenses ----------------------------------------------------------------------------------


class ExpenseOut(Schema):
    id: int
    matter_id: int
    matter_number: str
    client_id: int
    timekeeper_id: int | None
    timekeeper_code: str | None
    date: dt.date
    expense_code: str
    quantity: DecimalOut
    unit_cost: DecimalOut
    amount: DecimalOut = Field(description="quantity × unit cost, rounded in the currency")
    currency: str = Field(description="the matter's currency")
    description: str
    billable: BillableName
    state: BillingStateName
    receipt: bool
    persons: int
    travel_class: TravelClassName
    created_at: dt.datetime
    created_by: str | None

    @staticmethod
    def resolve_matter_number(obj: Expense) -> str:
        return obj.matter.number

    @staticmethod
    def resolve_client_id(obj: Expense) -> int:
        return obj.matter.client_id

    @staticmethod
    def resolve_timekeeper_code(obj: Expense) -> str | None:
        return obj.timekeeper.code if obj.timekeeper is not None else None

    @staticmethod
    def resolve_amount(obj: Expense) -> Decimal:
        return expense_amount(obj.quantity, obj.unit_cost, obj.matter.currency)

    @staticmethod
    def resolve_currency(obj: Expense) -> str:
        return obj.matter.currency

    @staticmethod
    def resolve_created_by(obj: Expense) -> str | None:
        return obj.created_by.username if obj.created_by is not None else None


class ExpenseIn(Input):
    matter_id: Id
    timekeeper_id: Id | None = Field(None, description="who incurred it, if anyone")
    date: dt.date
    expense_code: Code = Field(description="UTBMS expense code", examples=["E101"])
    quantity: Rate4 = Field(Decimal(1), description="pages, miles, …", examples=["120"])
    unit_cost: Rate4 = Field(description="per unit, in the matter's currency", examples=["0.15"])
    description: Narrative
    billable: BillableName = "billable"
    receipt: bool = False
    persons: Persons = 1
    travel_class: TravelClassName = ""


class ExpensePatch(Input):
    matter_id: Id | None = None
    timekeeper_id: Id | None = Field(None, description="null: incurred by nobody in particular")
    date: dt.date | None = None
    expense_code: Code | None = None
    quantity: Rate4 | None = None
    unit_cost: Rate4 | None = None
    description: Narrative | None = None
    billable: BillableName | None = None
    receipt: bool | None = None
    persons: Persons | None = None
    travel_class: TravelClassName | None = None


class ExpenseFilters(Schema):
    matter: Id | None = Field(None, description="the matter's id")
    client: Id | None = Field(None, description="the client's id")
    timekeeper: Id | None = Field(None, description="the timekeeper's id")
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    state: BillingStateName | None = None
    billable: BillableName | None = None
    expense_code: Code | None = None
