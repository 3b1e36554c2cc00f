"""Long-running processes: poller, worker, or everything in one (embedded mode)."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from dramatiq import Broker, Worker

from workers.folder_poller import FolderPoller
from workers.runtime import Runtime
from workers.scan_poller import ScanFolderPoller
from workers.scheduler import run_scheduler
from workers.sweeper import run_sweeper

log = logging.getLogger(__name__)


def holder_name() -> str:
    """Who holds a lease: host and pid, so an operator can tell pollers apart."""
    return f"{socket.gethostname()}:{os.getpid()}"


def make_poller(runtime: Runtime) -> FolderPoller | object:
    """The IMAP poller when a host is configured, else the local mail folder."""
    settings = runtime.settings
    if settings.uses_imap:
        from workers.app import token_provider
        from workers.imap_poller import ImapPoller

        return ImapPoller(
            settings=settings,
            session_factory=runtime.factory,
            enqueue=runtime.enqueue_inbound_batch,
            holder=holder_name(),
            token_provider=token_provider(settings),
        )
    return FolderPoller(
        inbox=settings.inbox_dir,
        mailbox_name=settings.mailbox_name,
        session_factory=runtime.factory,
        enqueue=runtime.enqueue_inbound_batch,
        holder=holder_name(),
        interval=settings.folder_poll_seconds,
        lease_seconds=settings.lease_seconds,
    )


def start_worker(
    runtime: Runtime, queues: set[str] | None = None, threads: int | None = None
) -> Worker:
    worker = Worker(
        runtime.broker,
        queues=queues,
        worker_threads=threads or runtime.settings.worker_threads,
        worker_timeout=100,
    )
    worker.start()
    return worker


def start_workers(runtime: Runtime, queues: set[str] | None = None) -> list[Worker]:
    """Mail queues on one worker, OCR on another with its own few threads.

    OCR pages take seconds of CPU each; on their own worker they can never take every
    thread from the intake and outbox queues, so mail acknowledgments are not delayed.
    """
    from workers.actors import OCR_QUEUE

    wanted = set(runtime.broker.get_declared_queues()) if queues is None else set(queues)
    workers = []
    mail_queues = {q for q in wanted if q != OCR_QUEUE}
    if mail_queues:
        workers.append(start_worker(runtime, mail_queues))
    if OCR_QUEUE in wanted:
        with _second_worker_expected(runtime.broker):
            workers.append(start_worker(runtime, {OCR_QUEUE},
                                        threads=runtime.settings.ocr_threads))
    return workers


@contextmanager
def _second_worker_expected(broker: Broker) -> Iterator[None]:
    """Silence dramatiq's warning that a second worker adds its middleware again.

    Each worker registers its own ``_WorkerMiddleware`` on the broker, and dramatiq
    warns about any second middleware of a type. Two workers on one broker is what we
    mean here; the warning would only alarm whoever reads the start-up output.
    """
    def not_that_warning(record: logging.LogRecord) -> bool:
        return "middleware of the same type twice" not in record.getMessage()

    broker.logger.addFilter(not_that_warning)
    try:
        yield
    finally:
        broker.logger.removeFilter(not_that_warning)


def serve(
    runtime: Runtime,
    *,
    poll: bool,
    work: bool,
    schedule: bool = False,
    stop: threading.Event | None = None,
    on_ready: Callable[[], None] | None = None,
    queues: set[str] | None = None,
) -> None:
    """Run the chosen parts until SIGINT/SIGTERM (or ``stop``), then shut down cleanly."""
    stop = stop or threading.Event()
    _stop_on_signals(stop)
    threads: list[threading.Thread] = []
    workers = start_workers(runtime, queues) if work else []
    if poll:
        poller = make_poller(runtime)
        scans = ScanFolderPoller(
            settings=runtime.settings,
            session_factory=runtime.factory,
            enqueue=runtime.enqueue_scans,
            holder=holder_name(),
        )
        threads.append(_thread("poller", lambda: poller.run(stop)))  # type: ignore[attr-defined]
        threads.append(_thread("scan-poller", lambda: scans.run(stop)))
        threads.append(_thread("sweeper", lambda: run_sweeper(runtime, stop)))
    if schedule:
        holder = holder_name()
        threads.append(_thread("scheduler", lambda: run_scheduler(runtime, stop, holder=holder)))
    if on_ready:
        on_ready()
    stop.wait()
    log.info("stopping")
    for thread in threads:
        thread.join(timeout=30)
    for worker in workers:
        worker.stop()
    runtime.broker.close()


def _thread(name: str, target: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread


def _stop_on_signals(stop: threading.Event) -> None:
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
