"""The real services of tests/services.py answer: PostgreSQL through psycopg2, S3 through
boto3 and through DuckDB's httpfs (loaded from its wheel, nothing downloaded)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb
import psycopg2


def httpfs_extension() -> Path:
    """httpfs from the pinned duckdb_extension_httpfs wheel."""
    spec = importlib.util.find_spec("duckdb_extension_httpfs")
    assert spec is not None and spec.origin is not None
    found = sorted(Path(spec.origin).parent.glob("extensions/v*/*.duckdb_extension"))
    assert found, "no httpfs extension in the duckdb_extension_httpfs wheel"
    return found[-1]


def test_postgres_database(postgres_server, postgres_database):
    assert postgres_server.host == "127.0.0.1"
    assert f"port={postgres_server.port}" in postgres_database
    conn = psycopg2.connect(postgres_database)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("CREATE TABLE t (id int PRIMARY KEY, name text)")
            cur.execute("INSERT INTO t VALUES (%s, %s), (%s, %s)", (1, "a", 2, "b"))
        with conn.cursor() as cur:
            cur.execute("SELECT id, name FROM t ORDER BY id")
            assert cur.fetchall() == [(1, "a"), (2, "b")]
            cur.execute("SELECT inet_server_addr()::text, current_database()")
            addr, dbname = cur.fetchone()
            assert addr.startswith("127.0.0.1")
            assert postgres_database.endswith(f"dbname={dbname}")
    finally:
        conn.close()


def test_s3_bucket(s3_server, s3_bucket):
    assert s3_server.endpoint.startswith("http://127.0.0.1:")
    bucket = s3_bucket.removeprefix("s3://").rstrip("/")
    client = s3_server.client()
    client.put_object(Bucket=bucket, Key="hello.txt", Body=b"hello")
    assert client.get_object(Bucket=bucket, Key="hello.txt")["Body"].read() == b"hello"

    host_port = s3_server.endpoint.removeprefix("http://")
    conn = duckdb.connect(config={"autoinstall_known_extensions": False,
                                  "autoload_known_extensions": False})
    try:
        conn.execute(f"LOAD '{httpfs_extension()}'")
        conn.execute(f"CREATE SECRET (TYPE s3, KEY_ID 'test', SECRET 'test', "
                     f"REGION 'us-east-1', ENDPOINT '{host_port}', URL_STYLE 'path', "
                     f"USE_SSL false)")
        conn.execute(f"COPY (SELECT 42 AS x) TO '{s3_bucket}x.parquet'")
        assert conn.execute(f"SELECT x FROM '{s3_bucket}x.parquet'").fetchall() == [(42,)]
    finally:
        conn.close()
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert sorted(keys) == ["hello.txt", "x.parquet"]
