"""Starter guideline documents modelled on common corporate outside-counsel guidelines.

A firm receiving a new client's guidelines starts from the nearest template and edits the
figures, instead of writing 25 rules from nothing. They are YAML files shipped with the package
(``templates/*.yaml``), read by the same loader as any imported document.
"""

from __future__ import annotations

from importlib import resources

from lexbill.core.errors import NotFound
from lexbill.guidelines.document import GuidelineDocument
from lexbill.guidelines.yamltext import load_document

_FOLDER = "templates"


def template_names() -> list[str]:
    """Names of the shipped templates (the file names without ``.yaml``), sorted."""
    folder = resources.files("lexbill.guidelines").joinpath(_FOLDER)
    return sorted(
        entry.name.removesuffix(".yaml")
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml")
    )


def template_text(name: str) -> str:
    """The YAML text of a template, for a user to save and edit."""
    if name not in template_names():
        raise NotFound(
            f"no guideline template {name!r}; there are {', '.join(template_names())}",
            field="template",
        )
    folder = resources.files("lexbill.guidelines").joinpath(_FOLDER)
    return folder.joinpath(f"{name}.yaml").read_text(encoding="utf-8")


def load_template(name: str, *, client: str | None = None) -> GuidelineDocument:
    """A template as a document, optionally for a given client code."""
    document = load_document(template_text(name), source=f"template {name}")
    if client is None:
        return document
    from dataclasses import replace

    return replace(document, client=client)
