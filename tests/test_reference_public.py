"""The public data shipped in sped/reference/public/ is what its PROVENANCE.md says: every file
listed with its size and SHA-256, nothing unlisted, and the generator reads it from there."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from sped.generate import calibration

PUBLIC = Path(__file__).resolve().parents[1] / "sped" / "reference" / "public"


def _listed() -> dict[str, tuple[int, str]]:
    text = (PUBLIC / "PROVENANCE.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([^`]+)` \| ([\d,]+) \| ([0-9a-f]{64}) \|$", text, flags=re.M)
    return {name: (int(size.replace(",", "")), digest) for name, size, digest in rows}


def test_every_shipped_file_matches_its_provenance_entry():
    listed = _listed()
    assert set(listed) == {
        "bchildcountandedenvironments2017-18.csv",
        "primary-disability__2015-16_.csv",
        "private_schools.csv.zip",
        "somerville_school_data.csv",
    }
    present = {p.name for p in PUBLIC.iterdir() if p.name != "PROVENANCE.md"}
    assert present == set(listed), "every shipped file has a provenance entry, and only those"
    for name, (size, digest) in listed.items():
        data = (PUBLIC / name).read_bytes()
        assert len(data) == size, name
        assert hashlib.sha256(data).hexdigest() == digest, name


def test_provenance_names_source_and_licence_for_each_file():
    text = (PUBLIC / "PROVENANCE.md").read_text(encoding="utf-8")
    sections = re.split(r"^## ", text, flags=re.M)[1:]
    assert len(sections) == 4
    for section in sections:
        assert "**Publisher**" in section and "**Copied from**" in section, section[:40]
        assert "**Licence**" in section, section[:40]


def test_the_generator_calibrates_from_the_projects_own_copy():
    assert calibration.REALDATA.resolve() == PUBLIC.resolve()
