"""Manifest summaries cached on disk by digest, so a second scan fetches only manifests it has not seen.

Why it is safe: a manifest is content-addressed. The bytes behind ``sha256:…`` never change, so what we
derived from them (media type, layer digests and sizes, index children, subject) never goes stale and
needs no invalidation, only a size bound. We store a small JSON summary, not the body: it is all the
checks need, and it keeps the cache small and free of anything but digests and sizes.

Why it never breaks a run: the cache is an optimisation. A bad digest is refused, a corrupt file is a miss
(and is deleted), and any OS error (read-only disk, quota, permissions) switches the cache off for the rest
of the run, quietly, with a counter the collector can report.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_MAX_BYTES", "ManifestCache", "default_cache_dir", "is_valid_digest"]

DEFAULT_MAX_BYTES = 256 * 1024 * 1024
_FORMAT = 1  # bump when the stored envelope changes; other versions read as misses
_DIGEST = re.compile(r"(?P<algo>sha256):(?P<hex>[0-9a-f]{64})|(?P<algo512>sha512):(?P<hex512>[0-9a-f]{128})")
_TMP_PREFIX = ".tmp-"
_STALE_TMP_SECONDS = 3600.0


def is_valid_digest(digest: object) -> bool:
    """True for ``sha256:`` + 64 lower-case hex or ``sha512:`` + 128 (the OCI registered algorithms)."""
    return isinstance(digest, str) and _DIGEST.fullmatch(digest) is not None


def default_cache_dir(env: Mapping[str, str] | None = None, platform: str | None = None) -> Path:
    """Where manifest summaries live: ``$ACRDOCTOR_CACHE_DIR``, else the platform's user cache dir.

    Linux and others: ``$XDG_CACHE_HOME`` (if absolute) or ``~/.cache``; macOS: ``~/Library/Caches``;
    Windows: ``%LOCALAPPDATA%``; each followed by ``acrdoctor/manifests``. ``env`` and ``platform``
    default to the real ones and exist for tests.
    """
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    override = env.get("ACRDOCTOR_CACHE_DIR")
    if override:
        return Path(override).expanduser()
    home = Path(env.get("HOME") or Path.home())
    if platform.startswith("win"):
        local = env.get("LOCALAPPDATA")
        base = Path(local) if local else home / "AppData" / "Local"
    elif platform == "darwin":
        base = home / "Library" / "Caches"
    else:
        xdg = env.get("XDG_CACHE_HOME")
        # The XDG spec says relative paths are invalid and must be ignored.
        base = Path(xdg) if xdg and os.path.isabs(xdg) else home / ".cache"
    return base / "acrdoctor" / "manifests"


class ManifestCache:
    """Digest → small JSON summary, stored at ``<root>/<algo>/<hex[:2]>/<hex>.json``.

    Thread-safe: every write goes to its own temp file and is renamed into place atomically, so readers
    see either no file or a whole one, and concurrent writers of one digest (same content) cannot clash.
    """

    def __init__(self, root: Path | None = None, max_bytes: int = DEFAULT_MAX_BYTES, enabled: bool = True) -> None:
        self.root = Path(root) if root is not None else default_cache_dir()
        self.max_bytes = max_bytes
        self._enabled = enabled
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.writes = 0
        self.rejected = 0  # digests refused as malformed
        self.corrupt = 0  # unreadable entries found (and deleted)
        self.errors = 0  # OS errors; the first one disables the cache
        self.disabled_reason: str | None = None if enabled else "disabled by configuration"

    @property
    def enabled(self) -> bool:
        """False when configured off or switched off by an OS error during this run."""
        return self._enabled

    def path_for(self, digest: str) -> Path:
        """The file for a digest. Raises ValueError for anything that is not a well-formed digest.

        The strict format check is what keeps a crafted "digest" (``sha256:../../x``) inside ``root``.
        """
        match = _DIGEST.fullmatch(digest) if isinstance(digest, str) else None
        if match is None:
            raise ValueError(f"not a sha256/sha512 digest: {digest!r}")
        algo = match.group("algo") or match.group("algo512")
        hexpart = match.group("hex") or match.group("hex512")
        return self.root / algo / hexpart[:2] / f"{hexpart}.json"

    def _count(self, name: str) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + 1)

    def _disable(self, err: OSError) -> None:
        with self._lock:
            self.errors += 1
            if self._enabled:
                self._enabled = False
                self.disabled_reason = f"{type(err).__name__}: {err}"

    def _path_or_reject(self, digest: str) -> Path | None:
        try:
            return self.path_for(digest)
        except ValueError:
            self._count("rejected")
            return None

    def get(self, digest: str) -> dict[str, Any] | None:
        """The cached summary, or None (miss, disabled, malformed digest). A hit refreshes the LRU time."""
        if not self._enabled:
            return None
        path = self._path_or_reject(digest)
        if path is None:
            return None
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            self._count("misses")
            return None
        except OSError as err:
            self._disable(err)
            return None
        summary = self._decode(raw, digest)
        if summary is None:
            self._count("corrupt")
            self._count("misses")
            try:
                path.unlink(missing_ok=True)
            except OSError as err:
                self._disable(err)
            return None
        self._count("hits")
        try:
            os.utime(path)  # LRU: prune() goes by mtime
        except FileNotFoundError:
            pass  # pruned by another process meanwhile; the data we read is still right
        except OSError as err:
            self._disable(err)
        return summary

    @staticmethod
    def _decode(raw: bytes, digest: str) -> dict[str, Any] | None:
        try:
            envelope = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return None
        if (
            not isinstance(envelope, dict)
            or envelope.get("format") != _FORMAT
            or envelope.get("digest") != digest
            or not isinstance(envelope.get("summary"), dict)
        ):
            return None
        return envelope["summary"]

    def put(self, digest: str, summary: Mapping[str, Any]) -> bool:
        """Store a summary (JSON-serialisable mapping) atomically; True if it was written.

        Raises TypeError/ValueError only for a summary that is not JSON-serialisable (a caller bug).
        """
        if not self._enabled:
            return False
        path = self._path_or_reject(digest)
        if path is None:
            return False
        data = json.dumps(
            {"format": _FORMAT, "digest": digest, "summary": dict(summary)}, separators=(",", ":"), sort_keys=True
        ).encode()
        tmp: str | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, suffix=".json", dir=path.parent)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
            tmp = None
        except OSError as err:
            self._disable(err)
            return False
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        self._count("writes")
        return True

    def prune(self) -> int:
        """Delete least-recently-used entries (oldest mtime first) until the total is under ``max_bytes``.

        Also removes temp files left by a crashed writer. Returns the number of entries removed. Meant to
        run once per scan, after collection; cheap enough (one stat per file).
        """
        if not self._enabled:
            return 0
        entries: list[tuple[float, int, Path]] = []
        now = time.time()
        try:
            for dirpath, _dirs, files in os.walk(self.root):
                for name in files:
                    full = Path(dirpath) / name
                    try:
                        st = full.stat()
                    except FileNotFoundError:
                        continue
                    if name.startswith(_TMP_PREFIX):
                        if now - st.st_mtime > _STALE_TMP_SECONDS:
                            full.unlink(missing_ok=True)
                        continue
                    if name.endswith(".json"):
                        entries.append((st.st_mtime, st.st_size, full))
        except OSError as err:
            self._disable(err)
            return 0
        total = sum(size for _, size, _ in entries)
        removed = 0
        entries.sort(key=lambda e: (e[0], str(e[2])))
        for _mtime, size, full in entries:
            if total <= self.max_bytes:
                break
            try:
                full.unlink(missing_ok=True)
            except OSError as err:
                self._disable(err)
                break
            total -= size
            removed += 1
        return removed

    def stats(self) -> dict[str, Any]:
        """Counters for the run summary."""
        return {
            "enabled": self._enabled,
            "hits": self.hits,
            "misses": self.misses,
            "writes": self.writes,
            "rejected": self.rejected,
            "corrupt": self.corrupt,
            "errors": self.errors,
            "disabled_reason": self.disabled_reason,
        }
