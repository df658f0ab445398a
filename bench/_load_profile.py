"""gunicorn config for `bench/load.py --profile`: cProfile around every request of every worker
thread (one profile per thread, enabled only while a request runs, timed in the thread's CPU
time: waiting for PostgreSQL or for the GIL is not counted), dumped to
$BENCH_PROFILE_DIR when the worker exits. CPU-time profile, not wall clock: the bench prints it
sorted by cumulative and own time."""

import cProfile
import os
import threading
import time


def post_worker_init(worker):
    profiles: dict[int, cProfile.Profile] = {}
    application = worker.wsgi

    def profiled(environ, start_response):
        profile = profiles.setdefault(threading.get_ident(), cProfile.Profile(time.thread_time))
        profile.enable()
        try:
            return application(environ, start_response)
        finally:
            profile.disable()

    worker.wsgi = profiled
    worker.bench_profiles = profiles


def worker_exit(server, worker):
    directory = os.environ["BENCH_PROFILE_DIR"]
    for number, profile in enumerate(getattr(worker, "bench_profiles", {}).values()):
        profile.dump_stats(os.path.join(directory, f"{worker.pid}-{number}.prof"))
