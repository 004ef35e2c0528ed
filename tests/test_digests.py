"""The row digests `sped audit verify` checks (sped/warehouse/digests.py): version 1 stays
exactly what older installations recorded, version 2 is the unnamed row's text, each digest
says its version, and a changed, added or removed row changes a digest in either version while
the order rows were written in does not."""

from __future__ import annotations

import hashlib

import duckdb
import pytest

from sped.warehouse import digests
from sped.warehouse.digests import mart_digests, mart_digests_like, submission_digests

ROWS = [
    (7, "2500001", "a, b", None, "2024-01-02", 1.5),
    (7, "2500001", "NULL", 3, "2024-01-03", None),
    (8, "2500002", "", 4, None, 2.25),
]


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    con.execute("CREATE SCHEMA marts")
    con.execute(
        "CREATE TABLE raw.t (_submission_id BIGINT, lea_id VARCHAR, note VARCHAR, n BIGINT, "
        "d DATE, amount DECIMAL(18, 2))"
    )
    con.executemany("INSERT INTO raw.t VALUES (?, ?, ?, ?, ?, ?)", ROWS)
    con.execute("CREATE TABLE marts.m AS SELECT * EXCLUDE (_submission_id) FROM raw.t")
    yield con
    con.close()


def _by_hand(texts: list[str]) -> str:
    """The set digest from the rows' texts: SHA-256 of their sorted MD5s joined by commas."""
    hashes = sorted(hashlib.md5(t.encode()).hexdigest() for t in texts)
    return hashlib.sha256(",".join(hashes).encode()).hexdigest()


def test_version_1_is_what_older_installations_recorded(con):
    old = con.execute(
        "SELECT _submission_id, count(*), sha256(string_agg(md5(CAST(t AS VARCHAR)), ',' "
        "ORDER BY md5(CAST(t AS VARCHAR)))) FROM raw.t AS t GROUP BY _submission_id"
    ).fetchall()
    assert submission_digests(con, "raw", "t", 1) == {s: (n, d) for s, n, d in old}
    (mart,) = con.execute(
        "SELECT count(*) || ':' || coalesce(sha256(string_agg(md5(CAST(t AS VARCHAR)), ',' "
        "ORDER BY md5(CAST(t AS VARCHAR)))), '') FROM marts.m AS t"
    ).fetchone()
    assert mart_digests(con, 1) == {"marts.m": mart}


def test_version_2_hashes_each_rows_values_without_their_names(con):
    texts = [
        "(7, 2500001, 'a, b', NULL, 2024-01-02, 1.50)",
        "(7, 2500001, 'NULL', 3, 2024-01-03, NULL)",
    ]
    found = submission_digests(con, "raw", "t")
    assert found[7] == (2, "v2:" + _by_hand(texts))
    assert found[8][1].startswith("v2:") and digests.version_of(found[8][1]) == 2
    assert digests.version_of(submission_digests(con, "raw", "t", 1)[7][1]) == 1
    assert mart_digests(con)["marts.m"].startswith("v2:3:")


@pytest.mark.parametrize("version", [1, 2])
def test_a_changed_added_or_removed_row_changes_the_digest_and_order_does_not(con, version):
    before = submission_digests(con, "raw", "t", version)
    marts = mart_digests(con, version)
    con.execute("CREATE TABLE raw.u AS SELECT * FROM raw.t ORDER BY lea_id DESC, n")
    assert submission_digests(con, "raw", "u", version) == before
    for change in (
        "UPDATE raw.t SET amount = 1.51 WHERE note = 'a, b'",
        "INSERT INTO raw.t VALUES (7, '2500001', 'x', 1, NULL, NULL)",
        "DELETE FROM raw.t WHERE note = 'x'",
    ):
        con.execute(change)
        assert submission_digests(con, "raw", "t", version)[7] != before[7], change
        assert submission_digests(con, "raw", "t", version)[8] == before[8]
    con.execute("UPDATE marts.m SET n = 5 WHERE n = 4")
    assert mart_digests(con, version) != marts


def test_a_publications_digests_are_compared_in_their_own_version(con):
    assert mart_digests_like(con, mart_digests(con, 1)) == mart_digests(con, 1)
    assert mart_digests_like(con, mart_digests(con, 2)) == mart_digests(con, 2)
    assert mart_digests_like(con, {}) == mart_digests(con)
