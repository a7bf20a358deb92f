"""RQ workers whose processes die together and whose dead jobs are re-run soon (``hz45 worker``).

Without queue names it runs one worker per group of :data:`domain.jobs.queues.WORKER_QUEUES`
(realtime and default, then training), each in a child process of this one, so a long retrain
never holds the charts back. Every process a worker forks (the work horse running a job, RQ's
scheduler) dies with it, and a job whose worker died is found abandoned within about
``MISSED_BEATS + 2`` heartbeats and re-run by any worker on its queue, its ``Retry`` counting.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import os
import signal
import sys
import time

# A busy worker marks its job alive this often (RQ's job monitoring interval, 30 s by default).
HEARTBEAT_SECONDS = 10
# A job is abandoned once its worker missed this many heartbeats (RQ allows 60 s whatever the
# interval); idle workers look for abandoned jobs every heartbeat (RQ: every 10 minutes).
MISSED_BEATS = 3
# RQ blocks waiting for a job for ``worker_ttl - 15`` s, and cleans its registries between waits.
_RQ_DEQUEUE_MARGIN = 15
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>

log = logging.getLogger("hz45.worker")


def die_with_parent(parent_pid: int, sig: int) -> None:
    """Have the kernel send ``sig`` to this process when its parent exits (Linux; elsewhere a no-op).

    ``parent_pid`` is the parent at fork time: when it is gone already, ``sig`` comes at once.
    """
    if not sys.platform.startswith("linux"):
        return
    if _libc().prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
        log.warning("prctl(PR_SET_PDEATHSIG) failed: %s", os.strerror(ctypes.get_errno()))
    elif os.getppid() != parent_pid:
        os.kill(os.getpid(), sig)


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


_fork_parent = 0


def _remember_fork_parent() -> None:
    global _fork_parent
    _fork_parent = os.getpid()


def _forked_child() -> None:
    # The worker's handlers would take a SIGTERM meant for the child as the worker's own (RQ's
    # scheduler, stopped as it starts, would then run on and its worker wait for it forever).
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    die_with_parent(_fork_parent, signal.SIGTERM)


@functools.cache
def _forks_die_with_this_process() -> None:
    """From now on, every process forked from this one starts with Python's default SIGINT and
    SIGTERM handling and is sent SIGTERM when its parent exits.

    SIGTERM lets RQ's scheduler release its locks (a killed one holds them for a minute); the work
    horse takes SIGKILL instead (``Hz45Worker.main_work_horse``).
    """
    os.register_at_fork(before=_remember_fork_parent, after_in_child=_forked_child)


@functools.cache
def worker_class() -> type:
    """``Hz45Worker``, RQ's forking worker with the changes above (built on first use, so that
    importing this module does not import RQ)."""
    from rq import Worker

    class Hz45Worker(Worker):
        """An RQ worker whose forked processes die with it, and whose jobs expire after a few
        missed heartbeats (``job_monitoring_interval``) rather than a minute more."""

        def work(self, *args, **kwargs) -> bool:
            _forks_die_with_this_process()
            return super().work(*args, **kwargs)

        def main_work_horse(self, job, queue) -> None:
            # The job is safe to run twice: a horse outliving its worker would only race the re-run.
            die_with_parent(self.pid, signal.SIGKILL)
            super().main_work_horse(job, queue)

        def run_maintenance_tasks(self) -> None:
            # Once a warm shutdown has stopped the scheduler, RQ's maintenance would start it again.
            if not self._stop_requested:
                super().run_maintenance_tasks()

        def get_heartbeat_ttl(self, job, working_time: float = 0.0) -> int:
            beat = self.job_monitoring_interval
            if job.timeout and job.timeout > 0:
                # Past the timeout the worker itself kills the horse (after 60 s of grace).
                beat = max(0, min(job.timeout - working_time, beat))
            return int(beat) + MISSED_BEATS * self.job_monitoring_interval

    return Hz45Worker


def _report_abandoned(job, exc_type, exc_value, traceback) -> None:
    """RQ exception handler: log a job found abandoned (RQ says nothing when it retries one)."""
    from rq.exceptions import AbandonedJobError

    if exc_type is AbandonedJobError:
        outcome = f"retrying ({job.retries_left} retries left)" if job.retries_left else "no retries left: failed"
        logging.getLogger("rq.worker").warning("job %s (%s) was abandoned by a dead worker; %s",
                                               job.id, job.func_name, outcome)


class _QuietMaintenance(logging.Filter):
    """Drops RQ's line for each routine registry cleaning, which here comes every heartbeat."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Worker %s: cleaning ")


def run_worker(redis_url: str, queues: list[str], burst: bool, heartbeat: int) -> bool:
    """Work on ``queues`` in this process, with RQ's scheduler, until stopped (or, with ``burst``,
    until they are empty); returns whether any job ran."""
    from domain.jobs.queues import redis_connection

    worker = worker_class()(queues, connection=redis_connection(redis_url), job_monitoring_interval=heartbeat,
                            maintenance_interval=heartbeat, worker_ttl=heartbeat + _RQ_DEQUEUE_MARGIN,
                            exception_handlers=[_report_abandoned])
    logging.getLogger("rq.worker").addFilter(_QuietMaintenance())
    # The scheduler moves retried jobs back to their queue once their backoff has passed.
    return worker.work(burst=burst, with_scheduler=True)


def _run_child(parent_pid: int, redis_url: str, queues: list[str], burst: bool, heartbeat: int) -> None:
    die_with_parent(parent_pid, signal.SIGKILL)
    run_worker(redis_url, queues, burst, heartbeat)


def _exit_status(code: int | None) -> int:
    return code if code and code > 0 else (1 if code else 0)


def _cold_stop(children) -> None:
    """Stop ``children`` now: RQ takes a second SIGTERM (after a second) as a cold shutdown,
    which kills the running horse and hands its job to the job's retry."""
    from multiprocessing.connection import wait

    for attempt in range(2):
        alive = [child for child in children if child.is_alive()]
        for child in alive:
            os.kill(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + 1.2
        while attempt == 0 and alive and time.monotonic() < deadline:
            wait([child.sentinel for child in alive], deadline - time.monotonic())
            alive = [child for child in alive if child.is_alive()]


def supervise(redis_url: str, groups, burst: bool, heartbeat: int) -> int:
    """Run one worker per queue group in child processes until they end; returns the exit status.

    SIGINT and SIGTERM are passed on (once: a warm shutdown; twice: cold). When a worker exits
    unasked, the others are stopped at once so that a process manager restarts them all; when
    this process dies, the kernel kills the workers.
    """
    import multiprocessing
    from multiprocessing.connection import wait

    context = multiprocessing.get_context("fork")
    children = [context.Process(target=_run_child, args=(os.getpid(), redis_url, list(queues), burst, heartbeat),
                                name="hz45-worker-" + "-".join(queues)) for queues in groups]
    stopping = False

    def forward(signum, frame) -> None:
        nonlocal stopping
        stopping = True
        for child in children:
            if child.pid and child.exitcode is None:
                os.kill(child.pid, signum)

    for child, queues in zip(children, groups):
        child.start()
        print(f"hz45 worker: pid {child.pid} works on {', '.join(queues)}", flush=True)
    # Only now, so that the children do not inherit it (a signal before this kills them all).
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, forward)
    running = {child.sentinel: child for child in children}
    status = 0
    while running:
        for sentinel in wait(list(running)):
            child = running.pop(sentinel)
            child.join()
            status = status or _exit_status(child.exitcode)
            if not stopping and (child.exitcode or not burst):
                print(f"hz45 worker: {child.name} exited ({child.exitcode}); stopping the others", file=sys.stderr,
                      flush=True)
                stopping = True
                status = status or 1
                _cold_stop(running.values())
    return status
