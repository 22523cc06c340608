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
    VIEW_RECEIVABLES = "view receivables"
    CORRECT_PAYMENT = "reverse or refund a payment"
    REQUEST_ADJUSTMENT = "credit or write off a balance"
    APPROVE_ADJUSTMENT = "approve a credit or write-off"
    MANAGE_COLLECTIONS = "set the collections policy and reminders"
    HANDLE_DISPUTES = "record and work on inquiries and disputes"
    RESOLVE_DISPUTE = "resolve a dispute"
    SEND_REMINDERS = "send reminders and statements"
    MANAGE_PAYMENT_PLANS = "manage payment plans"
    IMPORT_BANK_STATEMENTS = "import and match bank statements"
    ASSESS_LATE_CHARGES = "assess late charges"
    VIEW_TRUST = "view trust ledgers and reports"
    RECORD_TRUST_DEPOSIT = "record a trust deposit"
    DISBURSE_TRUST = "pay out of trust"
    REVERSE_TRUST = "reverse a trust transaction"
    MANAGE_RETAINERS = "record retainers"
    RECONCILE_TRUST = "import and match trust bank statements"
    SIGN_OFF_RECONCILIATION = "sign off a trust reconciliation"
    MANAGE_TRUST_ACCOUNTS = "manage trust accounts and the trust policy"
    IMPORT_DATA = "import clients, matters, timekeepers, rates, time and expenses"
    EXPORT_FIRM_DATA = "export all of the firm's data"
    VIEW_AUDIT_TRAIL = "view and export the audit trail"
    VERIFY_AUDIT_TRAIL = "verify the audit trail's hash chain"


_ALL = set(Role)
_BILLING_OFFICE = {Role.CLERK, Role.SPECIALIST, Role.COORDINATOR, Role.ADMINISTRATOR}
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
    # receivables: clerks answer client inquiries and post money; specialists correct and
    # reconcile; coordinators approve above the policy threshold and set the policy
    Action.VIEW_RECEIVABLES: _BILLING_OFFICE,
    Action.CORRECT_PAYMENT: {Role.SPECIALIST, Role.COORDINATOR, Role.ADMINISTRATOR},
    Action.REQUEST_ADJUSTMENT: {Role.SPECIALIST, Role.COORDINATOR, Role.ADMINISTRATOR},
    Action.APPROVE_ADJUSTMENT: {Role.COORDINATOR, Role.ADMINISTRATOR},
    Action.MANAGE_COLLECTIONS: {Role.COORDINATOR, Role.ADMINISTRATOR},
    Action.HANDLE_DISPUTES: _BILLING_OFFICE,
    Action.RESOLVE_DISPUTE: {Role.SPECIALIST, Role.COORDINATOR, Role.ADMINISTRATOR},
    Action.SEND_REMINDERS: _BILLING_OFFICE,
    Action.MANAGE_PAYMENT_PLANS: {Role.SPECIALIST, Role.COORDINATOR, Role.ADMINISTRATOR},
    Action.IMPORT_BANK_STATEMENTS: {Role.SPECIALIST, Role.COORDINATOR, Role.ADMINISTRATOR},
    Action.ASSESS_LATE_CHARGES: {Role.SPECIALIST, Role.COORDINATOR, Role.ADMINISTRATOR},
    # trust: clerks record money received; specialists pay out and reconcile; coordinators
    # reverse, sign the month off and keep the accounts and the firm's buffer money
    Action.VIEW_TRUST: _BILLING_OFFICE,
    Action.RECORD_TRUST_DEPOSIT: _BILLING_OFFICE,
    Action.DISBURSE_TRUST: {Role.SPECIALIST, Role.COORDINATOR, Role.ADMINISTRATOR},
    Action.REVERSE_TRUST: {Role.COORDINATOR, Role.ADMINISTRATOR},
    Action.MANAGE_RETAINERS: {Role.SPECIALIST, Role.COORDINATOR, Role.ADMINISTRATOR},
    Action.RECONCILE_TRUST: {Role.SPECIALIST, Role.COORDINATOR, Role.ADMINISTRATOR},
    Action.SIGN_OFF_RECONCILIATION: {Role.COORDINATOR, Role.ADMINISTRATOR},
    Action.MANAGE_TRUST_ACCOUNTS: {Role.COORDINATOR, Role.ADMINISTRATOR},
    # moving a firm in (years of history) and out (everything, every client): the people who
    # answer for the firm's data as a whole, not each clerk
    Action.IMPORT_DATA: {Role.COORDINATOR, Role.ADMINISTRATOR},
    Action.EXPORT_FIRM_DATA: {Role.COORDINATOR, Role.ADMINISTRATOR},
    # who changed what, for every client and matter: those who answer for the books; checking
    # the chain reads the whole trail, so it is the administrator's
    Action.VIEW_AUDIT_TRAIL: {Role.COORDINATOR, Role.ADMINISTRATOR},
    Action.VERIFY_AUDIT_TRAIL: {Role.ADMINISTRATOR},
}


def require(actor: User | None, action: Action) -> None:
    if actor is None:
        return
    if not actor.is_active or Role(actor.role) not in ALLOWED[action]:
        raise PermissionDenied(f"{actor.username} ({actor.get_role_display()}) may not {action}")


def allowed(actor: User | None, action: Action) -> bool:
    """Whether ``require`` would let ``actor`` do ``action``: for showing or hiding a control."""
    try:
        require(actor, action)
    except PermissionDenied:
        return False
    return True
