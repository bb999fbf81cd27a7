"""A real PostgreSQL server for the tests: a throwaway cluster in a temporary
folder, listening on a loopback port, removed afterwards. Debian's
`postgresql` package provides the programs (scripts/ensure-system.sh installs
it for the tests); the server refuses to run as root, so as root it runs as the
`postgres` user the package creates."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

from tests.fakes.smtp import free_port


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or \
        ([shutil.which(name)] if shutil.which(name) else [])
    if not found:
        raise RuntimeError("PostgreSQL's programs are missing: install Debian's `postgresql` "
                           "package (`make test` does it when run as root).")
    return str(found[-1])


class PostgresCluster:
    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="practice-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        self._practice_template = ""

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=60)

    def start(self) -> PostgresCluster:
        if self.as_root:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(_bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--no-sync", "-E", "UTF8")
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "log"), "-w",
                  "-o", f"-p {self.port} -k {self.folder} -h 127.0.0.1 -c fsync=off",
                  "start")
        return self

    def pause(self) -> None:
        """The server's computer switched off: every connection dropped, data kept."""
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")

    def resume(self) -> None:
        """Switched on again, on the same port."""
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "log"), "-w",
                  "-o", f"-p {self.port} -k {self.folder} -h 127.0.0.1 -c fsync=off",
                  "start")

    def stop(self) -> None:
        try:
            self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def _admin(self, sql: str) -> None:
        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres",
                             dbname="postgres", autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def new_database(self, template: str = "") -> str:
        """A fresh database's SQLAlchemy URL: empty, or a copy of `template`."""
        name = f"db_{uuid.uuid4().hex[:12]}"
        self._admin(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
        return self.url(name)

    def url(self, name: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def practice_database(self) -> str:
        """A new practice's database, at the schema's head with a new practice's
        defaults: a copy of one made once per server (migrating each would take
        most of a test's time)."""
        if not self._practice_template:
            import tempfile

            from app.services.database import Database
            from app.services.paths import DataPaths
            from app.services.practice import _open_server

            name = f"practice_template_{uuid.uuid4().hex[:8]}"
            self._admin(f"CREATE DATABASE {name}")
            db = _open_server(Database(self.url(name)).url,
                              DataPaths(Path(tempfile.mkdtemp(dir=self.folder))))
            db.dispose()
            self._practice_template = name
        return self.new_database(self._practice_template)

    def bytes_at_rest(self) -> bytes:
        """Everything the server has written to disk, write-ahead log included."""
        self._admin("CHECKPOINT")
        return b"".join(p.read_bytes() for p in self.data.rglob("*") if p.is_file())

    def password_login(self, name: str, password: str) -> str:
        """A login the server asks a password of (scram-sha-256, by a pg_hba.conf line
        ahead of the cluster's "trust" ones), owning a new empty database: that
        database's URL, without the password."""
        self._admin(f"CREATE ROLE {name} LOGIN PASSWORD '{password}'")
        hba = self.data / "pg_hba.conf"
        hba.write_text(f"host all {name} 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
        self._admin("SELECT pg_reload_conf()")
        database = f"db_{uuid.uuid4().hex[:12]}"
        self._admin(f"CREATE DATABASE {database} OWNER {name}")
        deadline = time.monotonic() + 10
        while True:  # the server reads pg_hba.conf again on a signal: wait until it has
            try:
                psycopg.connect(host="127.0.0.1", port=self.port, user=name,
                                dbname=database, connect_timeout=5).close()
            except psycopg.OperationalError:
                break
            if time.monotonic() > deadline:
                raise RuntimeError("the test server did not start asking for a password")
            time.sleep(0.05)
        return f"postgresql+psycopg://{name}@127.0.0.1:{self.port}/{database}"
