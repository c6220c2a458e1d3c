"""az acr delete-family commands mapped to what they would try to delete (wire notes §b, §d.2)."""

from __future__ import annotations

import pytest

from acrdoctor.builder import SnapshotBuilder
from acrdoctor.errors import InputError
from acrdoctor.model import Manifest, Snapshot
from acrdoctor.preflight.azmap import select_az
from acrdoctor.preflight.commands import parse_command
from acrdoctor.preflight.model import AzAction, AzRequest, ManifestRef, Selection, TagRef


@pytest.fixture
def snap_and_image() -> tuple[Snapshot, Manifest]:
    b = SnapshotBuilder()
    r = b.repository("app")
    m = r.image(["v1", "stable"], age_days=30)
    r.image(["v2"], age_days=10)
    b.repository("other").image(["v1"], age_days=5)
    return b.build(), m


def run(cmd: str, snapshot: Snapshot) -> Selection:
    req = parse_command(cmd)
    assert isinstance(req, AzRequest)
    return select_az(req, snapshot)


def test_repository_delete(snap_and_image: tuple[Snapshot, Manifest]) -> None:
    snap, _ = snap_and_image
    sel = run("az acr repository delete -n contoso --repository app --yes", snap)
    assert sel.delete_repositories == ("app",)
    assert (sel.untag, sel.delete_manifests, sel.warnings, sel.delete_registry) == ((), (), (), False)


def test_image_by_tag_deletes_the_manifest_and_names_the_tag(snap_and_image: tuple[Snapshot, Manifest]) -> None:
    snap, m = snap_and_image
    sel = run("az acr repository delete -n contoso --image app:v1 -y", snap)
    assert sel.delete_manifests == (ManifestRef("app", m.digest),)
    assert sel.named_tags == frozenset({TagRef("app", "v1")})
    assert sel.untag == ()


def test_image_by_digest(snap_and_image: tuple[Snapshot, Manifest]) -> None:
    snap, m = snap_and_image
    sel = run(f"az acr repository delete -n contoso --image app@{m.digest}", snap)
    assert sel.delete_manifests == (ManifestRef("app", m.digest),)
    assert sel.named_tags == frozenset()


def test_untag_only_untags(snap_and_image: tuple[Snapshot, Manifest]) -> None:
    snap, _ = snap_and_image
    sel = run("az acr repository untag -n contoso --image app:stable", snap)
    assert sel.untag == (TagRef("app", "stable"),) and sel.delete_manifests == ()
    assert sel.named_tags == frozenset({TagRef("app", "stable")})


def test_manifest_delete_like_image(snap_and_image: tuple[Snapshot, Manifest]) -> None:
    snap, m = snap_and_image
    by_tag = run("az acr manifest delete -r contoso -n app:stable --yes", snap)
    assert by_tag.delete_manifests == (ManifestRef("app", m.digest),)
    assert by_tag.named_tags == frozenset({TagRef("app", "stable")})
    by_digest = run(f"az acr manifest delete contoso.azurecr.io/app@{m.digest}", snap)
    assert by_digest.delete_manifests == (ManifestRef("app", m.digest),)


def test_registry_delete(snap_and_image: tuple[Snapshot, Manifest]) -> None:
    snap, _ = snap_and_image
    sel = run("az acr delete -n contoso --yes", snap)
    assert sel.delete_registry and sel.delete_manifests == () and sel.delete_repositories == ()


def test_default_registry_is_the_snapshots(snap_and_image: tuple[Snapshot, Manifest]) -> None:
    snap, _ = snap_and_image
    assert run("az acr delete --yes", snap).delete_registry


@pytest.mark.parametrize(("cmd", "code"), [
    ("az acr repository delete -n contoso --repository nope", "NAME_UNKNOWN"),
    ("az acr repository delete -n contoso --image app:nope", "TAG_UNKNOWN"),
    ("az acr repository delete -n contoso --image nope:v1", "NAME_UNKNOWN or TAG_UNKNOWN"),
    ("az acr repository delete -n contoso --image app@sha256:0000", "MANIFEST_UNKNOWN"),
    ("az acr repository delete -n contoso --image nope@sha256:0000", "NAME_UNKNOWN or MANIFEST_UNKNOWN"),
    ("az acr repository untag -n contoso --image app:nope", "TAG_UNKNOWN"),
    ("az acr repository untag -n contoso --image nope:v1", "TAG_UNKNOWN"),
    ("az acr manifest delete -r contoso -n app:nope", "TAG_UNKNOWN"),
    ("az acr manifest delete contoso.azurecr.io/app@sha256:0000", "MANIFEST_UNKNOWN"),
])
def test_unknown_names_warn_not_found(snap_and_image: tuple[Snapshot, Manifest], cmd: str, code: str) -> None:
    snap, _ = snap_and_image
    sel = run(cmd, snap)
    assert (sel.untag, sel.delete_manifests, sel.delete_repositories) == ((), (), ())
    (w,) = sel.warnings
    assert w.code == "not-found" and code in w.message


@pytest.mark.parametrize("cmd", [
    "az acr repository delete -n other --repository app",
    "az acr repository untag -n other --image app:v1",
    "az acr manifest delete other.azurecr.io/app:v1",
    "az acr delete -n other",
])
def test_other_registry_is_refused(snap_and_image: tuple[Snapshot, Manifest], cmd: str) -> None:
    snap, _ = snap_and_image
    with pytest.raises(InputError, match="'other'"):
        run(cmd, snap)


def test_registry_name_matches_case_insensitively_and_login_server(snap_and_image: tuple[Snapshot, Manifest]) -> None:
    snap, _ = snap_and_image
    assert run("az acr repository delete -n Contoso.azurecr.io --repository app", snap).delete_repositories == ("app",)


def test_listings_not_collected() -> None:
    b = SnapshotBuilder()
    b.repository("app", manifests=False, tags=False, counts=(1, 1)).image(["v1"])
    snap = b.build()
    sel = select_az(AzRequest(AzAction.DELETE_IMAGE, "contoso", repository="app", tag="v1"), snap)
    assert sel.delete_manifests == () and sel.warnings[0].code == "incomplete-snapshot"
    sel = select_az(AzRequest(AzAction.DELETE_IMAGE, "contoso", repository="app", digest="sha256:1"), snap)
    assert sel.warnings[0].code == "incomplete-snapshot"
    no_repos = SnapshotBuilder().build()
    assert select_az(AzRequest(AzAction.DELETE_REPOSITORY, "contoso", repository="x"), no_repos).delete_repositories \
        == ("x",)
