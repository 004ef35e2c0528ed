"""Content-addressed storage of received files: bytes kept unchanged, named by SHA-256.

A stored file's name is its checksum, so its integrity is checked by hashing it again: `get`
refuses bytes that no longer match, `check` says whether a file is intact, and storing the
same bytes again repairs a file whose copy was damaged (the bytes are provably the original
ones, because they hash to the name).
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
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


def put(store: Path, data: bytes, *, durable: bool = True) -> tuple[str, Path]:
    """Store `data` once; return its checksum and where it lives. Never overwrites an intact
    file; a damaged copy is replaced by these bytes, which hash to its name. With
    `durable=False` the bytes are not yet forced to disk: the caller calls `sync` before it
    records anything that relies on them (a batch of files then costs one flush, not one each)."""
    digest = sha256_bytes(data)
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


def sync(store: Path, paths: Iterable[Path]) -> None:
    """Force stored files written with `put(durable=False)` (and their folder entries) to disk:
    one syncfs(2) of the store's file system where the C library has it, else an fsync of each
    file and folder."""
    paths = list(paths)
    if not paths:
        return
    if _syncfs(store):
        return
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    for folder in {p.parent for p in paths}:
        _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _syncfs(folder: Path) -> bool:
    """syncfs(2) on the file system holding `folder`; False where it is not available."""
    libc = _libc()
    if libc is None:
        return False
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        return libc.syncfs(fd) == 0
    finally:
        os.close(fd)


@functools.cache
def _libc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syncfs.argtypes = [ctypes.c_int]
        return libc
    except (OSError, AttributeError):
        return None


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
