"""The engine: catalogue validation, skip reasons, crash isolation, exit codes, purity of checks."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from acrdoctor.builder import SnapshotBuilder
from acrdoctor.check_api import (
    Check,
    CheckDefinitionError,
    Context,
    Finding,
    Resource,
    Severity,
    Status,
    validate_check,
)
from acrdoctor.engine import Catalogue, Report, builtin_checks, run_checks
from acrdoctor.errors import UnknownCheckError
from acrdoctor.model import Part


class _Loud(Check):
    slug = "test-loud"
    title = "Always finds something"
    severity = Severity.LOW
    cause = "Because the test says so."

    def run(self, ctx: Context) -> Iterator[Finding]:
        yield self.finding(Resource.registry(ctx.snapshot.registry.name), "found")


class _Crashes(Check):
    slug = "test-crashes"
    title = "Raises"
    severity = Severity.HIGH
    cause = "A bug."

    def run(self, ctx: Context) -> Iterator[Finding]:
        raise KeyError("boom")


class _NeedsPecs(Check):
    slug = "test-needs-pecs"
    title = "Needs private endpoint connections"
    severity = Severity.HIGH
    needs = frozenset({Part.PRIVATE_ENDPOINT_CONNECTIONS})
    cause = "n/a"

    def run(self, ctx: Context) -> Iterator[Finding]:
        return iter(())


def test_a_crashing_check_is_errored_and_the_run_goes_on() -> None:
    results = run_checks(SnapshotBuilder().build(), [_Crashes, _Loud])
    assert [r.status for r in results] == [Status.ERRORED, Status.FAILED]
    assert results[0].reason == "KeyError: 'boom'"
    assert results[0].trace and "KeyError" in results[0].trace


def test_missing_part_skips_with_the_part_and_the_recorded_error() -> None:
    b = SnapshotBuilder()
    b.error(Part.PRIVATE_ENDPOINT_CONNECTIONS, 403, "AuthorizationFailed", "no read on the registry")
    (r,) = run_checks(b.build(), [_NeedsPecs])
    assert r.status is Status.SKIPPED
    assert r.reason is not None
    assert "private endpoint connections" in r.reason
    assert "403 AuthorizationFailed no read on the registry" in r.reason


def test_collected_but_empty_part_is_not_skipped() -> None:
    b = SnapshotBuilder()
    b.no_private_endpoints()
    (r,) = run_checks(b.build(), [_NeedsPecs])
    assert r.status is Status.PASSED


@pytest.mark.parametrize(
    ("fail_on", "statuses", "expected"),
    [
        (Severity.MEDIUM, ("low",), 0),
        (Severity.LOW, ("low",), 1),
        (Severity.MEDIUM, ("low", "skip"), 3),
        (Severity.LOW, ("low", "skip"), 1),
        (Severity.MEDIUM, ("crash",), 3),
        (Severity.MEDIUM, (), 0),
    ],
)
def test_exit_codes(fail_on: Severity, statuses: tuple[str, ...], expected: int) -> None:
    checks: list[type[Check]] = []
    for s in statuses:
        checks.append({"low": _Loud, "skip": _NeedsPecs, "crash": _Crashes}[s])
    snap = SnapshotBuilder().build()
    report = Report(snap, run_checks(snap, checks))
    assert report.exit_code(fail_on) == expected


def test_catalogue_rejects_bad_metadata_and_duplicate_slugs() -> None:
    class BadSlug(_Loud):
        slug = "Bad_Slug"

    class Dup(_Loud):
        title = "Same slug again"

    cat = Catalogue([_Loud, BadSlug, Dup])
    assert cat.slugs() == ["test-loud"]
    assert any("Bad_Slug" in w for w in cat.warnings)
    assert any("is taken" in w for w in cat.warnings)


@pytest.mark.parametrize(
    ("attr", "value", "message"),
    [("docs", ("http://insecure",), "not an https URL"), ("title", "x" * 101, "longer than 100"),
     ("cause", "", "has no cause")],
)
def test_validate_check_rules(attr: str, value: object, message: str) -> None:
    cls = type("Custom", (_Loud,), {attr: value})
    with pytest.raises(CheckDefinitionError, match=message):
        validate_check(cls)


def test_unknown_slug_is_an_input_error_naming_it() -> None:
    with pytest.raises(UnknownCheckError, match="unknown check 'nope'"):
        Catalogue([_Loud]).select(["nope"])


def test_every_builtin_check_is_valid_and_documented() -> None:
    found = builtin_checks()
    assert found, "no built-in checks were discovered"
    slugs = [c.slug for c in found]
    assert len(slugs) == len(set(slugs))
    for c in found:
        validate_check(c)
        assert c.docs, f"{c.slug} has no docs link"
        assert c.needs, f"{c.slug} declares no data needs"
        assert c.failure_mode, f"{c.slug} has no failure_mode (the symptom users see)"


def test_checks_run_without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("a check tried to open a socket")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    from acrdoctor.demo import load_demo
    from acrdoctor.engine import diagnose

    report = diagnose(load_demo(), catalogue=Catalogue.load(plugins=False))
    assert not [r for r in report.results if r.status is Status.ERRORED]


def test_checks_do_not_import_the_azure_sdks() -> None:
    code = (
        "import sys\n"
        "from acrdoctor.demo import load_demo\n"
        "from acrdoctor.engine import diagnose, Catalogue\n"
        "diagnose(load_demo(), catalogue=Catalogue.load(plugins=False))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'azure'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
