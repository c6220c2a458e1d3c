"""A deterministic CI build log of any size, with ACR errors scattered through it, for ``bench/explain_bench.py``.

What support engineers paste is a whole pipeline log: mostly ordinary output (docker build steps, package
installs, test runs, pushes), a few ACR errors somewhere in it, and some lines no human wrote — a minified JSON
document, a base64 blob, progress bars that never print a newline. The generator mixes all of these, seeded, so
a size always gives the same file:

- ordinary lines (about 97 % of lines), with registry hosts, image references and ``az acr`` commands among
  them, so the name extractors have something to look at near every error;
- ACR errors (one line in about 400): each failure ``explain`` knows, in the formats seen in real reports,
  several spanning lines (a JSON body over several lines, an SDK status line and its body);
- long lines: minified JSON (8–64 KiB) and base64 blobs (16–128 KiB);
- pathological lines written to defeat regexes: a very long dotted name without spaces, repeated ``acr``
  words, an unclosed ``{`` that keeps a JSON body open, repeated ``Status: 200 (`` without its ``)``.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Callable, Iterator
from pathlib import Path

#: Bumped when the generated text changes, so cached logs are regenerated.
GENERATOR_VERSION = 1

_REPOS = ("web/app", "api/orders", "tools/ci-runner", "base/python", "legacy/mailhog", "team/api")
_PACKAGES = ("requests", "urllib3", "numpy", "pydantic", "rich", "click", "typer", "httpx", "anyio", "idna")


def _ts(r: random.Random, i: int) -> str:
    s = i // 7
    return f"2026/11/30 {(s // 3600) % 24:02d}:{(s // 60) % 60:02d}:{s % 60:02d}"


def _hex(r: random.Random, n: int) -> str:
    return "".join(r.choice("0123456789abcdef") for _ in range(n))


def _ordinary(r: random.Random, i: int) -> str:
    repo = r.choice(_REPOS)
    kind = r.randrange(12)
    if kind == 0:
        return f"#{r.randrange(30)} [build {r.randrange(1, 9)}/9] RUN pip install --no-cache-dir -r requirements.txt"
    if kind == 1:
        p = r.choice(_PACKAGES)
        return f"  Downloading {p}-{r.randrange(1, 4)}.{r.randrange(30)}.{r.randrange(9)}-py3-none-any.whl " \
               f"({r.randrange(20, 900)} kB)"
    if kind == 2:
        return f"{_ts(r, i)} Step {r.randrange(1, 14)}/14 : COPY . /src"
    if kind == 3:
        return f"{_hex(r, 12)}: Pushed"
    if kind == 4:
        return f"v{r.randrange(9)}.{r.randrange(99)}: digest: sha256:{_hex(r, 64)} size: {r.randrange(500, 9000)}"
    if kind == 5:
        return f"The push refers to repository [contosoreg.azurecr.io/{repo}]"
    if kind == 6:
        return f"tests/test_{r.choice(_PACKAGES)}.py::test_case_{r.randrange(999)} PASSED" \
               f"{' ' * r.randrange(4)}[{r.randrange(100):3d}%]"
    if kind == 7:
        return f"{_ts(r, i)} Successfully tagged contosoreg.azurecr.io/{repo}:{r.randrange(900)}"
    if kind == 8:
        return "+ az acr login --name contosoreg --expose-token --output tsv --query accessToken"
    if kind == 9:
        return f"npm WARN deprecated {r.choice(_PACKAGES)}@{r.randrange(9)}.0.0: this package is no longer supported"
    if kind == 10:
        return ""
    return f"{_ts(r, i)} [INFO] Building module {r.randrange(300)} of 300 ({r.randrange(100)}% done)"


def _errors(r: random.Random, i: int) -> str:
    """One ACR error in one of the formats real reports show (see tests/explain/bodies.py for the sources)."""
    repo, tag = r.choice(_REPOS), f"v{r.randrange(40)}"
    corr = f"{_hex(r, 8)}-{_hex(r, 4)}-{_hex(r, 4)}-{_hex(r, 4)}-{_hex(r, 12)}"
    kind = r.randrange(8)
    if kind == 0:
        return (f"+ az acr repository delete -n contosoreg --repository {repo} --yes\n"
                f"Error: repository name not known to registry. Correlation ID: {corr}")
    if kind == 1:
        return f"Skipped contosoreg.azurecr.io/{repo}:{tag}, operation not allowed, HTTP status: 405"
    if kind == 2:
        ip = f"52.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(1, 255)}"
        return (f'error response from daemon: Get "https://contosoreg.azurecr.io/v2/": denied: {{"errors":[{{"code":'
                f'"DENIED","message":"client with IP \\u0027{ip}\\u0027 is not allowed access. Refer '
                f'https://aka.ms/acr/firewall to grant access."}}]}}')
    if kind == 3:
        return ("Operation returned an invalid status 'Too Many Requests'\n"
                'Content: {"errors":[{"code":"TOOMANYREQUESTS","message":"too many requests"}]}')
    if kind == 4:
        return ("Error: failed to purge manifests: acr.BaseClient#GetManifest: Failure responding to request:\n"
                "StatusCode=401 -- Original Error: autorest/azure: Service returned an error.\n"
                'Details=[{"errors":[{"code":"UNAUTHORIZED",\n'
                f'"detail":[{{"Action":"pull","Name":"{repo}","Type":"repository"}}],\n'
                '"message":"authentication required, visit https://aka.ms/acr/authorization."}]}]')
    if kind == 5:
        return (f"$ docker pull contosoreg.azurecr.io/{repo}:{tag}\n{tag}: Pulling from {repo}\n"
                f"Error response from daemon: manifest for contosoreg.azurecr.io/{repo}:{tag} not found: manifest "
                f"unknown: manifest sha256:{_hex(r, 64)} is not found")
    if kind == 6:
        return '{"errors": [{"code": "TAG_UNKNOWN", "message": "the specified tag does not exist"}]}'
    return (f"{_ts(r, i)} An error occurred: CONNECTIVITY_DNS_ERROR\n"
            "Failed to reach DNS for registry 'contosoreg'. Please check if the spelling is correct.")


def _long(r: random.Random, i: int) -> str:
    if r.random() < 0.5:
        doc = {f"k{j}": {"id": _hex(r, 16), "tags": [f"t{k}" for k in range(r.randrange(8))]}
               for j in range(r.randrange(80, 640))}
        return "build metadata: " + json.dumps(doc, separators=(",", ":"))
    return "cache blob: " + base64.b64encode(r.randbytes(r.randrange(12_000, 96_000))).decode()


def _pathological(r: random.Random, i: int) -> str:
    kind = r.randrange(4)
    n = r.randrange(4_000, 40_000)
    if kind == 0:
        return "resolved " + ".".join(_hex(r, 1) for _ in range(n)) + " repository not foun"
    if kind == 1:
        return "acr " * n
    if kind == 2:
        return "progress {" + "=" * n
    return "Status: 200 (" * (n // 12)


_KINDS: tuple[tuple[float, Callable[[random.Random, int], str]], ...] = (
    (0.0025, _errors), (0.0004, _long), (0.0002, _pathological))


def lines(size: int, seed: int = 10, registry: str = "contosoreg") -> Iterator[str]:
    """Lines of a log of about ``size`` bytes (UTF-8, newlines included).

    ``registry`` stands for the registry's name everywhere; ``***`` is how CI systems print a masked secret, and
    gives a log that names no registry at all (explain then looks for one in every line).
    """
    r = random.Random(seed)
    written = i = 0
    while written < size:
        x = r.random()
        make = _ordinary
        for p, kind in _KINDS:
            if x < p:
                make = kind
                break
            x -= p
        line = make(r, i).replace("contosoreg", registry) + "\n"
        written += len(line.encode())
        i += 1
        yield line


def write(path: Path, size: int, seed: int = 10, registry: str = "contosoreg") -> Path:
    """Write the log for ``size`` (bytes) to ``path`` and return it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        fh.writelines(lines(size, seed, registry))
    return path
