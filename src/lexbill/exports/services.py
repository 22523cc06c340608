"""Taking a firm's data out and loading it back: the role check and the audit trail around it.

The page and the command line call these, never the writers directly. Exporting changes no
billing data, but who took a copy of everything is worth knowing, so each export leaves one audit
event — written after the archive's snapshot, so an archive never contains its own export.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from django.db import transaction

from lexbill.audit.recorder import record_event
from lexbill.exports.archive import ExportProgress, Manifest, write_archive
from lexbill.exports.errors import ArchiveRefused
from lexbill.exports.loader import LoadSummary, load_archive
from lexbill.exports.tables import unapplied_migrations
from lexbill.exports.workbook import SheetInfo, write_workbook
from lexbill.firm.permissions import Action, require


def _up_to_date() -> None:
    pending = unapplied_migrations()
    if pending:
        raise ArchiveRefused(
            f"the database is not up to date ({len(pending)} migrations not applied, e.g. "
            f"{pending[0]}); run `lexbill setup` first, then export"
        )


def export_firm_archive(
    actor: Any, target: str | Path | IO[bytes], *, progress: ExportProgress | None = None
) -> Manifest:
    """Every table of the firm as CSV files in one zip with a manifest (docs/exports)."""
    require(actor, Action.EXPORT_FIRM_DATA)
    _up_to_date()
    manifest = write_archive(str(target) if isinstance(target, Path) else target, progress=progress)
    with transaction.atomic():
        record_event(
            "exports.Archive",
            "",
            f"firm data exported as an archive: {len(manifest.files)} tables, {manifest.rows} rows",
            format="zip",
            generated_at=manifest.generated_at,
            tables=len(manifest.files),
            rows=manifest.rows,
        )
    return manifest


def export_firm_workbook(
    actor: Any, target: str | Path | IO[bytes], *, progress: ExportProgress | None = None
) -> list[SheetInfo]:
    """Every table of the firm as one Excel workbook, a sheet (or more) per table."""
    require(actor, Action.EXPORT_FIRM_DATA)
    _up_to_date()
    sheets = write_workbook(str(target) if isinstance(target, Path) else target, progress=progress)
    rows = sum(s.rows for s in sheets)
    with transaction.atomic():
        record_event(
            "exports.Archive",
            "",
            f"firm data exported as an Excel workbook: {len(sheets)} sheets, {rows} rows",
            format="xlsx",
            sheets=len(sheets),
            rows=rows,
        )
    return sheets


def load_firm_archive(
    actor: Any,
    source: str | Path | IO[bytes],
    *,
    progress: ExportProgress | None = None,
    passwords: dict[str, str] | None = None,
) -> LoadSummary:
    """Load an archive into this empty database, all or nothing (``loader`` says what is
    checked). Run by the system operator: an empty database has no users to act as."""
    require(actor, Action.EXPORT_FIRM_DATA)
    return load_archive(source, progress=progress, passwords=passwords)
