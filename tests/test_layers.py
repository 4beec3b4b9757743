"""The layers stay honest: import-linter's contracts, plus what import-linter cannot say
about the parts of eventsourcing each layer may use (ADR 0001)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
OUR_PACKAGES = {"domain", "application", "adapters", "entrypoints"}


def imported_modules(package: str) -> dict[str, set[str]]:
    """Every absolute module each file of `package` imports, by file."""
    found: dict[str, set[str]] = {}
    for path in (SRC / package).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
        found[str(path.relative_to(SRC))] = names
    return found


def test_import_linter_contracts_are_kept() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_domain_imports_only_the_standard_library_and_eventsourcing_domain() -> None:
    allowed_outside = {"eventsourcing.domain"}
    offenders = {
        file: sorted(
            name
            for name in names
            if name.split(".")[0] not in sys.stdlib_module_names | {"domain"}
            and name not in allowed_outside
        )
        for file, names in imported_modules("domain").items()
    }
    assert {file: names for file, names in offenders.items() if names} == {}


def test_application_uses_no_database_driver_part_of_eventsourcing() -> None:
    forbidden = {"eventsourcing.sqlite", "eventsourcing.postgres", "eventsourcing.popo"}
    offenders = {
        file: sorted(names & forbidden) for file, names in imported_modules("application").items()
    }
    assert {file: names for file, names in offenders.items() if names} == {}
