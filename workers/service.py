"""Long-running processes: poller, worker, or everything in one (embedded mode)."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

from dramatiq import Broker, Worker

from config.mailboxes import Mailbox
from workers.folder_poller import FolderPoller
from workers.runtime import Runtime
from workers.scan_poller import ScanFolderPoller
from workers.sweeper import run_sweeper

log = logging.getLogger(__name__)


def holder_name() -> str:
    """Who holds a lease: host and pid, so an operator can tell pollers apart."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Poller(Protocol):
    """What the service needs of a mailbox poller (IMAP or local folder)."""

    mailbox_key: str

    def run(self, stop: threading.Event) -> None: ...


def make_poller(runtime: Runtime) -> Poller:
    """The first configured mailbox's poller (the only one without a mailboxes file)."""
    return make_pollers(runtime)[0]


def make_pollers(runtime: Runtime, only: str | None = None) -> list[Poller]:
    """One poller per configured mailbox (or only the one keyed ``only``).

    Each takes the lease named after its own folder, so every mailbox has exactly one
    active poller however many processes run, and the mailboxes never wait on each other.
    """
    from config.mailboxes import MailboxesFileError, load_mailboxes

    mailboxes = load_mailboxes(runtime.settings)
    if only is not None:
        mailboxes = tuple(m for m in mailboxes if m.key == only)
        if not mailboxes:
            raise MailboxesFileError(
                runtime.settings.mailboxes_file or "(none)",
                f"no mailbox has the key '{only}'", f"没有键为“{only}”的邮箱")
    return [_poller(runtime, mailbox) for mailbox in mailboxes]


def _poller(runtime: Runtime, mailbox: Mailbox) -> Poller:
    """The IMAP poller when the mailbox has an IMAP account, else its local folder."""
    settings = mailbox.poller_settings(runtime.settings)
    if mailbox.imap is not None:
        from workers.app import token_provider
        from workers.imap_poller import ImapPoller

        return ImapPoller(
            settings=settings,
            session_factory=runtime.factory,
            enqueue=runtime.enqueue_inbound_batch,
            holder=holder_name(),
            token_provider=token_provider(settings) if mailbox.imap.oauth2 else None,
            mailbox_key=mailbox.key,
        )
    return FolderPoller(
        inbox=mailbox.inbox,
        mailbox_name=mailbox.ledger_name,
        session_factory=runtime.factory,
        enqueue=runtime.enqueue_inbound_batch,
        holder=holder_name(),
        interval=settings.folder_poll_seconds,
        lease_seconds=settings.lease_seconds,
        mailbox_key=mailbox.key,
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
    from workers.queues import OCR_QUEUE

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


def import_parts(*, work: bool, schedule: bool) -> None:
    """Import what the chosen parts run, before any of their threads starts.

    Only what they run: the pipeline the workers turn mail into cases with, the
    scheduler's letters and PDFs, cost a poller half a second of start-up it has no
    use for. Imported here, not by a first message or a first timed job: no thread
    imports a module while another runs.
    """
    if work:
        from workers.actors import import_pipeline

        import_pipeline()
    if schedule:
        import workers.scheduler  # noqa: F401


def serve(
    runtime: Runtime,
    *,
    poll: bool,
    work: bool,
    schedule: bool = False,
    stop: threading.Event | None = None,
    on_ready: Callable[[], None] | None = None,
    queues: set[str] | None = None,
    mailbox: str | None = None,
) -> None:
    """Run the chosen parts until SIGINT/SIGTERM (or ``stop``), then shut down cleanly.

    Polling watches every configured mailbox, one thread each (or only ``mailbox``).
    """
    stop = stop or threading.Event()
    _stop_on_signals(stop)
    import_parts(work=work, schedule=schedule)
    threads: list[threading.Thread] = []
    workers = start_workers(runtime, queues) if work else []
    if poll:
        pollers = make_pollers(runtime, mailbox)
        scans = ScanFolderPoller(
            settings=runtime.settings,
            session_factory=runtime.factory,
            enqueue=runtime.enqueue_scans,
            holder=holder_name(),
        )
        for poller in pollers:
            threads.append(_thread(f"poller-{poller.mailbox_key}", poller.run, stop))
        threads.append(_thread("scan-poller", lambda: scans.run(stop)))
        threads.append(_thread("sweeper", lambda: run_sweeper(runtime, stop)))
    if schedule:
        from workers.scheduler import run_scheduler

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


def _thread(name: str, target: Callable[..., None], *args: object) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, name=name, daemon=True)
    thread.start()
    return thread


def _stop_on_signals(stop: threading.Event) -> None:
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
