"""Content-addressed storage of received files: bytes kept unchanged, named by SHA-256."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stored_path(store: Path, sha256: str) -> Path:
    return store / sha256[:2] / sha256


def put(store: Path, data: bytes) -> tuple[str, Path]:
    """Store `data` once; return its checksum and where it lives. Never overwrites."""
    digest = sha256_bytes(data)
    target = stored_path(store, digest)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
        target.chmod(0o400)  # read-only, and its owner's only (student records)
    return digest, target


def get(store: Path, sha256: str) -> bytes:
    data = stored_path(store, sha256).read_bytes()
    if sha256_bytes(data) != sha256:
        raise OSError(f"stored file {sha256[:12]}… does not match its checksum")
    return data
