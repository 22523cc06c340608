"""schemathesis against the whole OpenAPI schema: no server errors, no response off its schema.

Every operation the API documents (this one's routers and any added later) is called with
generated requests, as an administrator, over the small firm's data: the schema comes from the
application itself and the requests go through the real WSGI stack (middleware, token auth,
problem handlers), inside the test's database transaction. Bounded and derandomized, so a run
takes the same path and about the same time each time.

Ids drawn at random name nothing, so every write would stop at "404" or "no such matter" and
the services would never see generated data. The hooks below draw most ids in paths and bodies
from the records that exist (the small firm, plus some time and expenses, one pre-billed), and
keep the generated value the rest of the time, so both the rules and the not-found answers get
exercised.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from lexbill.api.main import api
from lexbill.api.tokens import create_token
from lexbill.billing.bill_run import run_bill_run
from lexbill.billing.models import Rate
from lexbill.clients.models import Client, Matter
from lexbill.core.increments import hours_to_seconds
from lexbill.entries.models import Expense, TimeEntry
from lexbill.entries.services import ExpenseDraft, TimeDraft, record_expense, record_time
from lexbill.firm.models import Timekeeper

schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/"))
APP = get_wsgi_application()
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]

# which records a parameter of that name names
PATH_IDS = {
    "client_id": "clients",
    "matter_id": "matters",
    "timekeeper_id": "timekeepers",
    "rate_id": "rates",
    "entry_id": "time",
    "expense_id": "expenses",
}
BODY_IDS = {
    "client_id": "clients",
    "matter_id": "matters",
    "timekeeper_id": "timekeepers",
    "responsible_attorney_id": "timekeepers",
}
KNOWN_IDS: dict[str, list[int]] = {}
"""Filled by the ``known_records`` fixture for the running test, read when examples are drawn."""


def _mostly_real(kind: str, generated: Any) -> st.SearchStrategy[Any]:
    ids = KNOWN_IDS.get(kind)
    if not ids or not isinstance(generated, int) or isinstance(generated, bool):
        return st.just(generated)
    return st.sampled_from([*ids, *ids, generated])


def _with_real_ids(values: Any, names: dict[str, str]) -> st.SearchStrategy[Any]:
    if not isinstance(values, dict):
        return st.just(values)
    return st.fixed_dictionaries(
        {
            name: _mostly_real(names[name], value) if name in names else st.just(value)
            for name, value in values.items()
        }
    )


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
    return _with_real_ids(path_parameters, PATH_IDS)


@schema.hook
def flatmap_body(context: Any, body: Any) -> Any:
    return _with_real_ids(body, BODY_IDS)


@pytest.fixture
def known_records(small_firm: Any) -> Iterator[None]:
    """Some work on the small firm's matters, the oldest of it pre-billed, and every id known."""
    f = small_firm
    for day, keeper, matter in [
        (date(2026, 2, 2), f.partner, f.acme_hourly),
        (date(2026, 3, 3), f.associate, f.acme_capped),
        (date(2026, 3, 4), f.paralegal, f.globex_flat),
    ]:
        record_time(
            None,
            TimeDraft(matter, keeper, day, hours_to_seconds("1.5"), f"work of {keeper.code}"),
        )
        record_expense(
            None, ExpenseDraft(matter, day, "E101", "10", "0.2500", "copies", timekeeper=keeper)
        )
    run_bill_run(None, date(2026, 2, 28))
    KNOWN_IDS.update(
        clients=list(Client.objects.order_by("pk").values_list("pk", flat=True)),
        matters=list(Matter.objects.order_by("pk").values_list("pk", flat=True)),
        timekeepers=list(Timekeeper.objects.order_by("pk").values_list("pk", flat=True)),
        rates=list(Rate.objects.order_by("pk").values_list("pk", flat=True)),
        time=list(TimeEntry.objects.order_by("pk").values_list("pk", flat=True)),
        expenses=list(Expense.objects.order_by("pk").values_list("pk", flat=True)),
    )
    try:
        yield
    finally:
        KNOWN_IDS.clear()


@pytest.fixture
def admin_secret(small_firm: Any) -> str:
    _, secret = create_token(small_firm.alice, "schemathesis")
    return secret


@pytest.fixture
def connection_kept_between_requests() -> Iterator[None]:
    """The WSGI handler closes the database connection when a request ends, which would end the
    test's transaction (and with it the small firm) on PostgreSQL; Django's own test client
    unhooks the same signal handler for the same reason."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_within_its_schema(
    case: Any, admin_secret: str, known_records: None, connection_kept_between_requests: None
) -> None:
    response = case.call(app=APP, headers={"Authorization": f"Bearer {admin_secret}"})
    case.validate_response(response, checks=CHECKS)


def test_every_operation_documents_its_errors_as_problems() -> None:
    """What the status and content-type checks above rely on, stated once for the reader."""
    document = api.get_openapi_schema(path_prefix="/api/")
    operations = [op for item in document["paths"].values() for op in item.values()]
    assert operations
    for operation in operations:
        responses = {str(status): answer for status, answer in operation["responses"].items()}
        for status in ("400", "401", "403", "404", "409", "422"):
            assert "application/problem+json" in responses[status]["content"], (
                operation["operationId"],
                status,
            )
