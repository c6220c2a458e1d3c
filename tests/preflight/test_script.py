"""preflight --script: a cleanup script evaluated in order, each delete on the registry the previous ones left.

Every number is recounted here by set arithmetic over the snapshot (which digests a query selects, which blobs stay
referenced), never read back from acrdoctor. ``scripts/docs_delete_by_timestamp.sh`` is the delete-by-timestamp
script of the ACR docs, verbatim ("Delete container images in Azure Container Registry", learn.microsoft.com,
section "Delete digests by timestamp"; MicrosoftDocs/azure-management-docs
articles/container-registry/container-registry-delete.md); the other scripts are written here in its style.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from acrdoctor.builder import SnapshotBuilder, locked
from acrdoctor.cli import cli
from acrdoctor.errors import InputError
from acrdoctor.model import Snapshot
from acrdoctor.preflight.report_script import script_exit_code, script_verdict
from acrdoctor.preflight.run import preflight
from acrdoctor.preflight.script import evaluate_script
from acrdoctor.snapshot_io import dump_snapshot

SCRIPTS = Path(__file__).parent / "scripts"
DOCS_SCRIPT = (SCRIPTS / "docs_delete_by_timestamp.sh").read_text("utf-8")
REG = "myregistry"
REPO = "myrepository"


def registry() -> Snapshot:
    """myrepository: seven manifests of different ages, a shared base, a pair sharing a layer, a signed one,
    a locked one; other/app elsewhere shares the base."""
    b = SnapshotBuilder(REG, sku="Premium")
    r = b.repository(REPO)
    ages = [500, 400, 300, 200, 100, 20, 5]
    for i, age in enumerate(ages):
        tags = [f"v{i}"] if i % 3 else []
        layers = [("base", 5_000), (f"app-{i}", 100 * (i + 1))]
        if i in (1, 2):
            layers.append(("pair", 777))  # only manifests 1 and 2 hold it
        m = r.image(tags, layers=layers, config=(f"cfg-{i}", 10 + i), age_days=age,
                    attributes=locked() if i == 3 else locked(write=True, delete=True))
        if i == 4:
            r.referrer(m, name="sig", size=55, age_days=age)
    b.repository("other/app").image(["1.0"], layers=[("base", 5_000), ("other", 123)], age_days=50)
    b.no_private_endpoints().no_replications()
    b.set_usage()
    return b.build()


def blob_digests(snapshot: Snapshot) -> set[str]:
    return {snapshot.blobs[i].digest for r in snapshot.repositories or () for m in r.manifests or ()
            for i in m.blob_indexes()}


def stored(snapshot: Snapshot) -> int:
    sizes = {b.digest: b.size for b in snapshot.blobs}
    return sum(sizes[d] for d in blob_digests(snapshot))


def manifests(snapshot: Snapshot, repo: str = REPO) -> dict[str, object]:
    return {m.digest: m for r in snapshot.repositories or () if r.name == repo for m in r.manifests or ()}


def older_than(snapshot: Snapshot, stamp: str, *, untagged_only: bool = False) -> set[str]:
    """What ``[?lastUpdateTime < 'stamp'].digest`` selects, by string comparison as JMESPath does."""
    repo = next(r for r in snapshot.repositories or () if r.name == REPO)
    tagged = {t.digest for t in repo.tags or ()}
    return {m.digest for m in repo.manifests or () if (m.updated or "") < stamp
            and not (untagged_only and m.digest in tagged)}


def referrers_of(snapshot: Snapshot, subjects: set[str]) -> set[str]:
    return {m.digest for m in manifests(snapshot).values() if getattr(m, "subject", None) in subjects}


def stamp_of(snapshot: Snapshot, index: int) -> str:
    """A TIMESTAMP that falls between manifest ``index`` and the next younger one (by lastUpdateTime)."""
    times = sorted(m.updated for m in manifests(snapshot).values() if m.subject is None)  # type: ignore[attr-defined]
    return times[index][:10]


# -- the docs' script ------------------------------------------------------------------------------------------


def test_the_docs_script_verbatim_deletes_nothing_while_enable_delete_is_false() -> None:
    snap = registry()
    report = evaluate_script(DOCS_SCRIPT, snap)
    assert [(s.line, s.end_line, s.status) for s in report.steps] == [(20, 22, "not-executed")]
    assert "ENABLE_DELETE=false on line 8" in (report.steps[0].reason or "")
    assert (report.deleted_manifests, report.deleted_tags, report.freed_bytes) == (0, 0, 0)
    assert report.after is snap
    assert script_verdict(report) == "safe"  # it deletes nothing, and says why


@pytest.mark.parametrize("how", ["override", "edited"])
def test_the_docs_script_with_enable_delete_true_deletes_what_the_jmespath_query_selects(how: str) -> None:
    snap = registry()
    reg = snap.registry.name
    stamp = "2026-06-01"  # between the 200- and 100-day-old manifests of the fixture (collected 2026-11-20)
    text = DOCS_SCRIPT.replace("REGISTRY=myregistry", f"REGISTRY={reg}")
    if how == "edited":
        text = text.replace("ENABLE_DELETE=false", "ENABLE_DELETE=true").replace("TIMESTAMP=2019-04-05",
                                                                                 f"TIMESTAMP={stamp}")
        overrides: dict[str, str] = {}
    else:
        overrides = {"ENABLE_DELETE": "true", "TIMESTAMP": stamp}
    report = evaluate_script(text, snap, overrides=overrides)
    [step] = report.steps
    assert step.status == "evaluated" and step.plan is not None
    selected = older_than(snap, stamp)
    locked_digest = next(m.digest for m in manifests(snap).values() if m.attributes.blocks_delete)  # type: ignore[attr-defined]
    assert locked_digest in selected  # the locked one is selected by the query, and refused by the registry
    assert step.commands == len(selected)  # xargs runs one az command per digest
    deleted = {m.digest for m in step.plan.delete_manifests}
    assert deleted == (selected - {locked_digest}) | referrers_of(snap, selected - {locked_digest})
    assert any(b.resource == f"{REPO}@{locked_digest}" for b in step.plan.blocked)
    # Totals on the final state, recounted by set arithmetic over blob digests.
    after = {d for d in manifests(snap) if d not in deleted}
    assert set(manifests(report.after)) == after
    assert report.deleted_manifests == len(deleted)
    assert report.freed_bytes == stored(snap) - stored(report.after)
    kept_blobs = blob_digests(report.after)
    sizes = {b.digest: b.size for b in snap.blobs}
    assert report.freed_bytes == sum(sizes[d] for d in blob_digests(snap) - kept_blobs)
    assert script_verdict(report) == "blocked" and script_exit_code(report) == 1


def test_the_older_docs_form_with_timestamp_and_repository_flags_is_reported_not_guessed() -> None:
    text = DOCS_SCRIPT.replace("--name $REPOSITORY --registry $REGISTRY", "--name $REGISTRY --repository $REPOSITORY")
    report = evaluate_script(text, registry(), overrides={"ENABLE_DELETE": "true"})
    [step] = report.steps
    assert step.status == "not-evaluated" and "no --repository flag" in (step.reason or "")
    assert script_verdict(report) == "incomplete" and script_exit_code(report) == 3


# -- order, totals ---------------------------------------------------------------------------------------------


def test_a_later_command_sees_what_the_earlier_ones_left() -> None:
    snap = registry()
    tagged = {t.name: t.digest for r in snap.repositories or () if r.name == REPO for t in r.tags or ()}
    script = f"""
REG={REG}
az acr repository untag --name $REG --image {REPO}:v1
az acr manifest list-metadata -r $REG -n {REPO} --query "[?tags == null && !subject].digest" -o tsv \\
  | xargs -I% az acr repository delete --name $REG --image {REPO}@% --yes
"""
    report = evaluate_script(script, snap)
    untag, delete = report.steps
    assert untag.plan is not None and [str(t) for t in untag.plan.delete_tags] == [f"{REPO}:v1"]
    assert delete.plan is not None
    untagged_before = {d for d in manifests(snap) if d not in tagged.values()}
    # The second statement's query ran on the state after the untag: v1's manifest is untagged by then.
    selected = untagged_before | {tagged["v1"]}
    locked_digest = next(m.digest for m in manifests(snap).values() if m.attributes.blocks_delete)  # type: ignore[attr-defined]
    assert delete.commands == len(selected)
    assert {m.digest for m in delete.plan.delete_manifests} - referrers_of(snap, selected) == selected - {locked_digest}
    assert report.freed_bytes == stored(snap) - stored(report.after)
    # The same query on the registry as collected would not have selected v1's manifest.
    alone = evaluate_script(script.replace(f"az acr repository untag --name $REG --image {REPO}:v1\n", ""), snap)
    assert tagged["v1"] not in {m.digest for m in alone.steps[0].plan.delete_manifests}  # type: ignore[union-attr]


def test_bytes_a_layer_frees_go_to_the_statement_that_deletes_its_last_holder() -> None:
    snap = registry()
    by_tag = {t.name: t.digest for r in snap.repositories or () if r.name == REPO for t in r.tags or ()}
    pair = [d for d, m in manifests(snap).items() if len(m.layers or ()) == 3]  # type: ignore[attr-defined]
    assert len(pair) == 2
    script = "\n".join(f"az acr repository delete --name {REG} --image {REPO}@{d} --yes" for d in pair)
    report = evaluate_script(script, snap)
    first, second = (s.plan for s in report.steps)
    assert first is not None and second is not None
    sizes = {b.digest: b.size for b in snap.blobs}
    own = [{snap.blobs[i].digest for i in manifests(snap)[d].blob_indexes()} for d in pair]  # type: ignore[attr-defined]
    shared = own[0] & own[1]
    others = {snap.blobs[i].digest for r in snap.repositories or () for m in r.manifests or ()
              if m.digest not in pair for i in m.blob_indexes()}
    only = [o - others for o in own]
    assert shared - others  # the "pair" layer: held by these two manifests only
    assert first.reclaimable_bytes == sum(sizes[d] for d in only[0] - shared)
    assert second.reclaimable_bytes == sum(sizes[d] for d in only[1])  # includes the "pair" layer
    total = stored(snap) - stored(report.after)
    assert report.freed_bytes == first.reclaimable_bytes + second.reclaimable_bytes == total
    assert by_tag  # the fixture has tags at all


def test_a_one_command_script_plans_exactly_what_preflight_plans() -> None:
    snap = registry()
    command = f"acr purge --filter '{REPO}:.*' --ago 150d --untagged"
    report = evaluate_script(command + "\n", snap)
    single = preflight(command, snap)
    assert report.steps[0].plan == single


def test_for_loops_over_a_literal_list_and_variables() -> None:
    snap = registry()
    script = f"""REGISTRY={REG}
REPOS="other/app {REPO}"
for r in $REPOS; do
  az acr repository delete --name "$REGISTRY" --repository "$r" --yes
done
"""
    report = evaluate_script(script, snap)
    assert [(s.context, s.status) for s in report.steps] == [("r=other/app", "evaluated"), (f"r={REPO}", "evaluated")]
    # The locked manifest refuses the repository delete (405), so myrepository stays; other/app goes.
    assert [r.name for r in report.after.repositories or ()] == [REPO]
    assert report.freed_bytes == stored(snap) - stored(report.after)


def test_show_tags_pipeline_with_orderby_head_and_untag() -> None:
    snap = registry()
    repo = next(r for r in snap.repositories or () if r.name == REPO)
    oldest = [t.name for t in sorted(repo.tags or (), key=lambda t: t.updated or "")][:2]
    script = (f"az acr repository show-tags --name {REG} --repository {REPO} --orderby time_asc --detail "
              f"--query \"[].name\" -o tsv | head -n 2 | xargs -I{{}} az acr repository untag --name {REG} "
              f"--image {REPO}:{{}}\n")
    [step] = evaluate_script(script, snap).steps
    assert step.plan is not None and sorted(t.tag for t in step.plan.delete_tags) == sorted(oldest)
    assert step.plan.reclaimable_bytes == 0 and step.plan.delete_manifests == ()


# -- guards and unknown constructs -----------------------------------------------------------------------------


def test_guards_and_exit() -> None:
    snap = registry()
    script = f"""ENABLE_DELETE=false
DRY=yes
[ "$DRY" == "yes" ] && echo dry run
[ "$ENABLE_DELETE" = true ] && az acr repository delete --name {REG} --repository other/app --yes
if $ENABLE_DELETE; then
  az acr repository delete --name {REG} --repository other/app --yes
elif [ -n "$DRY" ]; then
  echo "would delete"
fi
exit 0
az acr repository delete --name {REG} --repository {REPO} --yes
"""
    report = evaluate_script(script, snap)
    assert [(s.line, s.status) for s in report.steps] == [(4, "not-executed"), (6, "not-executed"),
                                                          (11, "not-executed")]
    assert "exits on line 10" in (report.steps[-1].reason or "")
    assert report.after is snap and script_verdict(report) == "safe"


def test_unknown_constructs_are_reported_per_line_and_the_verdict_is_not_a_pass() -> None:
    snap = registry()
    script = f"""REG={REG}
CUTOFF=$(date -d '30 days ago' +%Y-%m-%d)
az acr repository delete --name $REG --image {REPO}:v1 --yes
az acr manifest list-metadata -r $REG -n {REPO} --query "[?lastUpdateTime < '$CUTOFF'].digest" -o tsv \\
  | xargs -I% az acr repository delete --name $REG --image {REPO}@% --yes
while read -r d; do
  az acr repository delete --name $REG --image {REPO}@$d --yes
done < digests.txt
docker rmi {REG}.azurecr.io/{REPO}:v2
az acr repository delete --name $UNSET --repository other/app --yes
az acr repository show --name $REG --repository other/app || az acr repository delete --name $REG \
  --repository other/app --yes
source ./more-cleanup.sh
az acr import --name $REG --source docker.io/library/nginx:latest --image nginx:latest
for r in $(az acr repository list -n $REG -o tsv); do az acr repository delete --name $REG --repository $r --yes; done
GONE=$(az acr repository delete --name $REG --repository other/app --yes)
"""
    report = evaluate_script(script, snap)
    by_line = {s.line: s for s in report.steps}
    assert by_line[3].status == "evaluated"
    expected = {4: "command substitution $(date", 6: "while loop", 9: "unknown command 'docker'",
                10: "$UNSET is not set by the script", 11: "runs only if", 12: "runs another file",
                13: "does not model", 14: "iterates over a list that cannot be evaluated",
                15: "command substitution that can delete"}
    for line, fragment in expected.items():
        assert by_line[line].status in ("not-evaluated", "not-executed"), line
        assert fragment in (by_line[line].reason or ""), (line, by_line[line].reason)
    assert by_line[11].status == "not-executed"  # the show succeeds, so the || branch does not run
    assert len(report.not_evaluated) == 8
    assert script_verdict(report) == "incomplete" and script_exit_code(report) == 3


def test_set_overrides_win_over_the_script() -> None:
    snap = registry()
    script = f"TARGET=other/app\naz acr repository delete --name {REG} --repository $TARGET --yes\n"
    report = evaluate_script(script, snap, overrides={"TARGET": "missing/repo"})
    [step] = report.steps
    assert step.plan is not None and step.plan.deleted_repositories == ()
    assert [w.code for w in step.plan.warnings] == ["not-found"]


@pytest.mark.parametrize("text, fragment", [
    ("echo 'unterminated\n", "line 1: unterminated single quote"),
    ('az acr repository delete --name "x\n', "line 1: unterminated double quote"),
    ("if [ 1 = 1 ]; then\n  echo hi\n", "never closed"),
    ("for x in a b\n  echo $x\ndone\n", "expected 'do'"),
    ("echo hi | \n", "missing at the end"),
    ("fi\n", "unexpected 'fi'"),
])
def test_scripts_bash_would_refuse_are_input_errors_with_the_line(text: str, fragment: str) -> None:
    with pytest.raises(InputError, match="cannot parse the script") as err:
        evaluate_script(text, registry())
    assert fragment in str(err.value)


# -- the CLI ---------------------------------------------------------------------------------------------------


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["preflight", *args])


@pytest.fixture
def snapshot_file(tmp_path: Path) -> Path:
    path = tmp_path / "snap.json"
    dump_snapshot(registry(), path)
    return path


def one_line_error(result: Result, fragment: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("acrdoctor: error: ") and fragment in lines[0], result.stderr


def test_cli_bad_input_is_one_line_and_exit_2(snapshot_file: Path, tmp_path: Path) -> None:
    one_line_error(run("--snapshot", str(snapshot_file), "--script", str(tmp_path / "missing.sh")), "missing.sh")
    binary = tmp_path / "binary.sh"
    binary.write_bytes(b"\x00\x01\x02\xff\xfe" * 20)
    one_line_error(run("--snapshot", str(snapshot_file), "--script", str(binary)), "binary.sh")
    broken = tmp_path / "broken.sh"
    broken.write_text("if true; then\n  echo 'oops\nfi\n")
    one_line_error(run("--snapshot", str(snapshot_file), "--script", str(broken)), "line 2: unterminated single quote")
    ok = tmp_path / "ok.sh"
    ok.write_text("echo hi\n")
    one_line_error(run("--snapshot", str(snapshot_file), "--script", str(ok), "--", "acr", "purge"), "say what")
    one_line_error(run("--snapshot", str(snapshot_file), "--script", str(ok), "--set", "1X=2"), "NAME=VALUE")
    one_line_error(run("--snapshot", str(snapshot_file), "--script", str(ok), "-o", "markdown"), "one command")


def test_cli_json_contract_and_exit_codes(snapshot_file: Path, tmp_path: Path) -> None:
    script = tmp_path / "cleanup.sh"
    script.write_text(DOCS_SCRIPT)
    result = run("--snapshot", str(snapshot_file), "--script", str(script), "-o", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["kind"] == "preflight-script" and doc["verdict"] == "safe"
    assert [s["status"] for s in doc["steps"]] == ["not-executed"]
    result = run("--snapshot", str(snapshot_file), "--script", str(script), "-o", "json", "--set", "ENABLE_DELETE=true",
                 "--set", "TIMESTAMP=2026-06-01")
    assert result.exit_code == 1, result.output  # the locked manifest blocks
    doc = json.loads(result.stdout)
    snap = registry()
    [step] = doc["steps"]
    assert step["commands"] == len(older_than(snap, "2026-06-01"))
    assert doc["total"]["freed_bytes"] == doc["total"]["stored_bytes_before"] - doc["total"]["stored_bytes_after"]
    assert doc["total"]["stored_bytes_before"] == stored(snap)
    assert doc["overrides"] == {"ENABLE_DELETE": "true", "TIMESTAMP": "2026-06-01"}
    table = run("--snapshot", str(snapshot_file), "--script", str(script), "--set", "ENABLE_DELETE=true")
    assert table.exit_code == 0 and "lines 20-22" in table.stdout  # 2019-04-05: the query selects nothing
    assert "the listing selects nothing, so xargs runs no command" in table.stdout
    table = run("--snapshot", str(snapshot_file), "--script", str(script), "--set", "ENABLE_DELETE=true",
                "--set", "TIMESTAMP=2026-06-01")
    assert table.exit_code == 1 and "commands: deletes" in table.stdout


def test_the_demo_cleanup_script() -> None:
    from acrdoctor.demo import load_demo

    path = Path(__file__).resolve().parents[2] / "docs" / "examples" / "contoso-cleanup.sh"
    demo = load_demo()
    report = evaluate_script(path.read_text("utf-8"), demo, overrides={"ENABLE_DELETE": "true"})
    statuses = [(s.line, s.status) for s in report.steps]
    assert statuses[0] == (14, "evaluated") and statuses[-1] == (34, "not-evaluated")
    assert report.freed_bytes == stored(demo) - stored(report.after)
    assert script_verdict(report) == "blocked"


def test_a_lock_change_is_seen_by_the_statements_after_it() -> None:
    snap = registry()
    locked_digest = next(d for d, m in manifests(snap).items() if m.attributes.blocks_delete)  # type: ignore[attr-defined]
    delete = f"az acr repository delete --name {REG} --image {REPO}@{locked_digest} --yes\n"
    [refused] = evaluate_script(delete, snap).steps
    assert refused.plan is not None and refused.plan.delete_manifests == ()
    unlock = (f"az acr repository update --name {REG} --image {REPO}@{locked_digest} --delete-enabled true "
              "--write-enabled true\n")
    report = evaluate_script(unlock + delete, snap)
    change, done = report.steps
    assert change.status == "state-change" and "deleteEnabled=true, writeEnabled=true" in (change.reason or "")
    assert done.plan is not None and [m.digest for m in done.plan.delete_manifests][:1] == [locked_digest]
    assert not done.plan.blocked and locked_digest not in manifests(report.after)
    relock = f"az acr manifest update-metadata -r {REG} -n other/app:1.0 --delete-enabled false\n"
    again = evaluate_script(relock + f"az acr repository delete --name {REG} --repository other/app --yes\n", snap)
    assert again.steps[0].status == "state-change"
    assert again.steps[1].plan is not None and again.steps[1].plan.deleted_repositories == ()


def test_quoting_and_escapes_expand_as_bash_expands_them() -> None:
    script = ('X="a\\nb \\$HOME \\"q\\" \\`false\\`"\n'
              "Y='$X literal'\n"
              'az acr repository delete --name myregistry --repository "$X" --yes\n'
              'az acr repository delete --name myregistry --repository "$Y"${EMPTY:-} --yes\n')
    first, second = evaluate_script(script, registry()).steps
    # bash -c 'X="a\nb \$HOME \"q\" \`false\`"; printf %s "$X"' prints: a\nb $HOME "q" `false`
    assert first.plan is not None and "'a\\\\nb $HOME \"q\" `false`'" in first.plan.warnings[0].message
    assert second.plan is not None and "'$X literal'" in second.plan.warnings[0].message
