"""The pure packages must stay importable and testable without Django or a database."""

import ast
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[1] / "src" / "lexbill"
PURE_PACKAGES = ("core", "formats", "guidelines", "ledes")


def _is_django(module: str | None) -> bool:
    return module is not None and (module == "django" or module.startswith("django."))


def _modules_imported_by(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        return [node.module] if node.level == 0 and node.module else []
    if isinstance(node, ast.Call) and node.args:
        called = node.func.id if isinstance(node.func, ast.Name) else None
        if isinstance(node.func, ast.Attribute):
            called = node.func.attr
        first = node.args[0]
        if called in {"import_module", "__import__"} and isinstance(first, ast.Constant):
            return [first.value] if isinstance(first.value, str) else []
    return []


def _django_imports(tree: ast.AST) -> list[int]:
    return sorted(
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.stmt | ast.expr)
        and any(_is_django(module) for module in _modules_imported_by(node))
    )


def test_pure_packages_do_not_import_django() -> None:
    assert (PACKAGE_ROOT / "core").is_dir(), "lexbill.core must exist"
    examined = 0
    offenders = []
    for package in PURE_PACKAGES:
        for path in sorted((PACKAGE_ROOT / package).rglob("*.py")):
            examined += 1
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            offenders += [
                f"{path.relative_to(PACKAGE_ROOT)}:{line}" for line in _django_imports(tree)
            ]
    assert examined > 0, "no pure modules were examined"
    assert offenders == [], f"pure packages import django: {offenders}"


def test_the_check_recognises_every_way_of_importing_django() -> None:
    sample = ast.parse(
        "import django\n"
        "import os, django.db\n"
        "from django.conf import settings\n"
        "importlib.import_module('django.db')\n"
        "import djangoish\n"
        "from . import django\n"
    )
    assert _django_imports(sample) == [1, 2, 3, 4]
