"""gunicorn's settings for `gunicorn wsgi:app`, read from the working directory (the Procfile's too).

Only what the command line cannot say: the Procfile's flags (workers,
threads, bind) override anything set here.

Logs: with LOG_FORMAT=json gunicorn's own lines (start-up, workers booting,
timing out or dying) are JSON objects too, so every line of the stream parses.

Metrics: each gunicorn worker counts its own webhooks, so prometheus_client's
multiprocess mode keeps every worker's counters in files that any worker's
/metrics adds up. It is switched on by PROMETHEUS_MULTIPROC_DIR, which must
be set before prometheus_client is imported (before the app is loaded), so it
is set here, in the master, and the workers inherit it. Without one from the
environment it is a fresh private directory, removed when this master exits,
so a restart never adds up stale files. A directory you set yourself (to
share it with a `shopbot worker` on this host) is yours to empty before
starting gunicorn.
"""
import os
import shutil
import tempfile

from gunicorn.glogging import Logger

#: "<master pid>:<directory>" of the private directory a master made, so that re-reading these
#: settings (SIGHUP) keeps it, and a new master started by SIGUSR2 makes its own.
PRIVATE = "SHOPBOT_GUNICORN_METRICS_DIR"


def _private_dir():
    """This master's private directory (set as PROMETHEUS_MULTIPROC_DIR), or None for the operator's own."""
    pid, _, private = os.environ.get(PRIVATE, "").partition(":")
    current = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if current and current != private:
        return None
    if current and pid == str(os.getpid()):
        return current
    private = tempfile.mkdtemp(prefix="shopbot-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = private
    os.environ[PRIVATE] = f"{os.getpid()}:{private}"
    return private


_private = _private_dir()


def on_starting(server):
    server.log.info("metrics: PROMETHEUS_MULTIPROC_DIR=%s%s", os.environ["PROMETHEUS_MULTIPROC_DIR"],
                    " (private to this gunicorn, removed when it exits)" if _private else "")


def child_exit(server, worker):
    """A worker is gone: drop its live gauges (its counters stay, so totals never go backwards)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _private:
        shutil.rmtree(_private, ignore_errors=True)


class JsonLogger(Logger):
    """gunicorn's logger, writing its lines with shopbot's JSON formatter (LOG_FORMAT=json)."""

    def setup(self, cfg):
        super().setup(cfg)
        from bot.logs import ContextFilter, JsonFormatter

        for handler in self.error_log.handlers + self.access_log.handlers:
            handler.setFormatter(JsonFormatter())
            handler.addFilter(ContextFilter())


if os.environ.get("LOG_FORMAT", "").strip().lower() == "json":
    logger_class = JsonLogger
