"""ACR Tasks quick runs on the fake: ``scheduleRun`` executes ``acr purge`` steps, the log blob tells what it did.

In-process tests drive the ARM and blob endpoints with plain HTTPS (the project's own management SDK no longer has
``schedule_run``; az's comes from azure-mgmt-containerregistrytasks). The last tests run the real
``az acr run --cmd "acr purge …" /dev/null`` (the ``azcli`` extra; skipped without it, required under
``ACRDOCTOR_REQUIRE_AZCLI=1``). Every expected deletion is recounted here from the fake's state with plain set
arithmetic over the registry content, never with the pre-flight code the run itself uses. Times are offsets from
the fake's own clock, so the tests hold whatever the date (``--clock-shift-days``).
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from acrdoctor.testing import OCI_MANIFEST, FakeCredential, FakeRegistry, runs_of, serve_fake_acr
from acrdoctor.testing._runs import LOG_ROOT, cmd_steps
from acrdoctor.testing._server import FakeAcrServer
from tests.testing.azcli import run_az, signed_in

DAY = 86_400.0
API = {"api-version": "2025-03-01-preview"}
REPO = "ml/batch-scorer"
WEB = "apps/web"


class Moment:
    """The fake's clock, moved by hand from wherever the process clock is."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def _registry() -> FakeRegistry:
    """Images pushed over 40 days; the clock is left at day 40. Layer names are unique, so digests are too."""
    st = FakeRegistry(name="contoso", resource_group="rg-contoso-prod")
    clock = Moment()
    st.clock = clock
    start = clock.now
    plan: list[tuple[float, str, list[str], dict[str, bool] | None]] = [
        (0, REPO, ["v1"], None), (5, REPO, [], None), (8, REPO, [], {"writeEnabled": False}),
        (10, REPO, ["v2"], None), (15, REPO, [], None), (36, REPO, [], None), (39, REPO, ["v3"], None),
        (2, "ml/other", [], None),
        (5, WEB, ["1.0"], None), (10, WEB, ["1.1"], None), (12, WEB, ["1.9"], None), (20, WEB, ["1.2"], None),
        (37, WEB, ["1.3"], None), (38, WEB, ["latest"], None), (10, WEB, ["dev-1"], None),
    ]
    for n, (day, repo, tags, attrs) in enumerate(plan):
        clock.now = start + day * DAY
        st.push_image(repo, tags, [(f"layer-{n}", 1000 + n)], attributes=attrs)
    clock.now = start + 3 * DAY  # an old untagged signature of v1: a referrer, which acr purge leaves to ACR
    v1 = st.repositories[REPO].tags["v1"].digest
    st.push_image(REPO, [], [("signature", 10)], media_type=OCI_MANIFEST, subject=v1)
    clock.now = start + 12 * DAY  # a tagged index whose two untagged children are old: they stay
    kids = [st.push_image(REPO, [], [(f"kid-{a}", 500)], architecture=a) for a in ("amd64", "arm64")]
    st.push_index(REPO, kids, ["multi"])
    st.set_attributes(WEB, tag="1.9", write_enabled=False)
    clock.now = start + 40 * DAY
    return st


def _age_cutoff(st: FakeRegistry, days: float) -> str:
    from acrdoctor.testing._state import now_iso

    return now_iso(st.clock() - days * DAY)


def _old_untagged(st: FakeRegistry, repo: str, days: float) -> set[str]:
    """Recount of ``--untagged-only --ago Nd``: untagged, older than the cutoff, unlocked, not a referrer, no tagged
    index over it."""
    r = st.repositories[repo]
    cutoff = _age_cutoff(st, days)
    children = {d["digest"] for m in r.manifests.values() if r.tags_of(m.digest) for d in m.references}
    return {m.digest for m in r.manifests.values()
            if not r.tags_of(m.digest) and m.updated < cutoff and m.digest not in children and m.subject is None
            and m.attributes.get("writeEnabled", True) and m.attributes.get("deleteEnabled", True)}


def _old_tags(st: FakeRegistry, repo: str, pattern: str, days: float, keep: int) -> set[str]:
    """Recount of the tag phase: matching, older than the cutoff, unlocked; the ``keep`` newest of those stay."""
    r = st.repositories[repo]
    cutoff = _age_cutoff(st, days)
    eligible = sorted((t for t in r.tags.values() if re.search(pattern, t.name) and t.updated < cutoff
                       and t.attributes.get("writeEnabled", True) and t.attributes.get("deleteEnabled", True)),
                      key=lambda t: t.updated, reverse=True)
    return {t.name for t in eligible[keep:]}


def _content(st: FakeRegistry) -> dict[str, tuple[set[str], set[str]]]:
    return {name: (set(r.manifests), set(r.tags)) for name, r in st.repositories.items()}


@pytest.fixture
def srv() -> Iterator[FakeAcrServer]:
    with serve_fake_acr(_registry()) as s:
        yield s


def _arm(srv: FakeAcrServer, method: str, tail: str, json_body: Any = None) -> requests.Response:
    st = srv.state
    token = FakeCredential("alice").get_token("https://management.azure.com/.default").token
    url = (f"{srv.arm_endpoint}/subscriptions/{st.subscription_id}/resourceGroups/{st.resource_group}"
           f"/providers/Microsoft.ContainerRegistry/registries/{st.name}/{tail}")
    return requests.request(method, url, params=API, json=json_body, headers={"Authorization": f"Bearer {token}"},
                            verify=srv.ca_pem, timeout=30)


def _run(srv: FakeAcrServer, cmd: str) -> tuple[dict[str, Any], list[str]]:
    """``az acr run --cmd CMD /dev/null`` as raw HTTPS: the request az builds, then the log read in 4 KiB ranges."""
    yaml = f"version: v1.1.0\nsteps: \n  - cmd: {cmd}\n    disableWorkingDirectoryOverride: true\n"
    body = {"type": "EncodedTaskRunRequest", "encodedTaskContent": base64.b64encode(yaml.encode()).decode(),
            "values": [], "platform": {"os": "linux", "architecture": "amd64"}, "isArchiveEnabled": False}
    r = _arm(srv, "POST", "scheduleRun", body)
    assert r.status_code == 200, r.text
    run = r.json()
    link = _arm(srv, "POST", f"runs/{run['name']}/listLogSasUrl").json()["logLink"]
    head = requests.head(link, verify=srv.ca_pem, timeout=10)
    size = int(head.headers["Content-Length"])
    assert head.headers["x-ms-meta-Complete"] == run["properties"]["status"]
    data = b""
    while len(data) < size:
        part = requests.get(link, headers={"x-ms-range": f"bytes={len(data)}-{len(data) + 4095}"},
                            verify=srv.ca_pem, timeout=10)
        assert part.status_code == 206 and part.headers["Content-Range"].endswith(f"/{size}")
        data += part.content
    return run, data.decode().split("\r\n")


def _count(lines: list[str], label: str) -> int:
    (n,) = [int(line.rsplit(": ", 1)[1]) for line in lines if line.startswith(label + ": ")]
    return n


def test_an_untagged_only_purge_deletes_exactly_the_recounted_manifests(srv: FakeAcrServer) -> None:
    st = srv.state
    expected = _old_untagged(st, REPO, 7)
    before = _content(st)
    run, lines = _run(srv, f"acr purge --filter '{REPO}:.*' --ago 7d --untagged-only")
    assert run["properties"]["status"] == "Succeeded" and len(expected) == 2  # day 5 and day 15; not the locked one
    assert set(st.repositories[REPO].manifests) == before[REPO][0] - expected
    assert {k: v for k, v in _content(st).items() if k != REPO} == {k: v for k, v in before.items() if k != REPO}
    assert _count(lines, "Number of deleted manifests") == len(expected)
    assert _count(lines, "Number of deleted tags") == 0
    assert f"Deleting manifests for repository: {REPO}" in lines
    assert {line.rsplit("@", 1)[1] for line in lines if line.startswith("Deleted ")} == expected
    got = _arm(srv, "GET", f"runs/{run['name']}").json()
    assert got["properties"]["status"] == "Succeeded" and got["properties"]["runId"] == run["name"]


def test_the_tag_phase_untags_what_the_filter_age_and_keep_leave_and_frees_no_manifest(srv: FakeAcrServer) -> None:
    st = srv.state
    expected = _old_tags(st, WEB, r"^1\..*", 7, keep=1)
    before = _content(st)
    run, lines = _run(srv, rf"acr purge --filter '{WEB}:^1\..*' --ago 7d --keep 1")
    assert run["properties"]["status"] == "Succeeded" and expected == {"1.0", "1.1"}
    assert set(st.repositories[WEB].tags) == before[WEB][1] - expected
    assert _count(lines, "Number of deleted tags") == len(expected)
    # untag is not delete: the manifests stay, now untagged
    assert set(st.repositories[WEB].manifests) == before[WEB][0]


def test_a_dry_run_deletes_nothing_and_counts_what_it_would(srv: FakeAcrServer) -> None:
    st = srv.state
    expected = _old_untagged(st, REPO, 7)
    before = _content(st)
    run, lines = _run(srv, f"acr purge --filter '{REPO}:.*' --ago 7d --untagged-only --dry-run")
    assert run["properties"]["status"] == "Succeeded" and _content(st) == before
    assert _count(lines, "Number of manifests to be deleted") == len(expected)
    assert {line.rsplit("@", 1)[1] for line in lines if line.startswith("Would delete: ")} == expected
    assert any(line.startswith("DRY RUN:") for line in lines)


def test_a_repository_lock_refuses_every_delete_and_the_run_says_so(srv: FakeAcrServer) -> None:
    st = srv.state
    candidates = _old_untagged(st, REPO, 7)
    st.set_attributes(REPO, write_enabled=False)
    before = _content(st)
    run, lines = _run(srv, f"acr purge --filter '{REPO}:.*' --ago 7d --untagged-only")
    assert run["properties"]["status"] == "Succeeded" and _content(st) == before
    refused = "operation not allowed, HTTP status: 405"
    skipped = {line.split("@", 1)[1].split(",")[0] for line in lines if refused in line}
    assert skipped == candidates and len(candidates) == 2 and _count(lines, "Number of deleted manifests") == 0


def test_include_locked_unlocks_the_locked_manifest_and_deletes_it_too(srv: FakeAcrServer) -> None:
    st = srv.state
    r = st.repositories[REPO]
    locked = {d for d, m in r.manifests.items() if not m.attributes.get("writeEnabled", True)}
    expected = _old_untagged(st, REPO, 7) | locked
    before = set(r.manifests)
    run, lines = _run(srv, f"acr purge --filter '{REPO}:.*' --ago 7d --untagged-only --include-locked")
    assert run["properties"]["status"] == "Succeeded" and len(locked) == 1
    assert set(r.manifests) == before - expected and _count(lines, "Number of deleted manifests") == len(expected)
    assert [line.rsplit("@", 1)[1] for line in lines if line.startswith("Unlocked ")] == sorted(locked)


@pytest.mark.parametrize("cmd", ["docker build -t x .", f"az acr repository delete --name contoso --repository {REPO}",
                                 "acr purge --filter 'ml/batch-scorer:(' --ago 7d", "acr purge --ago 7d"])
def test_a_step_that_is_not_a_valid_acr_purge_fails_the_run_and_deletes_nothing(srv: FakeAcrServer, cmd: str) -> None:
    st = srv.state
    before = _content(st)
    run, lines = _run(srv, cmd)
    assert run["properties"]["status"] == "Failed" and run["properties"]["runErrorMessage"]
    assert _content(st) == before
    assert [line for line in lines if line.startswith("Error: ")] == [f"Error: {run['properties']['runErrorMessage']}"]


def test_other_run_requests_are_a_clear_arm_400_and_unknown_runs_404(srv: FakeAcrServer) -> None:
    r = _arm(srv, "POST", "scheduleRun", {"type": "DockerBuildRequest", "dockerFilePath": "Dockerfile",
                                          "platform": {"os": "linux"}})
    assert r.status_code == 400 and "EncodedTaskRunRequest" in r.json()["error"]["message"]
    assert _arm(srv, "GET", "runs/cf99").json()["error"]["code"] == "ResourceNotFound"
    assert not runs_of(srv.state)


def test_the_log_blob_needs_its_sas_and_answers_as_blob_storage(srv: FakeAcrServer) -> None:
    run, _ = _run(srv, f"acr purge --filter '{REPO}:.*' --ago 7d --untagged-only --dry-run")
    link = _arm(srv, "POST", f"runs/{run['name']}/listLogSasUrl").json()["logLink"]
    assert link.startswith(f"{srv.arm_endpoint}{LOG_ROOT}/{run['name']}/")
    whole = requests.get(link, verify=srv.ca_pem, timeout=10)
    assert whole.status_code == 200 and whole.content == runs_of(srv.state)[run["name"]].log
    unsigned = requests.get(link.split("?")[0], verify=srv.ca_pem, timeout=10)
    assert unsigned.status_code == 403 and unsigned.headers["x-ms-error-code"] == "AuthenticationFailed"
    past = requests.get(link, headers={"x-ms-range": f"bytes={len(whole.content)}-"}, verify=srv.ca_pem, timeout=10)
    assert past.status_code == 416
    other = requests.get(link.replace(run["name"], "cf99"), verify=srv.ca_pem, timeout=10)
    assert other.status_code == 404 and other.headers["x-ms-error-code"] == "BlobNotFound"


def test_cmd_steps_reads_yaml_scalars_as_yaml_does() -> None:
    text = ("steps:\n  - cmd: acr purge --filter 'a:.*' --ago 1d # note\n  - cmd: 'acr purge --filter ''b:x'''\n"
            '  - cmd: "acr purge --untagged-only"\n')
    assert cmd_steps(text) == ["acr purge --filter 'a:.*' --ago 1d", "acr purge --filter 'b:x'",
                               "acr purge --untagged-only"]
    with pytest.raises(ValueError):
        cmd_steps("steps:\n  - cmd: |\n      acr purge --untagged-only\n")


# -- the real az ---------------------------------------------------------------------------------------------------


@pytest.fixture
def az_fake(tmp_path: Path) -> Iterator[tuple[FakeAcrServer, dict[str, str]]]:
    with signed_in(_registry(), tmp_path, "mi-runs") as pair:
        yield pair


def test_az_acr_run_purges_as_recounted_and_prints_the_log(az_fake: tuple[FakeAcrServer, dict[str, str]]) -> None:
    srv, env = az_fake
    st = srv.state
    expected = _old_untagged(st, REPO, 7)
    before = _content(st)
    r = run_az(env, "acr", "run", "--registry", st.name, "--resource-group", st.resource_group,
               "--cmd", f"acr purge --filter '{REPO}:.*' --ago 7d --untagged-only", "/dev/null")
    assert r.returncode == 0, r.stderr
    lines = [line.rstrip("\r") for line in r.stdout.splitlines()]
    assert set(st.repositories[REPO].manifests) == before[REPO][0] - expected and len(expected) == 2
    assert _count(lines, "Number of deleted manifests") == len(expected)
    assert {line.rsplit("@", 1)[1] for line in lines if line.startswith("Deleted ")} == expected
    (run,) = runs_of(st).values()
    assert f"Queued a run with ID: {run.run_id}" in r.stderr


def test_az_acr_run_exits_non_zero_when_the_run_fails(az_fake: tuple[FakeAcrServer, dict[str, str]]) -> None:
    srv, env = az_fake
    before = _content(srv.state)
    r = run_az(env, "acr", "run", "--registry", srv.state.name, "--cmd", "docker build -t x .", "/dev/null")
    assert r.returncode != 0 and "Run failed" in r.stderr
    assert "Error: the fake runs only acr purge steps" in r.stdout and _content(srv.state) == before
