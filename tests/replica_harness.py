"""A real PostgreSQL primary with a streaming replica, in a temporary directory, for the replica
routing check (``make test-replica``, ``tests/test_replicas_live.py``).

The primary is a cluster of its own (``initdb``), not the machine's: a streaming replica needs a
``replication`` entry in the primary's ``pg_hba.conf``, and the harness must not edit the machine's.
The replica is made the way an operator makes one: ``pg_basebackup -R`` of the running primary,
then a second ``postgres`` on another port. Both are stopped and removed afterwards whatever happens.
PostgreSQL refuses to run as root; as root the harness runs the server binaries as ``postgres``.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


def bindir() -> Path | None:
    """The PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup), or None."""
    candidates = [Path(p) for p in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)]
    found = shutil.which("initdb")
    if found:
        candidates.insert(0, Path(found).parent)
    for candidate in candidates:
        if all((candidate / tool).exists() for tool in ("initdb", "pg_ctl", "pg_basebackup", "postgres")):
            return candidate
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Pair:
    primary_port: int
    replica_port: int
    database: str

    def url(self, port: int) -> str:
        return f"postgres://postgres@127.0.0.1:{port}/{self.database}"

    @property
    def primary_url(self) -> str:
        return self.url(self.primary_port)

    @property
    def replica_url(self) -> str:
        return self.url(self.replica_port)


def _runner() -> tuple[list[str], dict]:
    """The prefix that runs a server binary as a user PostgreSQL accepts."""
    if os.geteuid() != 0:
        return [], {}
    pwd.getpwnam("postgres")  # KeyError: no postgres user to run the server as
    return ["runuser", "-u", "postgres", "--"], {}


@contextlib.contextmanager
def postgres_pair(database: str = "zt") -> Iterator[Pair]:
    """Start a primary and a streaming replica of it; yield their ports."""
    tools = bindir()
    if tools is None:
        raise FileNotFoundError("PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) not found")
    prefix, _ = _runner()
    root = Path(tempfile.mkdtemp(prefix="zt-replica-"))
    if prefix:
        shutil.chown(root, "postgres", "postgres")
    primary, replica = root / "primary", root / "replica"
    pair = Pair(free_port(), free_port(), database)
    started: list[Path] = []

    def run(*args: str) -> None:
        subprocess.run([*prefix, *args], check=True, capture_output=True, cwd=root)

    try:
        run(
            str(tools / "initdb"),
            "-D",
            str(primary),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
        )
        with open(primary / "postgresql.conf", "a") as conf:
            conf.write(
                f"port = {pair.primary_port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{root}'\nwal_level = replica\nmax_wal_senders = 4\n"
                "fsync = off\nfull_page_writes = off\nsynchronous_commit = off\n"
            )
        with open(primary / "pg_hba.conf", "a") as hba:
            hba.write("host replication all 127.0.0.1/32 trust\n")
        run(str(tools / "pg_ctl"), "-D", str(primary), "-l", str(root / "primary.log"), "-w", "start")
        started.append(primary)
        run(str(tools / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(pair.primary_port), "-U", "postgres",
            "-D", str(replica), "-R", "-X", "stream", "--no-sync")  # fmt: skip
        with open(replica / "postgresql.conf", "a") as conf:
            conf.write(f"port = {pair.replica_port}\nhot_standby = on\n")
        run(str(tools / "pg_ctl"), "-D", str(replica), "-l", str(root / "replica.log"), "-w", "start")
        started.append(replica)
        sql(pair.primary_port, f"CREATE DATABASE {database}", database="postgres")
        wait_replayed(pair)
        yield pair
    finally:
        for data in reversed(started):
            subprocess.run([*prefix, str(tools / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                           capture_output=True, cwd=root)  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


def sql(port: int, statement: str, *, database: str = "postgres") -> str:
    """Run one statement with psql; its first column of output."""
    done = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", database, "-Atqc", statement],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def wait_replayed(pair: Pair, timeout: float = 30.0) -> None:
    """Until the replica has replayed everything the primary has written."""
    target = sql(pair.primary_port, "SELECT pg_current_wal_insert_lsn()")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sql(pair.replica_port, f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn") == "t":
            return
        time.sleep(0.05)
    raise TimeoutError("the replica did not catch up")
