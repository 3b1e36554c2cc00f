"""The routing classifier for a long-running process, trained off the request path.

It lives beside the classifier (not in review) so that intake can use it too: case
opening must not depend on the review package, which depends on cases.

Training on tens of thousands of routed cases takes seconds to a minute; a case page
must not wait for it. The keeper hands out the model it has (None before the first
training, so suggestions fall back to the keyword rules) and, when staff have routed
``RETRAIN_EVERY`` more cases since, retrains in a background thread and swaps the new
model in when it is ready.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db.models import Case
from pipeline.routing.suggest import MIN_TRAINING_SAMPLES, RoutingModel, case_text

log = logging.getLogger(__name__)
CHECK_SECONDS = 30.0
TRAINING_WINDOW = 10_000
"""The classifier learns from this many most recently routed cases."""
RETRAIN_EVERY = 100
"""It is retrained once this many more cases have been routed."""


def _routed_count(session: Session) -> int:
    """Cases routed so far, without flushing the caller's pending rows first: a count
    that only decides when to retrain needs none of them, and a flush in the middle of
    an intake batch makes its acknowledgments count their limits again."""
    with session.no_autoflush:
        return session.scalar(select(func.count()).select_from(Case)
                              .where(Case.department.is_not(None))) or 0


def _train(session: Session) -> RoutingModel:
    rows = session.execute(
        select(Case.subject, Case.what_happened, Case.demands, Case.department)
        .where(Case.department.is_not(None))
        .order_by(Case.id.desc())
        .limit(TRAINING_WINDOW)
    ).all()
    return RoutingModel.train([(case_text(s, w, d or []), str(dept)) for s, w, d, dept in rows])




class ModelKeeper:
    def __init__(self, factory: sessionmaker[Session], *, min_samples: int = 0) -> None:
        """``min_samples``: train only once this many cases are routed (0: at once)."""
        self._factory = factory
        self._min_samples = min_samples
        self._lock = threading.Lock()
        self._model: RoutingModel | None = None
        self._trained_on = -RETRAIN_EVERY
        self._training: threading.Thread | None = None
        self._checked_at: float | None = None

    def current(self, session: Session) -> RoutingModel | None:
        """The latest trained model; starts a retraining if enough decisions are new.

        Counting routed cases reads the whole table, so it is done at most every
        ``CHECK_SECONDS``, not on every page.
        """
        now = time.monotonic()
        with self._lock:
            if self._checked_at is not None and now - self._checked_at < CHECK_SECONDS:
                return self._model
            self._checked_at = now
        return self._refresh(session)

    def _refresh(self, session: Session) -> RoutingModel | None:
        count = _routed_count(session)
        with self._lock:
            stale = (abs(count - self._trained_on) >= RETRAIN_EVERY
                     and count >= self._min_samples)
            if stale and self._training is None:
                self._training = threading.Thread(target=self._retrain, args=(count,),
                                                  name="routing-model", daemon=True)
                self._training.start()
            return self._model

    def wait(self, timeout: float) -> bool:
        """Wait for a running training to finish (benchmarks and tests)."""
        with self._lock:
            training = self._training
        if training is not None:
            training.join(timeout)
        return self._training is None

    def _retrain(self, count: int) -> None:
        began = time.perf_counter()
        try:
            with self._factory() as session:
                model = _train(session)
            with self._lock:
                self._model, self._trained_on = model, count
            log.info("routing model trained", extra={
                "samples": model.sample_count, "seconds": round(time.perf_counter() - began, 1)})
        except Exception:
            log.exception("routing model training failed")
            with self._lock:
                self._trained_on = count  # try again after the next RETRAIN_EVERY decisions
        finally:
            with self._lock:
                self._training = None


_keepers: dict[int, ModelKeeper] = {}
_keepers_lock = threading.Lock()


def shared_keeper(session: Session) -> ModelKeeper:
    """The one keeper of this process for the session's database (intake workers).

    A worker suggests a new case's category from the routing classifier without ever
    waiting for a training: the first cases of a process get the keyword rules, and
    no training starts before a model would be used (``MIN_TRAINING_SAMPLES``).
    """
    engine = session.get_bind().engine
    with _keepers_lock:
        keeper = _keepers.get(id(engine))
        if keeper is None:
            keeper = _keepers[id(engine)] = ModelKeeper(
                sessionmaker(bind=engine), min_samples=MIN_TRAINING_SAMPLES)
        return keeper
