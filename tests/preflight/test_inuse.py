"""--in-use FILE parsing: one image reference a line, this registry's only, malformed lines named."""

from __future__ import annotations

import pytest

from acrdoctor.errors import InputError
from acrdoctor.preflight.inuse import ImageRef, InUse

SERVER = "contoso.azurecr.io"
D1 = "sha256:" + "a" * 64
D2 = "sha256:" + "b" * 64


def test_forms_of_this_registry() -> None:
    text = "\n".join([
        "contoso.azurecr.io/app:v1",
        f"contoso.azurecr.io/team/api@{D1}",
        f"contoso.azurecr.io/web:v3@{D2}",
        "contoso.azurecr.io/worker",
        "app:v2",
        "jobs/batch:2026.1",
    ])
    u = InUse.parse(text, SERVER)
    assert [(r.repository, r.tag, r.digest, r.line) for r in u.refs] == [
        ("app", "v1", None, 1),
        ("team/api", None, D1, 2),
        ("web", None, D2, 3),  # pinned: the digest is what is pulled, the tag does not matter
        ("worker", "latest", None, 4),  # no tag means latest
        ("app", "v2", None, 5),  # no registry host: a repository of this registry
        ("jobs/batch", "2026.1", None, 6),
    ]
    assert u.other_registries == 0
    assert len(u) == 6
    assert u.repositories == frozenset({"app", "team/api", "web", "worker", "jobs/batch"})


def test_comments_blank_lines_and_other_registries() -> None:
    text = f"""
# running in prod
contoso.azurecr.io/app:v1   # trailing comment

docker.io/library/nginx:1.27
mcr.microsoft.com/dotnet/aspnet:8.0
fabrikam.azurecr.io/app:v1
localhost:5000/app:v1
CONTOSO.AZURECR.IO/app@{D1}
contoso.azurecr.io:443/app:v9
"""
    u = InUse.parse(text, SERVER)
    assert [(r.repository, r.tag, r.digest) for r in u.refs] == [
        ("app", "v1", None), ("app", None, D1), ("app", "v9", None)]
    assert u.other_registries == 4


def test_kubectl_forms() -> None:
    # jsonpath='{..image}' prints references separated by spaces; imageID carries a runtime prefix.
    text = f"contoso.azurecr.io/app:v1 contoso.azurecr.io/api:v2\ndocker-pullable://contoso.azurecr.io/app@{D1}\n"
    u = InUse.parse(text, SERVER)
    assert [(r.repository, r.tag, r.digest, r.line) for r in u.refs] == [
        ("app", "v1", None, 1), ("api", "v2", None, 1), ("app", None, D1, 2)]


@pytest.mark.parametrize(("line", "bad"), [
    ("contoso.azurecr.io/App:v1", "App"),
    ("contoso.azurecr.io/app:", "app:"),
    ("contoso.azurecr.io/app@sha256:xyz", "xyz"),
    ("app:v1:v2", "v2"),
    ("contoso.azurecr.io/", "azurecr"),
])
def test_malformed_line_names_its_number(line: str, bad: str) -> None:
    with pytest.raises(InputError, match=r"line 3") as err:
        InUse.parse(f"app:v1\n\n{line}\n", SERVER)
    assert bad in str(err.value)


def test_blocks_by_digest_and_tag() -> None:
    u = InUse.parse(f"app:v1\ncontoso.azurecr.io/app@{D1}\ncontoso.azurecr.io/web:v3@{D2}\n", SERVER)
    assert isinstance(u.blocks("app", D1), ImageRef)
    assert u.blocks("app", D2) is None
    assert u.blocks("app", D2, ("v0", "v1")).text == "app:v1"
    assert u.blocks("other", D1, ("v1",)) is None
    assert u.blocks_tag("app", "v1").line == 1
    # A reference pinned by digest does not pull its tag: removing web:v3 breaks nothing.
    assert u.blocks_tag("web", "v3") is None
    assert u.blocks("web", D2) is not None
    assert u.tags("app").keys() == {"v1"}
    assert u.digests("app").keys() == {D1}


def test_empty() -> None:
    u = InUse.parse("\n# nothing\n", SERVER)
    assert u.refs == () and u.other_registries == 0 and u.blocks("app", D1) is None
