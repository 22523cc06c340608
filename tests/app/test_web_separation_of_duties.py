"""Separation of duties: nobody approves a pre-bill of only their own time, unless administrator.

The rule lives in the service (billing.prebills.approve_prebill), so the web, the API and the CLI
all refuse the same way.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from lexbill.billing.bill_run import run_bill_run
from lexbill.billing.models import Prebill
from lexbill.billing.prebills import approve_prebill
from lexbill.billing.rates import set_rate
from lexbill.core.errors import PermissionDenied
from lexbill.core.increments import hours_to_seconds
from lexbill.entries.services import TimeDraft, record_time
from lexbill.firm.services import create_timekeeper

DAY = date(2026, 3, 2)


def _time(f: Any, timekeeper: Any, matter: Any = None) -> None:
    record_time(
        f.clara,
        TimeDraft(
            matter=matter or f.acme_hourly,
            timekeeper=timekeeper,
            work_date=DAY,
            duration_seconds=hours_to_seconds("1.5"),
            narrative="Draft motion to compel",
            task_code="L250",
            activity_code="A103",
        ),
    )


def _prebill(f: Any) -> Prebill:
    return Prebill.objects.get(run=run_bill_run(f.sam, date(2026, 3, 31)))


def test_an_attorney_cannot_approve_a_prebill_of_only_their_own_time(small_firm: Any) -> None:
    f = small_firm
    _time(f, f.partner)
    prebill = _prebill(f)
    with pytest.raises(PermissionDenied, match="all of its time is their own"):
        approve_prebill(f.pat, prebill)
    prebill.refresh_from_db()
    assert prebill.status == "draft"
    assert approve_prebill(f.carol, prebill).status == "approved"


def test_a_prebill_with_someone_elses_time_too_may_be_approved_by_its_attorney(
    small_firm: Any,
) -> None:
    f = small_firm
    _time(f, f.partner)
    _time(f, f.associate)
    assert approve_prebill(f.pat, _prebill(f)).status == "approved"


def test_a_coordinator_with_only_their_own_time_is_refused_too(small_firm: Any) -> None:
    f = small_firm
    carol_tk = create_timekeeper(None, "CC", "Carol", "Cole", "paralegal", user=f.carol)
    set_rate(None, "timekeeper", "120.00", date(2026, 1, 1), timekeeper=carol_tk)
    _time(f, carol_tk)
    prebill = _prebill(f)
    with pytest.raises(PermissionDenied, match="carol may not approve"):
        approve_prebill(f.carol, prebill)
    assert approve_prebill(f.pat, prebill).status == "approved"


def test_the_administrator_may_approve_their_own_time(small_firm: Any) -> None:
    f = small_firm
    alice_tk = create_timekeeper(None, "AA", "Alice", "Adams", "partner", user=f.alice)
    set_rate(None, "timekeeper", "400.00", date(2026, 1, 1), timekeeper=alice_tk)
    _time(f, alice_tk)
    assert approve_prebill(f.alice, _prebill(f)).status == "approved"


def test_the_refusal_is_shown_on_the_web_as_a_clear_403(small_firm: Any, rf: Any) -> None:
    from lexbill.web.middleware import PermissionDeniedMiddleware

    f = small_firm
    _time(f, f.partner)
    prebill = _prebill(f)
    request = rf.post("/")
    request.user = f.pat
    with pytest.raises(PermissionDenied) as refused:
        approve_prebill(f.pat, prebill)
    middleware = PermissionDeniedMiddleware(lambda r: None)  # type: ignore[arg-type,return-value]
    response = middleware.process_exception(request, refused.value)
    assert response is not None
    assert response.status_code == 403
    assert b"all of its time is their own" in response.content
