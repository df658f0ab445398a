"""`make run`: services, migrations, demo data, then web + Celery worker + beat in one session.

Starts the embedded PostgreSQL / Redis when DATABASE_URL / REDIS_URL are unset (and stops them
again on exit), runs migrate_schemas and seed_demo, serves the Django development server on
0.0.0.0:PORT next to a Celery worker and beat, prints the URLs and demo logins, and stops
everything on Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from ngo_platform import embedded

REPO = Path(__file__).resolve().parent.parent


def _run(args: list[str], env: dict[str, str]) -> None:
    subprocess.run([sys.executable, *args], cwd=REPO, env=env, check=True)  # noqa: S603


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, *args], cwd=REPO, env=env)  # noqa: S603


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def runserver_env(env: dict[str, str]) -> dict[str, str]:
    """The web server's environment: runserver serves each request in a new thread, so a
    connection kept for the thread's next request would only linger (ten parallel requests
    left ten open, and PostgreSQL ran out of connections): closed after each request."""
    return {**env, "DATABASE_CONN_MAX_AGE": env.get("DATABASE_CONN_MAX_AGE") or "0"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--no-seed", action="store_true")
    options = parser.parse_args(argv)

    env = dict(os.environ)
    env.setdefault("DEBUG", "1")
    env.setdefault("DJANGO_SETTINGS_MODULE", "ngo_platform.settings")
    env.setdefault("STATIC_MANIFEST", "1")
    data_dir = Path(env.get("DATA_DIR") or REPO / ".data").resolve()
    env["DATA_DIR"] = str(data_dir)
    started_embedded = False
    if not env.get("DATABASE_URL"):
        print(f"* DATABASE_URL unset: embedded PostgreSQL in {data_dir / 'postgres'}", flush=True)
        env["DATABASE_URL"] = embedded.postgres_url(data_dir)
        started_embedded = True
    if not env.get("REDIS_URL"):
        print(f"* REDIS_URL unset: embedded Redis in {data_dir / 'redis'}", flush=True)
        env["REDIS_URL"] = embedded.redis_url(data_dir)
        started_embedded = True

    children: list[subprocess.Popen] = []

    def stop(*_args) -> None:
        for child in children:
            if child.poll() is None:
                # SIGTERM: Celery shuts down warm on it, runserver exits; SIGINT may be ignored
                # by children started from a non-interactive shell.
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
        if started_embedded:
            print("* stopping embedded services", flush=True)
            embedded.stop(data_dir)

    # Installed explicitly: a shell that starts us in the background sets SIGINT to "ignore".
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    try:
        print("* migrate_schemas", flush=True)
        _run(["manage.py", "migrate_schemas", "--noinput", "-v", "0"], env)
        if not options.no_seed:
            _run(["manage.py", "seed_demo", "--port", str(options.port)], env)
        # Static files as production serves them: hashed names, gzip, a year's cache lifetime.
        print("* collectstatic (hashed, compressed)", flush=True)
        _run(["manage.py", "collectstatic", "--noinput", "-v", "0"], env)
        schedule = data_dir / "celerybeat-schedule"
        children.append(
            _spawn(["-m", "celery", "-A", "ngo_platform", "worker", "-l", "info", "-c", "2"], env)
        )
        children.append(
            _spawn(
                ["-m", "celery", "-A", "ngo_platform", "beat", "-l", "info", "-s", str(schedule)],
                env,
            )
        )
        children.append(
            # --nostatic: whitenoise serves the collected files (runserver's own handler would
            # send them uncompressed from the finders, without a cache lifetime).
            _spawn(
                ["manage.py", "runserver", f"0.0.0.0:{options.port}", "--noreload", "--nostatic"],
                runserver_env(env),
            )
        )
        time.sleep(2)
        print(
            f"\n* Terpadu is running: http://localhost:{options.port}/ (consortium site), "
            f"http://<ngo-slug>.localhost:{options.port}/ (each NGO), "
            f"http://localhost:{options.port}/api/docs/ (API). Ctrl-C stops everything.\n",
            flush=True,
        )
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        print("* a process exited; stopping the rest", flush=True)
        return 1
    except KeyboardInterrupt:
        return 0
    except subprocess.CalledProcessError as error:
        print(f"* failed: {error}", flush=True)
        return 1
    finally:
        stop()


if __name__ == "__main__":
    sys.exit(main())
