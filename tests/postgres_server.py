"""A throwaway PostgreSQL server for tests.

Tests that need a real PostgreSQL (the DuckLake catalog, job leases) start one with
:class:`PostgresServer`: it runs ``initdb`` into a fresh temporary directory, starts
``postgres`` on a free TCP port on 127.0.0.1 (its unix socket lives inside that directory,
so it never meets a system server's socket), waits until it accepts connections and creates
a database. ``stop()`` shuts it down with ``pg_ctl stop -m fast`` (SIGKILL as a last resort)
and removes the directory.

    with PostgresServer() as pg:
        psycopg.connect(pg.conninfo)            # "dbname=clamor host=127.0.0.1 port=... user=..."
        other = pg.new_database("second")      # another database's conninfo

The binaries are Debian's (package ``postgresql``): the newest
``/usr/lib/postgresql/<version>/bin``, else ``pg_config --bindir``, else whatever directory
holds ``initdb`` on PATH. :func:`available` says, as a sentence, why a server cannot be
started here (or None when it can), for ``pytest.skip``.

PostgreSQL refuses to run as root. When the tests run as root (they do in CI here), every
server command runs as the unprivileged ``postgres`` system user that the Debian package
creates, and the temporary directory is handed to that user; otherwise the commands run as
the current user. Authentication is ``trust`` (initdb --auth=trust): the server listens on
127.0.0.1 only and lives as long as the test session.

The settings favour speed over durability (fsync, synchronous_commit and full_page_writes
off): a crash loses the data, which a test server never needs to keep.
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

# The server's superuser when the tests run as root (the Debian package's system user).
SYSTEM_USER = "postgres"
DEFAULT_DATABASE = "clamor"
START_TIMEOUT = 60.0   # seconds to wait for a new server to accept connections
STOP_TIMEOUT = 30.0    # seconds to wait for `pg_ctl stop -m fast` before SIGKILL

_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "max_connections": "100",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "32MB",
    "logging_collector": "off",
}
_BINARIES = ("initdb", "postgres", "pg_ctl")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def _version_key(path: str) -> tuple:
    """Sort key for /usr/lib/postgresql/<version>/bin: numerically by version."""
    version = Path(path).parent.name
    return tuple(int(p) if p.isdigit() else -1 for p in version.split("."))


def find_bindir() -> Path | None:
    """The directory holding initdb, postgres and pg_ctl, or None when there is none."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                                 timeout=10, check=True).stdout.strip()
            if out:
                candidates.append(out)
        except (OSError, subprocess.SubprocessError):
            pass
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(str(Path(initdb).parent))
    for candidate in candidates:
        if all(os.access(Path(candidate) / b, os.X_OK) for b in _BINARIES):
            return Path(candidate)
    return None


def _run_as() -> pwd.struct_passwd:
    """The account the server runs as: the `postgres` system user when we are root."""
    if os.geteuid() == 0:
        return pwd.getpwnam(SYSTEM_USER)   # KeyError when the user does not exist
    return pwd.getpwuid(os.geteuid())


def available(bindir: str | os.PathLike | None = None) -> str | None:
    """None when a test PostgreSQL server can be started here, else the reason why not.

    `bindir` checks that directory instead of searching for the binaries.
    """
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg 3 is not installed, so the tests cannot talk to PostgreSQL."
    if bindir is None:
        found = find_bindir()
        if found is None:
            return ("The PostgreSQL server binaries (initdb, postgres, pg_ctl) are not installed: "
                    "install the Debian package postgresql, or put their directory on PATH.")
    else:
        found = Path(bindir)
        missing = [b for b in _BINARIES if not os.access(found / b, os.X_OK)]
        if missing:
            return (f"The PostgreSQL server binaries {', '.join(missing)} are not in {found}: "
                    "install the Debian package postgresql.")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            return (f"The tests run as root, which PostgreSQL refuses, and there is no "
                    f"'{SYSTEM_USER}' system user to run it as (the Debian package postgresql "
                    "creates it).")
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something accepts TCP connections on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1.0)
        return s.connect_ex((host, port)) == 0


class PostgresError(RuntimeError):
    """The test server could not be started (the message carries the server log's tail)."""


class PostgresServer:
    """A throwaway PostgreSQL server: started by the constructor, stopped by `stop()` (or by
    leaving the `with` block).

    Attributes: `conninfo` (libpq key=value string for the `database`), `port`, `host`,
    `user` (the superuser, also the OS account the server runs as), `database`, `data_dir`,
    `socket_dir`, `base_dir` (the temporary directory holding both), `bindir`, `log_path`.
    """

    host = "127.0.0.1"

    def __init__(self, database: str = DEFAULT_DATABASE, *, bindir: str | os.PathLike | None = None,
                 timeout: float = START_TIMEOUT, settings: dict[str, str] | None = None):
        reason = available(bindir)
        if reason:
            raise PostgresError(reason)
        self.bindir = Path(bindir) if bindir is not None else find_bindir()
        self.database = _check_name(database)
        self._account = _run_as()
        self.user = self._account.pw_name
        self._settings = {**_SETTINGS, **(settings or {})}
        self._process: subprocess.Popen | None = None
        self._log = None
        self.stopped = False
        self.port = 0

        self.base_dir = Path(tempfile.mkdtemp(prefix="clamor-pg-"))
        self.data_dir = self.base_dir / "data"
        self.socket_dir = self.base_dir / "sock"
        self.log_path = self.base_dir / "server.log"
        atexit.register(self.stop)   # a session that ends abruptly still stops its server
        try:
            self._prepare_dir()
            self._initdb()
            self._start(timeout)
            self._admin(f'CREATE DATABASE "{self.database}"')
        except BaseException:
            self.stop()
            raise
        self.conninfo = self.conninfo_for(self.database)

    # -- public --------------------------------------------------------------------------

    def conninfo_for(self, database: str) -> str:
        """The libpq conninfo string for `database` on this server."""
        return f"dbname={database} host={self.host} port={self.port} user={self.user}"

    def new_database(self, name: str) -> str:
        """CREATE DATABASE `name` (letters, digits, underscores) and return its conninfo."""
        self._admin(f'CREATE DATABASE "{_check_name(name)}"')
        return self.conninfo_for(name)

    def drop_database(self, name: str) -> None:
        """DROP DATABASE `name`, closing any connections still open to it."""
        self._admin(f'DROP DATABASE IF EXISTS "{_check_name(name)}" WITH (FORCE)')

    def log_tail(self, lines: int = 30) -> str:
        """The last `lines` lines of the server's log."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Stop the server (`pg_ctl stop -m fast`, SIGKILL if that fails) and remove its
        directory. Safe to call more than once."""
        if self.stopped:
            return
        self.stopped = True
        atexit.unregister(self.stop)
        proc = self._process
        try:
            if proc is not None and proc.poll() is None:
                try:
                    self._command(["pg_ctl", "stop", "-D", str(self.data_dir), "-m", "fast",
                                   "-w", "-t", str(int(STOP_TIMEOUT))], timeout=STOP_TIMEOUT + 10)
                except (OSError, subprocess.SubprocessError):
                    pass
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    # Last resort: kill the postmaster's whole process group (it was started
                    # in a new session, so the group is the server and its children only).
                    try:
                        os.killpg(proc.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    proc.wait(timeout=10)
        finally:
            if self._log is not None:
                self._log.close()
            shutil.rmtree(self.base_dir, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "stopped" if self.stopped else "running"
        return f"<PostgresServer {state} {self.host}:{self.port} data={self.data_dir}>"

    # -- internals -----------------------------------------------------------------------

    def _prepare_dir(self) -> None:
        self.socket_dir.mkdir()
        self.log_path.touch()
        if os.geteuid() == 0:
            uid, gid = self._account.pw_uid, self._account.pw_gid
            for path in (self.base_dir, self.socket_dir, self.log_path):
                os.chown(path, uid, gid)
            # The server user must reach the directory: mkdtemp's parent may not let it.
            probe = self._command(["test", "-w", str(self.base_dir)], check=False,
                                  timeout=10, use_bindir=False)
            if probe.returncode != 0:
                raise PostgresError(
                    f"the '{self.user}' user cannot write to {self.base_dir}: a directory "
                    f"above it is closed to that user (set TMPDIR to a directory it can reach)")

    def _popen_kwargs(self) -> dict:
        kwargs: dict = {"cwd": self.base_dir,
                        "env": {**os.environ, "HOME": str(self.base_dir), "LC_ALL": "C",
                                "PGTZ": "UTC", "TZ": "UTC"}}
        for var in ("PGHOST", "PGPORT", "PGDATA", "PGUSER", "PGDATABASE", "PGPASSWORD"):
            kwargs["env"].pop(var, None)
        if os.geteuid() == 0:
            kwargs.update(user=self._account.pw_uid, group=self._account.pw_gid, extra_groups=[])
        return kwargs

    def _command(self, argv: list[str], *, check: bool = True, timeout: float = 120,
                 use_bindir: bool = True) -> subprocess.CompletedProcess:
        if use_bindir:
            argv = [str(self.bindir / argv[0]), *argv[1:]]
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              check=check, **self._popen_kwargs())

    def _initdb(self) -> None:
        try:
            done = self._command(["initdb", "-D", str(self.data_dir), "--auth=trust",
                                  f"--username={self.user}", "--encoding=UTF8", "--locale=C",
                                  "--no-sync"], check=False)
        except subprocess.TimeoutExpired as e:
            raise PostgresError(f"initdb did not finish in {e.timeout:.0f} s") from e
        if done.returncode != 0:
            output = "\n".join((done.stdout + done.stderr).splitlines()[-30:])
            raise PostgresError(f"initdb failed (exit {done.returncode}):\n{output}")

    def _start(self, timeout: float) -> None:
        # The port is free when chosen but another process may take it before the server
        # binds it: on "could not bind" try again with another port.
        for attempt in range(3):
            self.port = free_port()
            argv = [str(self.bindir / "postgres"), "-D", str(self.data_dir),
                    "-p", str(self.port), "-k", str(self.socket_dir)]
            for key, value in self._settings.items():
                argv += ["-c", f"{key}={value}"]
            self._log = open(self.log_path, "a")
            self._process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._log,
                                             stderr=subprocess.STDOUT, start_new_session=True,
                                             **self._popen_kwargs())
            try:
                self._wait_ready(timeout)
                return
            except PostgresError:
                if (self._process.poll() is not None and attempt < 2
                        and "could not bind" in self.log_tail(10)):
                    self._log.close()
                    self._log = None
                    continue
                raise

    def _wait_ready(self, timeout: float) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            code = self._process.poll()
            if code is not None:
                raise PostgresError(f"postgres exited with code {code} while starting; "
                                    f"log tail:\n{self.log_tail()}")
            try:
                with psycopg.connect(self.conninfo_for("postgres"), connect_timeout=2):
                    return
            except psycopg.OperationalError as e:
                last_error = str(e).strip()
            time.sleep(0.05)
        raise PostgresError(f"postgres on {self.host}:{self.port} did not accept connections "
                            f"within {timeout:.0f} s (last error: {last_error}); log tail:\n"
                            f"{self.log_tail()}")

    def _admin(self, statement: str) -> None:
        """Run one statement outside a transaction in the `postgres` maintenance database."""
        import psycopg

        with psycopg.connect(self.conninfo_for("postgres"), autocommit=True) as conn:
            conn.execute(statement)


def _check_name(name: str) -> str:
    """A database name safe to put in a statement and a conninfo string unquoted."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"database name {name!r}: use letters, digits and underscores only "
                         "(at most 63, not starting with a digit)")
    return name

