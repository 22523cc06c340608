"""The one NinjaAPI instance: token auth, problem+json errors, and every router mounted."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required

from lexbill.api.auth import PersonalToken
from lexbill.api.openapi import LexbillNinjaAPI
from lexbill.api.problems import install_problem_handlers
from lexbill.api.routers import billing, clients, entries, firm, me, receivables

api = LexbillNinjaAPI(
    title="Lexbill API",
    version="1",
    description=(
        "The billing system's JSON API. Authenticate with a personal API token "
        "(created under Settings → API tokens) as `Authorization: Bearer <token>`; the token "
        "acts with its owner's role. Errors are `application/problem+json`. POSTs that create "
        "money records honour an `Idempotency-Key` header."
    ),
    auth=PersonalToken(),
    docs_decorator=login_required,
    urls_namespace="api",
)
install_problem_handlers(api)

api.add_router("/", me.router, tags=["you"])
api.add_router("/", clients.router, tags=["clients and matters"])
api.add_router("/", firm.router, tags=["timekeepers and rates"])
api.add_router("/", entries.router, tags=["time and expenses"])
api.add_router("/", billing.router, tags=["pre-bills and invoices"])
api.add_router("/", receivables.router, tags=["payments and balances"])
