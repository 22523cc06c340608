"""Who may do what: one table, checked by every service so web, API and CLI agree.

``actor=None`` is the system itself (the ``lexbill`` command run by whoever holds the server, the
demo loader, migrations); a logged-in person is always a ``User`` with a role.
"""

from __future__ import annotations

from enum import StrEnum

from lexbill.core.errors import PermissionDenied
from lexbill.firm.models import Role, User


class Action(StrEnum):
    RECORD_WORK = "record work"
    EDIT_PREBILL = "edit a pre-bill"
    APPROVE_PREBILL = "approve a pre-bill"
    RUN_BILLS = "run a bill run"
    FINALIZE_INVOICE = "finalize an invoice"
    ISSUE_CREDIT = "issue a credit note"
    POST_PAYMENT = "post a payment"
    MANAGE_CLIENTS = "manage clients and matters"
    MANAGE_RATES = "manage rates"
    MANAGE_FIRM = "manage the firm and its users"
    VIEW_REPORTS = "view billing reports"


_ALL = set(Role)
ALLOWED: dict[Action, set[Role]] = {
    Action.RECORD_WORK: _ALL,
    Action.EDIT_PREBILL: _ALL,
    Action.APPROVE_PREBILL: {Role.COORDINATOR, Role.ADMINISTRATOR, Role.ATTORNEY},
    Action.RUN_BILLS: {Role.SPECIALIST, Role.COORDINATOR, Role.ADMINISTRATOR},
    Action.FINALIZE_INVOICE: {Role.SPECIALIST, Role.COORDINATOR, Role.ADMINISTRATOR},
    Action.ISSUE_CREDIT: {Role.COORDINATOR, Role.ADMINISTRATOR},
    Action.POST_PAYMENT: {Role.CLERK, Role.SPECIALIST, Role.COORDINATOR, Role.ADMINISTRATOR},
    Action.MANAGE_CLIENTS: {Role.SPECIALIST, Role.COORDINATOR, Role.ADMINISTRATOR},
    Action.MANAGE_RATES: {Role.COORDINATOR, Role.ADMINISTRATOR},
    Action.MANAGE_FIRM: {Role.ADMINISTRATOR},
    # firm-wide figures, timekeepers compared (who needs training): the billing office, not
    # the clerks preparing bills nor attorneys, who see only their own matters
    Action.VIEW_REPORTS: {Role.SPECIALIST, Role.COORDINATOR, Role.ADMINISTRATOR},
}


def require(actor: User | None, action: Action) -> None:
    if actor is None:
        return
    if not actor.is_active or Role(actor.role) not in ALLOWED[action]:
        raise PermissionDenied(f"{actor.username} ({actor.get_role_display()}) may not {action}")
