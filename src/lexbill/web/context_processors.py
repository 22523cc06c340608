"""What every page's layout needs: the firm's name for the header."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from lexbill.firm.models import Firm


def layout(request: HttpRequest) -> dict[str, Any]:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {"layout_firm": Firm.objects.order_by("pk").first()}
