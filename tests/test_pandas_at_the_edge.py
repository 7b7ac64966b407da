"""pandas lives at the reading and writing edge only: the importers and core's table reading and bulk writing.

A service that writes a list gets its frames from the importer and hands them to ``core.bulk``; anywhere
else a frame would be a second place where rows are shaped, with its own rules for text, money and NULL.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.project_apps import PROJECT_APPS

ROOT = Path(__file__).resolve().parents[1]
APPS = PROJECT_APPS
EDGE = {
    "core/tabular.py",
    "core/bulk.py",
    "core/uploads.py",
    "risk/importers.py",
    "risk/account_importers.py",
    "corebank/debit_files.py",
    "accounting/confirmations.py",
    "distribution/importers.py",
    "origination/importers.py",
    "postloan/dashboards/importers.py",
}


def imports_pandas(source: str) -> bool:
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import) and any(alias.name.split(".")[0] == "pandas" for alias in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "pandas":
            return True
    return False


def test_imports_pandas_sees_every_spelling():
    assert imports_pandas("import pandas as pd")
    assert imports_pandas("def f():\n    from pandas import DataFrame\n")
    assert imports_pandas("import numpy, pandas.api.types")
    assert not imports_pandas("import pandas_stubs_free_name\nfrom core.bulk import copy_frame")


def test_only_the_edge_imports_pandas():
    importers = {
        path.relative_to(ROOT).as_posix()
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and imports_pandas(path.read_text(encoding="utf-8"))
    }
    assert importers <= EDGE, sorted(importers - EDGE)
