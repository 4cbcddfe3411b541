"""Each data-quality check passes on a correct warehouse and fails on the defect it guards."""

from __future__ import annotations

import shutil

import pytest

from pipelines.jobs import run_ingest
from pipelines.ledger import checks
from pipelines.warehouse.sql import read_sql, run_sql
from tests.conftest import FIXTURES, open_lake

CORRUPTIONS = {
    "records_reconcile": [
        "UPDATE landing_files SET records = records + 1, last_run_id = 'audit' "
        "WHERE path = (SELECT min(path) FROM landing_files)"],
    "exactly_once": [
        "UPDATE stg_calls SET is_canonical = true, run_id = 'audit' WHERE NOT is_canonical"],
    "buckets_match_total": [
        "UPDATE stg_calls SET output_tokens = output_tokens + 1, run_id = 'audit' "
        "WHERE rowid = (SELECT min(rowid) FROM stg_calls WHERE is_canonical "
        "AND provider_total_tokens IS NOT NULL)"],
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("checks")
    landing = base / "landing"
    shutil.copytree(FIXTURES, landing, ignore=shutil.ignore_patterns("SOURCES.md"))
    # every call logged twice, so exactly_once has duplicates to get wrong
    shutil.copytree(FIXTURES, landing / "again", ignore=shutil.ignore_patterns("SOURCES.md"))
    run_ingest(landing, base / "wh.ducklake", workers=1)
    return base / "wh.ducklake"


def audit_copy(built, tmp_path):
    path = tmp_path / "audit.ducklake"
    shutil.copy(built, path)
    conn = open_lake(path, read_only=False)
    run_sql(conn, read_sql("warehouse/run_tables.sql"))
    conn.execute("UPDATE landing_files SET last_run_id = 'audit'")
    conn.execute("UPDATE stg_calls SET run_id = 'audit'")
    return conn


def test_a_correct_warehouse_passes_every_check(built, tmp_path):
    conn = audit_copy(built, tmp_path)
    assert [c.name for c in checks.run_all(conn, "audit") if not c.passed] == []


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_each_check_catches_its_defect(built, tmp_path, name):
    conn = audit_copy(built, tmp_path)
    for statement in CORRUPTIONS[name]:
        conn.execute(statement)
    failed = {c.name: c for c in checks.run_all(conn, "audit") if not c.passed}
    assert name in failed
    assert failed[name].violations


def test_checks_only_look_at_what_the_run_touched(built, tmp_path):
    conn = audit_copy(built, tmp_path)
    for statement in CORRUPTIONS["records_reconcile"]:
        conn.execute(statement)
    assert [c.name for c in checks.run_all(conn, "another-run") if not c.passed] == []


@pytest.mark.parametrize("corruption", [
    "UPDATE stg_calls SET call_id = (SELECT min(call_id) FROM stg_calls) "
    "WHERE call_id = (SELECT max(call_id) FROM stg_calls)",
    "UPDATE stg_calls SET call_id = NULL WHERE rowid = (SELECT min(rowid) FROM stg_calls)",
    "UPDATE stg_calls SET call_id = call_id + 1000000 "
    "WHERE rowid = (SELECT min(rowid) FROM stg_calls WHERE NOT is_canonical)",
], ids=["two-keys-share-an-id", "an-occurrence-without-id", "one-key-two-ids"])
def test_exactly_once_catches_a_wrong_call_id(built, tmp_path, corruption):
    conn = audit_copy(built, tmp_path)
    conn.execute(corruption)
    failed = {c.name: c for c in checks.run_all(conn, "audit") if not c.passed}
    assert list(failed) == ["exactly_once"]
    assert failed["exactly_once"].violations
