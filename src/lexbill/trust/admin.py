from django.contrib import admin

from lexbill.admin_base import PostedRecordAdmin
from lexbill.trust.models import (
    FoundationInterest,
    RefusedAttempt,
    SignedReconciliation,
    TrustAccount,
    TrustLedger,
    TrustTransaction,
)


@admin.register(TrustAccount, TrustLedger)
class TrustSetupAdmin(PostedRecordAdmin):
    """Read-only: accounts and ledgers are opened by the services, which keep the rules."""


@admin.register(TrustTransaction, FoundationInterest, RefusedAttempt, SignedReconciliation)
class TrustRecordAdmin(PostedRecordAdmin):
    """Posted trust records: corrections are reversals, never admin edits."""
