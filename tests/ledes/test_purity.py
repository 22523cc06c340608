"""LEDES support is pure: no Django anywhere in it, so the CLI, web and tests share one core."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.test_pure_packages_do_not_import_django import _django_imports

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "lexbill" / "ledes"


def test_no_module_of_the_ledes_package_imports_django() -> None:
    modules = sorted(PACKAGE.glob("*.py"))
    assert len(modules) > 5
    offenders = [
        f"{path.name}:{line}"
        for path in modules
        for line in _django_imports(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert offenders == []


def test_importing_and_using_it_loads_no_django() -> None:
    script = (
        "import sys, lexbill.ledes as l;"
        "l.validate_ledes(b'LEDES1998B[]\\n');"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
