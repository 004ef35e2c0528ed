"""Content-addressed storage of received files: bytes kept unchanged, named by SHA-256.

A stored file's name is its checksum, so its integrity is checked by hashing it again: `get`
refuses bytes that no longer match, `check` says whether a file is intact, and storing the
same bytes again repairs a file whose copy was damaged (the bytes are provably the original
ones, because they hash to the name).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


class StoreIntegrityError(OSError):
    """A stored file is missing or its bytes no longer match its checksum."""


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def stored_path(store: Path, sha256: str) -> Path:
    return store / sha256[:2] / sha256


def check(store: Path, sha256: str) -> str | None:
    """None if the stored file for `sha256` is intact, else what is wrong with it."""
    path = stored_path(store, sha256)
    if not path.is_file():
        return f"stored file {path} is missing"
    if sha256_file(path) != sha256:
        return f"stored file {path} does not match its SHA-256 (its bytes were changed)"
    return None


def put(
    store: Path, data: bytes, *, durable: bool = True, digest: str | None = None
) -> tuple[str, Path]:
    """Store `data` once; return its checksum and where it lives. Never overwrites an intact
    file; a damaged copy is replaced by these bytes, which hash to its name. With
    `durable=False` the bytes are not yet forced to disk: the caller calls `sync` before it
    records anything that relies on them (a batch of files then shares one registry commit).
    `digest`, when the caller has just computed it, saves hashing the bytes twice."""
    digest = digest or sha256_bytes(data)
    target = stored_path(store, digest)
    if not target.exists() or check(store, digest) is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, target)
        target.chmod(0o400)  # read-only, and its owner's only (student records)
        if durable:
            _fsync_dir(target.parent)
    return digest, target


def sync(paths: Iterable[Path]) -> None:
    """Force stored files written with `put(durable=False)`, and their folder entries, to disk.
    An fsync each, bounded by these files (a file-system-wide sync would also wait for whatever
    else is being written, such as a warehouse just copied), issued from a few threads at once
    so that the file system commits them together."""
    paths = list(paths)
    with ThreadPoolExecutor(max_workers=_SYNC_THREADS) as pool:
        list(pool.map(_fsync, paths))
        list(pool.map(_fsync_dir, {p.parent for p in paths}))


#: Concurrent fsyncs: enough for the journal to commit many files at once.
_SYNC_THREADS = 8


def _fsync(path: Path, flags: int = os.O_RDONLY) -> None:
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    _fsync(folder, os.O_RDONLY | os.O_DIRECTORY)


def get(store: Path, sha256: str) -> bytes:
    path = stored_path(store, sha256)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise StoreIntegrityError(f"stored file {path} is missing") from None
    if sha256_bytes(data) != sha256:
        raise StoreIntegrityError(
            f"stored file {path} does not match its SHA-256 (its bytes were changed)"
        )
    return data


def stored_files(store: Path) -> Iterator[Path]:
    """Every stored file (not the temporary files of a write in progress)."""
    if not store.is_dir():
        return
    for sub in sorted(store.iterdir()):
        if sub.is_dir():
            yield from (p for p in sorted(sub.iterdir()) if not p.name.startswith("."))
