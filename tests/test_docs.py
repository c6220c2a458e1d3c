"""The README and docs stay in step with the code: every check, command and exit code is documented."""

from __future__ import annotations

import re
from pathlib import Path

from acrdoctor.engine import Catalogue

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text("utf-8")


def test_readme_opens_with_the_two_commands() -> None:
    blocks = re.findall(r"```bash\n(.*?)\n```", README, flags=re.S)
    assert "acrdoctor diagnose --demo" in blocks[0]
    assert "pip install -e '.[test]'" in blocks[1] and "pytest" in blocks[1]
    assert README.index(blocks[1]) < README.index("---")


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert "pip install --quiet -e '.[test]'" in ci
    assert ".venv/bin/python -m pytest" in ci
    assert "ruff check ." in ci


def test_readme_catalogue_lists_every_builtin_check_with_its_severity() -> None:
    for check in Catalogue.load(plugins=False):
        row = f"| `{check.slug}` | {check.severity.value} | {check.failure_mode} |"
        assert row in README, f"README catalogue row out of date for {check.slug}"


def test_readme_documents_every_exit_code() -> None:
    for code in ("0", "1", "2", "3", "4", "5", "70"):
        assert re.search(rf"^\| {code} \| ", README, flags=re.M), f"exit code {code} missing from the README"


def test_every_package_is_in_the_wheel() -> None:
    """A sub-package missing from pyproject's list installs from a checkout but not from the wheel."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "acrdoctor").rglob("*.py")}
    assert found - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
    missing_init = {p for p in found if not (ROOT / p.replace(".", "/") / "__init__.py").exists()}
    assert missing_init == set(), "a package without __init__.py is a namespace package: add one"
