"""Third-party checks plug in through the ``acrdoctor.checks`` entry-point group, end to end.

The fixture plug-in (``tests/plugin_fixture``) is "installed" into a temporary directory the way an
installer would lay it out: the package plus a ``*.dist-info`` whose ``entry_points.txt`` comes from
the fixture's own ``pyproject.toml``. (The venv has no ``wheel``, so a real ``pip install`` of a
setuptools project cannot build here; the metadata file is what entry-point discovery reads either
way.) acrdoctor then runs in a fresh interpreter with that directory on ``PYTHONPATH``, so discovery
goes through ``importlib.metadata`` exactly as it would for a pip-installed plug-in.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from acrdoctor.builder import SnapshotBuilder
from acrdoctor.snapshot_io import dump_snapshot

FIXTURE = Path(__file__).parent / "plugin_fixture"
PLUGIN_SLUG = "fixture-scratch-repository"


def install_fixture(target: Path) -> None:
    """Lay the fixture out as an installed distribution: package directory plus dist-info."""
    meta = tomllib.loads((FIXTURE / "pyproject.toml").read_text("utf-8"))["project"]
    name, version = meta["name"], meta["version"]
    shutil.copytree(FIXTURE / "acrdoctor_plugin_fixture", target / "acrdoctor_plugin_fixture",
                    ignore=shutil.ignore_patterns("__pycache__"))
    dist_info = target / f"{name.replace('-', '_')}-{version}.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", "utf-8")
    lines = []
    for group, eps in meta["entry-points"].items():
        lines.append(f"[{group}]")
        lines.extend(f"{ep} = {value}" for ep, value in eps.items())
    (dist_info / "entry_points.txt").write_text("\n".join(lines) + "\n", "utf-8")
    (dist_info / "RECORD").write_text("", "utf-8")


@pytest.fixture(scope="module")
def plugin_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    target = tmp_path_factory.mktemp("site")
    install_fixture(target)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(target), env.get("PYTHONPATH")) if p)
    env.pop("ACRDOCTOR_DEBUG", None)
    return env


@pytest.fixture(scope="module")
def snapshot_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    b = SnapshotBuilder()
    b.repository("scratch/try-1").image(tags=["v1"])
    b.repository("app").image(tags=["v1"])
    path = tmp_path_factory.mktemp("snap") / "snapshot.json"
    dump_snapshot(b.build(), path)
    return path


def acrdoctor(env: dict[str, str], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "acrdoctor", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=60, check=False)


def by_slug(items: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {item[key]: item for item in items}


def test_plugin_check_is_listed_and_conflicts_and_broken_imports_are_reported(
        plugin_env: dict[str, str], tmp_path: Path) -> None:
    proc = acrdoctor(plugin_env, "checks", "list", "-o", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    listed = by_slug(json.loads(proc.stdout), "slug")
    assert listed[PLUGIN_SLUG]["module"] == "acrdoctor_plugin_fixture.scratch"
    assert listed[PLUGIN_SLUG]["severity"] == "low"
    # The built-in keeps its slug; the impostor is dropped with a warning naming it.
    assert listed["empty-repository"]["module"] == "acrdoctor.checks.empty_repository"
    assert "Impostor" not in proc.stdout
    warnings = proc.stderr.splitlines()
    assert any("EmptyRepositoryImpostor" in w and "'empty-repository' is taken" in w for w in warnings)
    assert any("'broken'" in w and "failed to load" in w and "needs a module" in w for w in warnings)
    assert all(w.startswith("acrdoctor: warning: ") for w in warnings)
    assert "Traceback" not in proc.stderr


def test_plugin_check_runs_in_diagnose_next_to_builtins(plugin_env: dict[str, str], snapshot_file: Path,
                                                        tmp_path: Path) -> None:
    proc = acrdoctor(plugin_env, "diagnose", "--snapshot", str(snapshot_file), "-o", "json",
                     "--check", PLUGIN_SLUG, "--check", "empty-repository", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr  # one low finding is below the default --fail-on medium
    report = json.loads(proc.stdout)
    results = by_slug(report["results"], "check")
    assert results["empty-repository"]["status"] == "passed"
    plugin = results[PLUGIN_SLUG]
    assert plugin["status"] == "failed"
    (finding,) = plugin["findings"]
    assert finding["resource"] == "scratch/try-1"
    assert finding["fix"]["commands"] == ["az acr repository delete --repository scratch/try-1"]
    assert "IMPOSTOR" not in proc.stdout
    assert any("failed to load" in w for w in report["warnings"])
    assert any("is taken" in w for w in report["warnings"])

    strict = acrdoctor(plugin_env, "diagnose", "--snapshot", str(snapshot_file), "-o", "json",
                       "--check", PLUGIN_SLUG, "--fail-on", "low", cwd=tmp_path)
    assert strict.returncode == 1, strict.stderr


def test_no_plugins_hides_plugin_checks_and_their_warnings(plugin_env: dict[str, str], snapshot_file: Path,
                                                           tmp_path: Path) -> None:
    proc = acrdoctor(plugin_env, "checks", "list", "-o", "json", "--no-plugins", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    listed = by_slug(json.loads(proc.stdout), "slug")
    assert PLUGIN_SLUG not in listed
    assert "empty-repository" in listed
    assert proc.stderr == ""

    proc = acrdoctor(plugin_env, "diagnose", "--snapshot", str(snapshot_file), "--no-plugins",
                     "--check", PLUGIN_SLUG, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("acrdoctor: error: unknown check 'fixture-scratch-repository'")
    assert len(proc.stderr.splitlines()) == 1
