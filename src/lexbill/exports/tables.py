"""Which tables hold a firm's data, read from Django's app registry rather than listed by hand.

Every concrete model of every ``lexbill`` app is a table of the archive, so a model added next
month is exported (and loaded) without touching this package. The order is foreign-key order
(a table after the tables it points at), which is the order the loader inserts in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import connection, models
from django.db.migrations.loader import MigrationLoader

from lexbill.exports.codec import Kind, type_name
from lexbill.fields import FixedDecimalField

# Columns left out of the archive on purpose: a password hash is a secret, not firm data, and it
# would let anyone holding the archive attack the passwords offline. Loaded users get an
# unusable password and set a new one.
OMITTED_COLUMNS: dict[str, frozenset[str]] = {"firm.User": frozenset({"password"})}

# Tables a fresh ``migrate`` fills with defaults (reminders: the default reminder schedule). They
# don't make a database "hold firm data", and loading an archive replaces their rows with the
# archive's. tests/app/test_exports.py fails when a migration seeds a table not named here.
SEEDED_BY_MIGRATIONS: frozenset[str] = frozenset({"reminders_reminderrule"})

_KINDS: dict[str, Kind] = {
    "AutoField": Kind.INTEGER,
    "BigAutoField": Kind.INTEGER,
    "SmallAutoField": Kind.INTEGER,
    "IntegerField": Kind.INTEGER,
    "BigIntegerField": Kind.INTEGER,
    "SmallIntegerField": Kind.INTEGER,
    "PositiveIntegerField": Kind.INTEGER,
    "PositiveBigIntegerField": Kind.INTEGER,
    "PositiveSmallIntegerField": Kind.INTEGER,
    "CharField": Kind.TEXT,
    "TextField": Kind.TEXT,
    "SlugField": Kind.TEXT,
    "EmailField": Kind.TEXT,
    "URLField": Kind.TEXT,
    "FilePathField": Kind.TEXT,
    "FileField": Kind.TEXT,
    "ImageField": Kind.TEXT,
    "GenericIPAddressField": Kind.TEXT,
    "IPAddressField": Kind.TEXT,
    "BooleanField": Kind.BOOLEAN,
    "NullBooleanField": Kind.BOOLEAN,
    "DateField": Kind.DATE,
    "DateTimeField": Kind.DATETIME,
    "TimeField": Kind.TIME,
    "DecimalField": Kind.DECIMAL,
    "FloatField": Kind.FLOAT,
    "JSONField": Kind.JSON,
    "UUIDField": Kind.UUID,
    "DurationField": Kind.DURATION,
    "BinaryField": Kind.BINARY,
}


class UnsupportedColumn(Exception):
    """A model field with no CSV convention yet: a programming error, caught by the test suite."""


@dataclass(frozen=True)
class Column:
    """One column of a table as the archive writes it."""

    name: str
    kind: Kind
    places: int
    nullable: bool
    field: models.Field[Any, Any]
    references: str | None  # the table a foreign key points at

    @property
    def type_name(self) -> str:
        return type_name(self.kind, self.places)

    @property
    def prepared_by_field(self) -> bool:
        """Whether the field must turn the Python value into the engine's parameter (dates on
        SQLite are text, JSON on PostgreSQL is an adapter); ints, text, booleans and scaled money
        go to the driver as they are."""
        return self.kind not in (Kind.INTEGER, Kind.TEXT, Kind.BOOLEAN, Kind.FIXED)


@dataclass(frozen=True)
class TableSpec:
    """A table of the archive: the model, its columns in order and what is left out."""

    model: type[models.Model]
    table: str
    label: str
    pk: str
    columns: tuple[Column, ...]
    omitted: tuple[str, ...]
    title: str

    @property
    def file_name(self) -> str:
        return f"{self.table}.csv"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _column(field: models.Field[Any, Any]) -> Column:
    target: models.Field[Any, Any] = field
    references = None
    if field.is_relation:
        assert field.related_model is not None and not isinstance(field.related_model, str)
        references = field.related_model._meta.db_table
        target = field.target_field  # type: ignore[attr-defined]
    if isinstance(target, FixedDecimalField):
        kind, places = Kind.FIXED, target.places
    else:
        internal = target.get_internal_type()
        if internal not in _KINDS:
            raise UnsupportedColumn(
                f"{field.model._meta.label}.{field.name}: no CSV convention for {internal}"
            )
        kind, places = _KINDS[internal], 0
    assert field.column is not None
    return Column(field.column, kind, places, bool(field.null), field, references)


def _is_lexbill(model: type[models.Model]) -> bool:
    return model._meta.app_config is not None and model._meta.app_config.name.startswith("lexbill.")


def _spec(model: type[models.Model]) -> TableSpec:
    meta = model._meta
    omitted = OMITTED_COLUMNS.get(meta.label, frozenset())
    columns = tuple(_column(f) for f in meta.concrete_fields if f.column not in omitted)
    assert meta.pk is not None and meta.pk.column is not None
    return TableSpec(
        model=model,
        table=meta.db_table,
        label=meta.label,
        pk=meta.pk.column,
        columns=columns,
        omitted=tuple(sorted(omitted)),
        title=str(meta.verbose_name_plural),
    )


def not_exported() -> list[dict[str, str]]:
    """Many-to-many tables of lexbill models that point outside lexbill (Django's groups and
    permissions on users): roles are the ``role`` column, and those rows name installation
    objects (permission ids) that mean nothing in another database."""
    left = []
    for model in apps.get_models(include_auto_created=True):
        if _is_lexbill(model) and model._meta.auto_created and not _inside(model):
            left.append(
                {
                    "table": model._meta.db_table,
                    "why": "Django groups and permissions; Lexbill roles are users.role",
                }
            )
    return sorted(left, key=lambda t: t["table"])


def _inside(model: type[models.Model]) -> bool:
    """An auto-created many-to-many table is firm data when both ends are lexbill models."""
    return all(
        f.related_model is not None
        and not isinstance(f.related_model, str)
        and _is_lexbill(f.related_model)
        for f in model._meta.concrete_fields
        if f.is_relation
    )


def exported_tables() -> list[TableSpec]:
    """Every table of the archive, in foreign-key order (ties and cycles broken by name)."""
    specs: dict[str, TableSpec] = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if not _is_lexbill(model) or not meta.managed or meta.proxy or meta.swapped:
            continue
        if meta.auto_created and not _inside(model):
            continue
        spec = _spec(model)
        specs[spec.table] = spec
    return _foreign_key_order(specs)


def _foreign_key_order(specs: dict[str, TableSpec]) -> list[TableSpec]:
    """Kahn's algorithm over "points at" edges. A cycle (bank account ↔ its default CSV mapping)
    has no first table; the loader's foreign keys are checked at commit, so any order of a cycle
    loads, and the one chosen is the alphabetical first of the stuck tables."""
    needs = {
        table: {
            c.references
            for c in spec.columns
            if c.references and c.references != table and c.references in specs
        }
        for table, spec in specs.items()
    }
    order: list[TableSpec] = []
    done: set[str] = set()
    while len(done) < len(specs):
        ready = sorted(t for t in specs if t not in done and needs[t] <= done)
        if not ready:
            ready = [min(t for t in specs if t not in done)]
        for table in ready:
            order.append(specs[table])
            done.add(table)
    return order


def migration_state() -> dict[str, str]:
    """The latest applied migration of each lexbill app: what an archive's schema is."""
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    applied = set(loader.applied_migrations)
    state: dict[str, str] = {}
    for config in apps.get_app_configs():
        if not config.name.startswith("lexbill."):
            continue
        names = [name for app, name in applied if app == config.label]
        leaves = [
            name for app, name in loader.graph.leaf_nodes(config.label) if app == config.label
        ]
        if not names:
            continue
        applied_leaves = [n for n in leaves if (config.label, n) in applied]
        state[config.label] = applied_leaves[0] if applied_leaves else max(names)
    return dict(sorted(state.items()))


def unapplied_migrations() -> list[str]:
    """Migrations this installation has that the database does not (``lexbill setup`` applies)."""
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    applied = set(loader.applied_migrations)
    return sorted(
        f"{app}.{name}"
        for app, name in loader.graph.leaf_nodes()
        if app in {c.label for c in apps.get_app_configs() if c.name.startswith("lexbill.")}
        and (app, name) not in applied
    )
