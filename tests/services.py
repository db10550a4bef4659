"""Real servers for the fleet tests: redis-server and a PostgreSQL cluster, each in a temporary
directory on a free 127.0.0.1 port, started and stopped by the fixtures. ``tests/install-services.sh``
installs the Debian packages; without them these tests are skipped, saying what to install."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

START_TIMEOUT = 30.0  # seconds; a loaded two-core machine starts PostgreSQL in one or two


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = START_TIMEOUT) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {timeout} s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def missing(what: str) -> None:
    pytest.skip(f"{what} is not installed: run `sh tests/install-services.sh` (as root)")


class Redis:
    def __init__(self, port: int, proc: subprocess.Popen[bytes]) -> None:
        self.port, self.proc = port, proc
        self.url = f"redis://127.0.0.1:{port}/0"


def start_redis(directory: Path) -> Redis:
    binary = shutil.which("redis-server")
    if binary is None:
        missing("redis-server")
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(directory), "--logfile", str(directory / "redis.log")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, proc)
    except RuntimeError:
        stop(proc)
        raise
    return Redis(port, proc)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[Redis]:
    with tempfile.TemporaryDirectory(prefix="mailguard-redis-") as directory:
        server = start_redis(Path(directory))
        try:
            yield server
        finally:
            stop(server.proc)


def _pg_bin(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)),
                                       None)
    if found is None:
        missing("PostgreSQL (initdb, pg_ctl)")
    assert found is not None
    return found


class Postgres:
    """A cluster with trust authentication for user ``mailguard`` on 127.0.0.1:``port``."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.counter = 0

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://mailguard@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database; returns its URL."""
        import psycopg

        self.counter += 1
        name = f"t{os.getpid()}_{self.counter}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=mailguard dbname=postgres",
                             autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Postgres]:
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    # PostgreSQL refuses to run as root: as root, run it as the `postgres` user (the package creates it).
    user = None
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            missing("the postgres user (from the postgresql package)")
    with tempfile.TemporaryDirectory(prefix="mailguard-pg-") as directory:
        root = Path(directory)
        data, sockets = root / "data", root / "sockets"
        sockets.mkdir()
        if user is not None:
            os.chmod(root, 0o755)
            os.chown(sockets, user.pw_uid, user.pw_gid)
            os.chown(root, user.pw_uid, user.pw_gid)
        run_as: dict[str, Any] = ({"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
                                  if user is not None else {})
        subprocess.run([initdb, "-D", str(data), "-U", "mailguard", "--auth=trust", "-E", "UTF8",
                        "--no-instructions", "--no-sync"], check=True, capture_output=True, cwd=root, **run_as)
        port = free_port()
        options = (f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -F -c fsync=off "
                   "-c full_page_writes=off -c synchronous_commit=off -c max_connections=50")
        subprocess.run([pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "pg.log"), "-w",
                        "-t", str(int(START_TIMEOUT)), "start"], check=True, capture_output=True, cwd=root, **run_as)
        try:
            yield Postgres(port)
        finally:
            subprocess.run([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"], capture_output=True,
                           cwd=root, **run_as)
