"""Trust pages (one module per part of the trust app; trust/urls.py joins their ``urls``)."""

from __future__ import annotations

from django.urls import URLPattern

urls: list[URLPattern] = []
