"""Every standard report, imported once so each registers itself; the order is the menu's."""

from lexbill.reports import (  # noqa: F401
    billed,
)
