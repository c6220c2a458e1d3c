"""Manifest summaries cached on disk by digest, so a second scan fetches only manifests it has not seen.

Why it is safe: a manifest is content-addressed. The bytes behind ``sha256:…`` never change, so what we
derived from them (media type, layer digests and sizes, index children, subject) never goes stale and
needs no invalidation, only a size bound. We store a small JSON summary, not the body: it is all the
checks need, and it keeps the cache small and free of anything but digests and sizes.

Why one SQLite file (issue 16): a warm re-scan of 100,000 manifests spent a quarter of its time opening,
decoding and touching 100,000 small files. One database answers a whole scan's lookups in a few hundred
``IN (…)`` queries, and writes are batched: puts go in one transaction per :data:`WRITE_BATCH`, and the
"last used" time of the hits is written once, at :meth:`ManifestCache.flush`, and only for entries not used
within :data:`TOUCH_AFTER` (so an hourly re-scan writes nothing at all). SQLite's WAL journal and its busy
timeout let two scans share one cache; the older per-file layout (``<root>/sha256/<xx>/<hex>.json``) is not
migrated (a cache refills in one scan) and :meth:`ManifestCache.prune` deletes it.

Why it never breaks a run: the cache is an optimisation. A bad digest is refused, a corrupt entry is a miss
(and is deleted), a file that is not a database is replaced, and any OS or SQLite error (read-only disk,
quota, permissions, a lock held past the timeout) switches the cache off for the rest of the run, quietly,
with a counter the collector can report.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["DATABASE_NAME", "DEFAULT_MAX_BYTES", "ManifestCache", "default_cache_dir", "is_valid_digest"]

DEFAULT_MAX_BYTES = 256 * 1024 * 1024
#: The database inside the cache directory.
DATABASE_NAME = "summaries.sqlite3"
#: Bump (a new table) when the stored encoding changes; another version's rows are never read.
_TABLE = "summaries_v2"
#: Earlier versions' tables, dropped when this version's table is created (v1 kept layers as [digest, size] pairs).
_OLD_TABLES = ("summaries_v1",)
#: Puts are written in transactions of this many rows (and at flush()).
WRITE_BATCH = 500
#: Digests per ``IN (…)`` lookup: below SQLite's oldest variable limit (999).
LOOKUP_CHUNK = 500
#: A hit rewrites the entry's "last used" time only when it is older than this (seconds): LRU at one-hour grain.
TOUCH_AFTER = 3600.0
#: How long a write waits for another process's lock before the cache gives up for the run (seconds).
DEFAULT_TIMEOUT = 10.0
_DIGEST = re.compile(r"(?P<algo>sha256):(?P<hex>[0-9a-f]{64})|(?P<algo512>sha512):(?P<hex512>[0-9a-f]{128})")
#: Files of the per-file layout before issue 16: ``<algo>/<hex[:2]>/<hex>.json`` and the writers' temp files.
_OLD_FILE = re.compile(r"(?:[0-9a-f]{64}|[0-9a-f]{128})\.json|\.tmp-.*\.json")


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


def row_key(digest: str) -> int:
    """The table key of a well-formed digest: its first and last 60 bits, xored.

    A real digest is a hash, so any of its bits are spread evenly; made-up digests (tests, fixtures, a registry
    that invents them) tend to vary only at one end, zero-padded counters at the tail, repeated patterns at the
    head, so both ends are mixed in. Collisions cost a miss, never a wrong answer (the digest column is checked).
    """
    return int(digest[7:22], 16) ^ int(digest[-15:], 16)


def check_digest(digest: object) -> str:
    """The digest itself; ValueError for anything that is not a well-formed digest.

    The strict check keeps whatever a registry sends as a "digest" from becoming a key we would trust.
    """
    if not is_valid_digest(digest):
        raise ValueError(f"not a sha256/sha512 digest: {digest!r}")
    return digest  # type: ignore[return-value]


def _decode(raw: object) -> dict[str, Any] | None:
    """A stored summary, or None when the row is not one (a corrupt entry is a miss)."""
    try:
        summary = json.loads(raw)  # type: ignore[arg-type]
    except (ValueError, TypeError, UnicodeDecodeError, RecursionError):
        return None
    return summary if isinstance(summary, dict) else None


def _decode_all(raws: list[Any]) -> list[dict[str, Any] | None]:
    """:func:`_decode` of each row, parsed :data:`LOOKUP_CHUNK` rows to one ``json.loads`` call.

    Why: one call per summary costs 5 times as much as one call per 500 (measured on 100,000 summaries: 1.18 s
    against 0.22 s). The joined array is only trusted when every row is a string that looks like one object and
    the array has one object per row; otherwise (a corrupt row) that chunk is decoded row by row.
    """
    out: list[dict[str, Any] | None] = []
    for i in range(0, len(raws), LOOKUP_CHUNK):
        chunk = raws[i:i + LOOKUP_CHUNK]
        decoded: Any = None
        if all(isinstance(r, str) and r.startswith("{") and r.endswith("}") for r in chunk):
            with contextlib.suppress(ValueError, RecursionError):
                decoded = json.loads(f"[{','.join(chunk)}]")
        if isinstance(decoded, list) and len(decoded) == len(chunk) and all(isinstance(d, dict) for d in decoded):
            out += decoded
        else:
            out += [_decode(r) for r in chunk]
    return out


#: Upper bound of the cache file's memory map (address space, not memory: pages are read on demand).
MMAP_BYTES = 1 << 30


class ManifestCache:
    """Digest → small JSON summary, in one SQLite database ``<root>/summaries.sqlite3``.

    Thread-safe: one connection, used under one lock. The database is opened at first use, so a cache
    that is never used (or is configured off) creates nothing. Call :meth:`flush` (the scanner does, at the
    end of its body pass) or :meth:`close` before dropping the object: puts and "last used" times are
    written in batches.
    """

    def __init__(self, root: Path | None = None, max_bytes: int = DEFAULT_MAX_BYTES, enabled: bool = True, *,
                 timeout: float = DEFAULT_TIMEOUT, clock: Callable[[], float] = time.time) -> None:
        self.root = Path(root) if root is not None else default_cache_dir()
        self.path = self.root / DATABASE_NAME
        self.max_bytes = max_bytes
        self.timeout = timeout
        self._clock = clock
        self._enabled = enabled
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = None
        self._pending: dict[str, str] = {}  # digest -> encoded summary, not yet written
        self._touched: set[str] = set()  # hits whose "last used" time is older than TOUCH_AFTER
        self.hits = 0
        self.misses = 0
        self.writes = 0
        self.rejected = 0  # digests refused as malformed
        self.corrupt = 0  # unreadable entries found (and deleted)
        self.errors = 0  # OS/SQLite errors; the first one disables the cache
        self.disabled_reason: str | None = None if enabled else "disabled by configuration"

    @property
    def enabled(self) -> bool:
        """False when configured off or switched off by an OS or SQLite error during this run."""
        return self._enabled

    # -- the connection ------------------------------------------------------------------------------

    def _disable(self, err: BaseException) -> None:
        with self._lock:
            self.errors += 1
            if self._enabled:
                self._enabled = False
                self.disabled_reason = f"{type(err).__name__}: {err}"
                self._pending.clear()
                self._touched.clear()
                if self._db is not None:
                    with contextlib.suppress(sqlite3.Error):
                        self._db.close()
                    self._db = None

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False)
        try:
            # In WAL mode NORMAL loses at most the last transactions on power loss, never consistency: fine for
            # a cache. (A per-connection setting: it takes no lock.)
            db.execute("PRAGMA synchronous=NORMAL")
            # Lookups read pages through a memory map instead of one read() each: a re-scan's 100,000 lookups
            # took half the CPU (1.27 -> 0.58 s, docs/benchmarks.md). Linux maps coherently; SQLite remaps
            # after its own truncations (incremental_vacuum).
            db.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
            # Reading the schema takes no write lock, so a scan opens the cache while another one is writing.
            if db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (_TABLE,)).fetchone():
                return db
            # Set before the first table exists, so pruned pages can be handed back to the file system.
            db.execute("PRAGMA auto_vacuum=INCREMENTAL")
            db.execute("PRAGMA journal_mode=WAL")  # stored in the file: every later connection uses it
            # Keyed by 60 bits of the digest itself (row_key): integer keys make the B-tree two levels deep where
            # 71-character text keys made it three or four, and a re-scan looks up every listed manifest (0.47 ->
            # 0.28 s for 100,000, docs/benchmarks.md). The digest column settles the rare collision.
            db.execute(f"CREATE TABLE IF NOT EXISTS {_TABLE} (k INTEGER PRIMARY KEY, digest TEXT NOT NULL, "
                       "summary TEXT NOT NULL, last_used REAL NOT NULL, size INTEGER NOT NULL)")
            db.execute(f"CREATE INDEX IF NOT EXISTS {_TABLE}_lru ON {_TABLE} (last_used, k)")
            for old in _OLD_TABLES:  # never read again; their pages go back to the file system
                db.execute(f"DROP TABLE IF EXISTS {old}")
            db.execute("PRAGMA incremental_vacuum")
        except BaseException:
            db.close()
            raise
        return db

    def _connect_waiting(self) -> sqlite3.Connection:
        """:meth:`_connect`, tried again while another connection is creating the same new database.

        Why: switching a new file to WAL needs the only lock on it, and SQLite answers "locked" at once, without
        its busy timeout, when two connections both hold a read lock and want it (waiting could deadlock). Two
        scans starting on an empty cache met this about once in 200 starts. The second one waits for the first
        to finish the schema (then it finds the table and takes no lock), up to the same timeout as a write.
        """
        deadline = time.monotonic() + self.timeout
        pause = 0.005
        while True:
            try:
                return self._connect()
            except sqlite3.OperationalError as err:
                if "locked" not in str(err) or time.monotonic() + pause > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.2)

    def _open(self) -> sqlite3.Connection:
        """The open connection; raises OSError or sqlite3.Error, which callers turn into a disabled cache."""
        if self._db is not None:
            return self._db
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            self._db = self._connect_waiting()
        except sqlite3.OperationalError:
            raise  # locked, read-only, unopenable: not ours to repair
        except sqlite3.DatabaseError:
            # "file is not a database": a cache can start afresh. The WAL and shared-memory files go first, so a
            # stale log is never replayed into the new database.
            for suffix in ("-wal", "-shm", ""):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            self._db = self._connect()
        return self._db

    def close(self) -> None:
        """Write what is pending and close the database (a later call opens it again)."""
        with self._lock:
            self.flush()
            if self._db is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._db.close()
                self._db = None

    def _key_or_reject(self, digest: str) -> str | None:
        if is_valid_digest(digest):
            return digest
        with self._lock:
            self.rejected += 1
        return None

    # -- reading -------------------------------------------------------------------------------------

    def get(self, digest: str) -> dict[str, Any] | None:
        """The cached summary, or None (miss, disabled, malformed digest). A hit refreshes the LRU time."""
        return self.get_many([digest]).get(digest)

    def get_many(self, digests: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Digest -> summary for every digest that is cached; each distinct digest counts one hit or miss.

        One query per :data:`LOOKUP_CHUNK` digests. Malformed digests are refused (counted), corrupt rows are
        misses and deleted.
        """
        found: dict[str, dict[str, Any]] = {}
        if not self._enabled:
            return found
        wanted = list(dict.fromkeys(d for d in digests if self._key_or_reject(d) is not None))
        with self._lock:
            if not self._enabled:
                return found
            rows: list[tuple[str, Any, float]] = []
            todo = []
            for d in wanted:
                pending = self._pending.get(d)
                if pending is not None:
                    rows.append((d, pending, self._clock()))
                else:
                    todo.append(d)
            try:
                if todo:
                    db = self._open()
                    asked = set(todo)
                    for i in range(0, len(todo), LOOKUP_CHUNK):
                        chunk = [row_key(d) for d in todo[i:i + LOOKUP_CHUNK]]
                        # A row of another digest with the same key is a collision: not ours, a miss.
                        rows += [r for r in db.execute(f"SELECT digest, summary, last_used FROM {_TABLE} WHERE k IN "
                                                       f"({','.join('?' * len(chunk))})", chunk) if r[0] in asked]
            except (OSError, sqlite3.Error) as err:
                self._disable(err)
                return {}
            stale = self._clock() - TOUCH_AFTER
            corrupt = []
            summaries = _decode_all([raw for _d, raw, _t in rows])
            # The common case in bulk (a re-scan looks up every listed manifest): no corrupt row, recent "last used".
            if None not in summaries:
                found.update(zip([d for d, _r, _t in rows], summaries, strict=True))
            else:
                for (digest, _raw, _t), summary in zip(rows, summaries, strict=True):
                    if summary is None:
                        corrupt.append(digest)
                    else:
                        found[digest] = summary
            self._touched.update(d for d, _r, t in rows
                                 if d in found and (not isinstance(t, int | float) or t < stale))
            self.hits += len(found)
            self.misses += len(wanted) - len(found)
            self.corrupt += len(corrupt)
            if corrupt:
                self._write(f"DELETE FROM {_TABLE} WHERE k = ? AND digest = ?", [(row_key(d), d) for d in corrupt])
        return found

    # -- writing -------------------------------------------------------------------------------------

    def put(self, digest: str, summary: Mapping[str, Any]) -> bool:
        """Store a summary (JSON-serialisable mapping); True if it was accepted.

        Accepted puts are written in batches (:data:`WRITE_BATCH`, and at :meth:`flush`); a batch that fails
        disables the cache. Raises TypeError/ValueError only for a summary that is not JSON-serialisable (a
        caller bug).
        """
        if not self._enabled:
            return False
        if self._key_or_reject(digest) is None:
            return False
        data = json.dumps(dict(summary), separators=(",", ":"), sort_keys=True)
        with self._lock:
            if not self._enabled:
                return False
            if not self._pending and self._db is None:
                # Open now, so a cache that cannot be written (no directory, read-only) says so at the first put.
                try:
                    self._open()
                except (OSError, sqlite3.Error) as err:
                    self._disable(err)
                    return False
            self._pending[digest] = data
            self.writes += 1
            if len(self._pending) >= WRITE_BATCH:
                self._write_pending()
            return self._enabled

    def _write(self, sql: str, rows: list[tuple[Any, ...]]) -> bool:
        """One transaction of ``executemany``; False (and the cache disabled) when it fails."""
        with self._lock:
            try:
                db = self._open()
                db.execute("BEGIN IMMEDIATE")
                try:
                    db.executemany(sql, rows)
                    db.execute("COMMIT")
                except BaseException:
                    with contextlib.suppress(sqlite3.Error):
                        db.execute("ROLLBACK")
                    raise
            except (OSError, sqlite3.Error) as err:
                self._disable(err)
                return False
            return True

    def _write_pending(self) -> None:
        now = self._clock()
        rows = [(row_key(d), d, data, now, len(d) + len(data)) for d, data in self._pending.items()]
        self._pending.clear()
        self._touched.difference_update(d for _k, d, *_ in rows)
        # A colliding digest's row is replaced: a cache may forget, it never answers for the wrong digest.
        self._write(f"INSERT OR REPLACE INTO {_TABLE} (k, digest, summary, last_used, size) VALUES (?, ?, ?, ?, ?)",
                    rows)

    def flush(self) -> None:
        """Write pending puts and the "last used" time of this run's hits, each in one transaction."""
        with self._lock:
            if not self._enabled:
                return
            if self._pending:
                self._write_pending()
            if self._touched and self._enabled:
                now = self._clock()
                touched = sorted(self._touched)
                self._touched.clear()
                self._write(f"UPDATE {_TABLE} SET last_used = ? WHERE k = ? AND digest = ?",
                            [(now, row_key(d), d) for d in touched])

    # -- the size bound ------------------------------------------------------------------------------

    def prune(self) -> int:
        """Delete least-recently-used entries until the stored total is at most ``max_bytes``.

        The total is the summaries' and digests' bytes (the file adds SQLite's page overhead). Also deletes
        the per-file layout of older versions. Returns the number of entries removed. Meant to run once per
        scan, after collection.
        """
        with self._lock:
            self.flush()
            if not self._enabled:
                return 0
            self._remove_old_layout()
            try:
                db = self._open()
                total = db.execute(f"SELECT COALESCE(SUM(size), 0) FROM {_TABLE}").fetchone()[0]
                victims: list[tuple[int]] = []
                if total > self.max_bytes:
                    for key, size in db.execute(f"SELECT k, size FROM {_TABLE} ORDER BY last_used, k"):
                        if total <= self.max_bytes:
                            break
                        victims.append((key,))
                        total -= size
            except (OSError, sqlite3.Error) as err:
                self._disable(err)
                return 0
            if not victims:
                return 0
            if not self._write(f"DELETE FROM {_TABLE} WHERE k = ?", victims):
                return 0
            with contextlib.suppress(sqlite3.Error):
                db.execute("PRAGMA incremental_vacuum")
            return len(victims)

    def _remove_old_layout(self) -> None:
        """Delete ``<root>/sha256|sha512/<xx>/`` files of the per-file cache, and then their empty folders."""
        for algo in ("sha256", "sha512"):
            top = self.root / algo
            if not top.is_dir():
                continue
            try:
                for sub in top.iterdir():
                    if not (sub.is_dir() and re.fullmatch(r"[0-9a-f]{2}", sub.name)):
                        continue
                    for f in sub.iterdir():
                        if _OLD_FILE.fullmatch(f.name) and f.is_file():
                            f.unlink(missing_ok=True)
                    with contextlib.suppress(OSError):
                        sub.rmdir()  # only when empty
                with contextlib.suppress(OSError):
                    top.rmdir()
            except OSError as err:
                self._disable(err)
                return

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
