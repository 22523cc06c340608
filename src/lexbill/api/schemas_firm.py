"""What the API sends and accepts for timekeepers and rates."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field, StringConstraints

from lexbill.api.schemas import DecimalOut
from lexbill.api.values import Id, Money, Name20, Name80, Search
from lexbill.billing.models import Rate
from lexbill.firm.models import Timekeeper
from lexbill.firm.permissions import Action, allowed
from lexbill.firm.services import MAX_TARGET_HOURS

Classification = Literal[
    "partner", "of_counsel", "associate", "paralegal", "legal_assistant", "other"
]
RateLevelName = Literal["matter", "client", "timekeeper", "classification"]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Username = Annotated[str, StringConstraints(min_length=1, max_length=150)]
TargetHours = Annotated[int, Field(ge=1, le=MAX_TARGET_HOURS)]


class Input(Schema):
    """A request body: unknown fields are refused, not ignored."""

    model_config = ConfigDict(extra="forbid")


# ---- timekeepers -------------------------------------------------------------------------------


def sees_targets(user: Any) -> bool:
    """Billable-hour targets are on the administrator's timekeeper page and in the utilization
    report; other roles pick timekeepers from the time form, which shows no targets."""
    return allowed(user, Action.MANAGE_FIRM) or allowed(user, Action.VIEW_REPORTS)


class TimekeeperOut(Schema):
    id: int
    code: str
    first_name: str
    last_name: str
    classification: Classification
    active: bool
    username: str | None = Field(description="the user who records time as this timekeeper")
    billable_target_hours: int | None = Field(
        description="billable hours expected a year; null when none is set, or when your role "
        "does not see targets (only administrators and those who view billing reports do)"
    )

    @staticmethod
    def resolve_username(obj: Timekeeper) -> str | None:
        return obj.user.username if obj.user is not None else None

    @staticmethod
    def resolve_billable_target_hours(obj: Timekeeper, context: Any) -> int | None:
        request = (context or {}).get("request")
        if request is None or not sees_targets(request.user):
            return None
        return obj.billable_target_hours


class TimekeeperIn(Input):
    code: Name20
    first_name: Name80
    last_name: Name80
    classification: Classification
    username: Username | None = Field(None, description="link a user who records their own time")
    billable_target_hours: TargetHours | None = None


class TimekeeperPatch(Input):
    billable_target_hours: TargetHours | None = Field(description="null removes the target")


class TimekeeperFilters(Schema):
    search: Search | None = Field(None, description="part of the code or the name")
    classification: Classification | None = None
    active: bool | None = None


# ---- rates -------------------------------------------------------------------------------------


class RateOut(Schema):
    id: int
    level: RateLevelName
    amount: DecimalOut = Field(description="per hour, in the rate's currency")
    currency: str
    effective_from: date
    matter_id: int | None
    client_id: int | None
    timekeeper_id: int | None
    classification: str = Field(description="blank unless the rate is keyed by classification")

    @staticmethod
    def resolve_level(obj: Rate) -> str:
        return str(obj.level)


class RateIn(Input):
    """A rate in force from a date. Which keys a level takes: ``matter`` needs matter_id,
    ``client`` client_id, each of them plus one of timekeeper_id or classification;
    ``timekeeper`` takes timekeeper_id alone, ``classification`` classification alone."""

    level: RateLevelName
    amount: Money
    effective_from: date
    currency: Currency = "USD"
    matter_id: Id | None = None
    client_id: Id | None = None
    timekeeper_id: Id | None = None
    classification: Classification | Literal[""] = ""


class RateChange(Input):
    """A new amount for the same key from a later (or earlier) date; the old row stays, so work
    before ``effective_from`` keeps the rate that was in force."""

    amount: Money
    effective_from: date


class RateFilters(Schema):
    level: RateLevelName | None = None
    matter: Id | None = Field(None, description="the matter's id")
    client: Id | None = Field(None, description="the client's id")
    timekeeper: Id | None = Field(None, description="the timekeeper's id")
    classification: Classification | None = None
    currency: Currency | None = None
    effective_from: date | None = Field(None, description="rates in force from this day or later")
    effective_to: date | None = Field(None, description="rates in force from this day or earlier")
