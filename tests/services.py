"""Real services for the tests, started by the tests themselves and bound only to 127.0.0.1.

- `postgres_server` (session): a private PostgreSQL cluster from Debian's `postgresql` package
  (`make test` installs it), trust auth, on a free port; `postgres_database` gives each test
  a fresh database of its own.
- `s3_server` (session): an S3-compatible server (moto's server mode) in a subprocess, so that
  other processes (DuckDB's httpfs included) can reach it; `s3_bucket` gives each test a
  fresh bucket.

Registered for the whole suite by tests/conftest.py (`pytest_plugins`).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

HOST = "127.0.0.1"
START_TIMEOUT = 60.0


def free_port() -> int:
    """A TCP port nothing listens on right now (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def port_answers(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


def unique_name(prefix: str) -> str:
    """Lower-case letters, digits and dashes: valid as a database and as a bucket name."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


# --- PostgreSQL ----------------------------------------------------------------------------


def postgres_bin() -> Path:
    """The bin folder of the newest PostgreSQL Debian's packages installed."""
    root = Path("/usr/lib/postgresql")
    found = [d / "bin" for d in root.glob("*") if (d / "bin" / "initdb").is_file()]
    if not found:
        pytest.fail(f"PostgreSQL is not installed (no {root}/*/bin/initdb): "
                    "run `make test` (it installs Debian's postgresql)", pytrace=False)

    def version(bin_dir: Path) -> tuple[int, ...]:
        return tuple(int(p) for p in bin_dir.parent.name.split(".") if p.isdigit())

    return max(found, key=version)


@dataclass
class PostgresServer:
    host: str
    port: int
    user: str
    data_dir: Path = field(repr=False)

    def conninfo(self, dbname: str = "postgres") -> str:
        return f"host={self.host} port={self.port} user={self.user} dbname={dbname}"

    def url(self, name: str) -> str:
        return f"postgresql+psycopg2://{self.user}@{self.host}:{self.port}/{name}"

    def create_database(self, name: str) -> str:
        """Create an empty database `name`; its libpq conninfo string."""
        import psycopg2
        from psycopg2 import sql

        conn = psycopg2.connect(self.conninfo("postgres"))
        try:
            conn.autocommit = True  # CREATE DATABASE cannot run inside a transaction
            with conn.cursor() as cur:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        finally:
            conn.close()
        return self.conninfo(name)


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    bin_dir = postgres_bin()
    as_root = os.geteuid() == 0
    if as_root:
        # initdb refuses to run as root: the cluster belongs to Debian's `postgres` user. It
        # must be able to reach its folder, and pytest's own temp root is private to root (and
        # must stay root's: pytest refuses a basetemp owned by someone else), so the cluster
        # lives in a folder of its own under the system temp folder, removed at teardown.
        owner = pwd.getpwnam("postgres")
        base = Path(tempfile.mkdtemp(prefix="tokenworks-pg-"))
        os.chown(base, owner.pw_uid, owner.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
        user = "postgres"
    else:
        base = tmp_path_factory.mktemp("postgres")
        run_as = []
        user = pwd.getpwuid(os.geteuid()).pw_name
    data_dir = base / "data"
    log_file = base / "postgres.log"

    def run(*args: str) -> None:
        # cwd: the postgres user may not be allowed into the current folder
        done = subprocess.run([*run_as, *args], cwd=base, capture_output=True, text=True)
        if done.returncode != 0:
            log = log_file.read_text() if log_file.exists() else ""
            pytest.fail(f"{' '.join(args)} failed ({done.returncode}):\n"
                        f"{done.stdout}{done.stderr}{log}", pytrace=False)

    try:
        port = free_port()
        run(str(bin_dir / "initdb"), "-D", str(data_dir), "--auth=trust", f"--username={user}",
            "--encoding=UTF8", "--locale=C", "--no-sync")
        with (data_dir / "postgresql.conf").open("a") as conf:  # appending keeps the owner
            conf.write(f"\n# tests/services.py\nlisten_addresses = '{HOST}'\nport = {port}\n"
                       f"unix_socket_directories = '{base}'\n"
                       "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n")
        run(str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-l", str(log_file), "-w",
            "-t", str(int(START_TIMEOUT)), "start")
        yield PostgresServer(host=HOST, port=port, user=user, data_dir=data_dir)
    finally:
        if (data_dir / "postmaster.pid").exists():
            subprocess.run([*run_as, str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-m",
                            "immediate", "-w", "stop"], cwd=base, capture_output=True)
        if as_root:
            shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_database(postgres_server: PostgresServer) -> str:
    """A fresh, empty database for this test: its libpq conninfo string."""
    return postgres_server.create_database(unique_name("test").replace("-", "_"))


# --- S3 ------------------------------------------------------------------------------------


@dataclass
class S3Server:
    endpoint: str
    env: dict[str, str]

    def client(self):
        import boto3

        return boto3.client(
            "s3", endpoint_url=self.endpoint, region_name=self.env["AWS_REGION"],
            aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"])

    def create_bucket(self, name: str) -> str:
        """Create an empty bucket `name`; its name."""
        self.client().create_bucket(Bucket=name)
        return name


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    port = free_port()
    endpoint = f"http://{HOST}:{port}"
    env = {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
    }
    log_path = tmp_path_factory.mktemp("s3") / "moto.log"
    # A subprocess rather than moto's in-process thread, so that other processes reach it too.
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)],
            env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not port_answers(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"moto's S3 server did not start on {endpoint}:\n"
                            f"{log_path.read_text()}", pytrace=False)
            time.sleep(0.05)
        yield S3Server(endpoint=endpoint, env=env)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def s3_bucket(s3_server: S3Server) -> str:
    """A fresh, empty bucket for this test: "s3://NAME/"."""
    return f"s3://{s3_server.create_bucket(unique_name('test'))}/"
