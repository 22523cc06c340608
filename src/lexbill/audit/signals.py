"""Record every ORM create, change and delete of billing data, whatever the channel (admin too).

Set-based bulk work (a bill run) bypasses signals on purpose and records one event instead.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save

from lexbill.audit.recorder import record
from lexbill.audit.snapshot import snapshot

AUDITED_APPS = {
    "firm",
    "clients",
    "entries",
    "billing",
    "receivables",
    "ebilling",
    "compliance",
    "disputes",
    "plans",
    "reminders",
    "banking",
    "latecharges",
    "trust",
}
NOT_AUDITED = {"firm.User.last_login"}


def _label(instance: models.Model) -> str:
    return f"{instance._meta.app_label}.{type(instance).__name__}"


def _audited(sender: type[models.Model]) -> bool:
    return sender._meta.app_label in AUDITED_APPS


def _before_save(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if not _audited(sender) or kwargs.get("raw"):
        return
    previous = None
    if instance.pk is not None:
        previous = sender._default_manager.filter(pk=instance.pk).first()
    instance._audit_before = snapshot(previous) if previous is not None else None  # type: ignore[attr-defined]


def _after_save(
    sender: type[models.Model], instance: models.Model, created: bool, **kwargs: Any
) -> None:
    if not _audited(sender) or kwargs.get("raw"):
        return
    before = getattr(instance, "_audit_before", None)
    after = snapshot(instance)
    if not created and before is not None:
        changed = {k for k in after if before.get(k) != after.get(k)}
        if not changed or changed <= {"last_login"}:
            return
    record(
        "create" if created else "update", _label(instance), instance.pk, before=before, after=after
    )


def _after_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if _audited(sender):
        record("delete", _label(instance), instance.pk, before=snapshot(instance))


def connect() -> None:
    for model in apps.get_models():
        if model._meta.app_label in AUDITED_APPS:
            uid = f"audit-{model._meta.label}"
            pre_save.connect(_before_save, sender=model, dispatch_uid=uid + "-pre")
            post_save.connect(_after_save, sender=model, dispatch_uid=uid + "-post")
            post_delete.connect(_after_delete, sender=model, dispatch_uid=uid + "-del")
