"""``{% static_css "lexbill/statement.css" %}``: a static stylesheet's text, for the PDF templates.

WeasyPrint's PDFs carry their CSS inline (no web server to fetch it from), while the same rules on
screen come as a static file, because the content security policy forbids inline styles on pages.
One file, found the way ``collectstatic`` finds it, serves both.
"""

from __future__ import annotations

from pathlib import Path

from django import template
from django.contrib.staticfiles import finders
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def static_css(path: str) -> SafeString:
    found = finders.find(path)
    if not found or isinstance(found, list):
        raise template.TemplateSyntaxError(f"no static file {path!r}")
    return mark_safe(Path(found).read_text(encoding="utf-8"))
