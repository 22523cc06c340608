"""Setting a client's e-billing profile, checked so that an export never fails on the profile."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction

from lexbill import ledes
from lexbill.clients.models import Client
from lexbill.core.errors import InvalidEntry
from lexbill.ebilling.models import TASK_CODE_SET_CHOICES, EbillingProfile
from lexbill.firm.models import Classification, User
from lexbill.firm.permissions import Action, require

_FIELDS = {f.name for f in EbillingProfile._meta.get_fields()} - {"id", "client"}
_CODE_SETS = {value for value, _label in TASK_CODE_SET_CHOICES}
_COUNTRY = re.compile(r"[A-Z]{2,3}")


def _check(values: dict[str, Any]) -> None:
    fmt = values.get("format", ledes.LedesFormat.LEDES_1998B)
    if fmt not in set(ledes.LedesFormat):
        raise InvalidEntry(f"unknown LEDES format {fmt!r}", field="format")
    unknown_sets = set(values.get("task_code_sets") or ()) - _CODE_SETS
    if unknown_sets:
        raise InvalidEntry(
            f"unknown UTBMS code set {sorted(unknown_sets)[0]!r}", field="task_code_sets"
        )
    codes = ledes.timekeeper_classifications()
    for classification, code in (values.get("classification_codes") or {}).items():
        if classification not in Classification.values:
            raise InvalidEntry(
                f"unknown classification {classification!r}", field="classification_codes"
            )
        if code and code not in codes:
            raise InvalidEntry(
                f"{code!r} is not a LEDES timekeeper classification (PARTNR, ASSOC, PARALG…)",
                field="classification_codes",
            )
    pattern = values.get("invoice_number_pattern") or ""
    if pattern:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise InvalidEntry(
                f"the invoice number rule is not a valid pattern: {exc}",
                field="invoice_number_pattern",
            ) from None
    limit = values.get("narrative_limit")
    if limit is not None and limit < 1:
        raise InvalidEntry("the narrative limit must be at least 1", field="narrative_limit")
    for field in ("client_country", "firm_country"):
        country = values.get(field) or ""
        if country and not _COUNTRY.fullmatch(country):
            raise InvalidEntry(
                f"{country!r} is not an ISO 3166 country code (US, GB, DEU…)", field=field
            )


def save_profile(actor: User | None, client: Client, **values: Any) -> EbillingProfile:
    """Create or change the client's profile; unknown fields and bad values change nothing."""
    require(actor, Action.MANAGE_CLIENTS)
    unknown = set(values) - _FIELDS
    if unknown:
        raise InvalidEntry(f"no profile field {sorted(unknown)[0]!r}", field=sorted(unknown)[0])
    for field in ("client_country", "firm_country"):
        if field in values:
            values[field] = (values[field] or "").strip().upper()
    with transaction.atomic():
        profile = EbillingProfile.objects.select_for_update().filter(client=client).first()
        profile = profile or EbillingProfile(client=client)
        merged = {name: getattr(profile, name) for name in _FIELDS} | values
        _check(merged)
        for name, value in values.items():
            setattr(profile, name, value)
        profile.save()
    return profile
