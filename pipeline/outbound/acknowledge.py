"""Acknowledgments: decided, rendered and stored in the same transaction as the case.

The mail is written to the outbox table, not sent here: a worker sends it after the
commit. If the process dies before sending, the outbox row is still there and the
sweep sends it; if it dies after the commit of a send, nothing is sent twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, event, func, select
from sqlalchemy.orm import Session

from config.mailboxes import is_our_address
from config.settings import Settings
from letters.acknowledgment import AckLetter, render_acknowledgment
from letters.compose import is_sendable_address
from pipeline.db.models import Case, InboundMail, OutboundMail
from pipeline.links.status import status_url
from pipeline.outbound.ack_budget import HELD, SENT_LAST_HOUR, hour_ago
from pipeline.outbound.case_mail import store_case_mail


@dataclass(frozen=True)
class AckDecision:
    """Whether to acknowledge, and if not, why (shown to staff in the audit trail)."""

    send: bool
    reason: str = ""
    hold: bool = False  # the hourly budget is used up: store it for staff, do not send


def decide_acknowledgment(
    session: Session,
    *,
    settings: Settings,
    to_address: str,
    mail_date: datetime | None,
    now: datetime,
) -> AckDecision:
    """Apply the loop and backfill rules that keep us from answering robots or old mail."""
    counts = _asked_already(session, to_address)  # taken now: used by this decision or none
    refused = refusal(settings, to_address=to_address, mail_date=mail_date, now=now)
    if refused is not None:
        return refused
    budget = _budget_known(session)
    if counts is None or (budget is None and len(counts) < 3):
        asked = counts_to_ask(session, settings=settings, to_address=to_address, now=now)
        # On the session's connection: the ORM's execute path cost as much again as the
        # statement (0.1 ms per complaint). It does not flush: the automatic mail still
        # pending in the session is counted below instead (a flush per complaint costs
        # more than the rest of this check).
        counts = tuple(session.connection().execute(asked.statement, asked.params).one())
    if budget is None:
        budget = counts[2]
        session.info[_BUDGET] = (session.get_transaction(), budget)
    to_address_pending, budget_pending = _pending_automatic(session, to_address)
    if counts[0] + to_address_pending >= settings.ack_limit_per_address:
        return AckDecision(False, "Too many automatic replies to this address recently.")
    if counts[1] > settings.inbound_limit_per_address_day:
        return AckDecision(False, "This address sent more mail today than a person would.")
    return AckDecision(True, hold=budget + budget_pending >= settings.ack_limit_per_hour)


def refusal(settings: Settings, *, to_address: str, mail_date: datetime | None,
            now: datetime) -> AckDecision | None:
    """The refusal that needs no counting (no address, our own, an old mail), if any."""
    if not is_sendable_address(to_address):
        return AckDecision(False, "No usable sender address to reply to.")
    if is_our_address(settings, to_address):  # any of our mailboxes: never answer ourselves
        return AckDecision(False, "The sender is one of our own addresses.")
    if mail_date is not None and now - mail_date > timedelta(hours=settings.ack_max_age_hours):
        return AckDecision(
            False,
            f"The mail is older than {settings.ack_max_age_hours:g} hours (imported backlog).",
        )
    return None


_BUDGET = "ack_budget_sent_last_hour"


def _budget_known(session: Session) -> int | None:
    """The hourly count this transaction already read, if nothing was flushed since.

    Counting the last hour's automatic mail reads every one of its rows: once per batch
    of complaints, not once per complaint (in a flood of thousands an hour, that count
    was most of the database's work per mail). The batch's own mail is still counted,
    from the session. Mail that other workers commit meanwhile is not, until the next
    batch: each worker may go over the budget by up to one batch (``BATCH_SIZE``, 20),
    where it went over by one before. The budget is a soft cap, a guard against floods
    (see :mod:`pipeline.outbound.ack_budget`), and stays one.
    """
    known = session.info.get(_BUDGET)
    if known is None or known[0] is not session.get_transaction():
        return None
    return int(known[1])


@event.listens_for(Session, "after_flush")
def _forget_budget(session: Session, _context: object) -> None:
    """A flush moves pending mail out of ``session.new``, where it was counted: the
    next decision reads the counts again, now with those rows in the table."""
    session.info.pop(_BUDGET, None)
    session.info.pop(_ASKED, None)


@dataclass(frozen=True)
class CountsAsked:
    """The acknowledgment limits' counts as columns of a SELECT, with their values.

    :func:`decide_acknowledgment` asks them itself, or a caller that makes a round trip
    just before (a new case taking its numbers) adds them to it and hands the answer
    over with :func:`keep_counts`: one round trip per complaint less.
    """

    with_budget: bool
    params: dict[str, Any]

    @property
    def columns(self) -> tuple[Any, ...]:
        """The counts as scalar subqueries, to add to another SELECT."""
        return _count_columns(with_budget=self.with_budget)

    @property
    def statement(self) -> Select[Any]:
        """The counts as a SELECT of their own."""
        return _counts_select(with_budget=self.with_budget)


def counts_to_ask(session: Session, *, settings: Settings, to_address: str,
                  now: datetime) -> CountsAsked:
    """Automatic mail to ``to_address`` in the limit window, its mail in the last day,
    and the last hour's automatic mail (the hourly budget) when this transaction has
    not read it yet (see :func:`_budget_known`)."""
    return CountsAsked(_budget_known(session) is None, {
        "address": to_address,
        "window": now - timedelta(hours=settings.ack_limit_window_hours),
        "day_ago": now - timedelta(days=1),
        "hour_ago": hour_ago(now),
    })


def keep_counts(session: Session, asked: CountsAsked, answer: Sequence[Any]) -> None:
    """Keep what the counts ``asked`` answered, for the next decision about the same
    address in this transaction: until a flush, which moves pending mail from the
    session (where it is counted) to the table, where this answer did not see it."""
    transaction = session.get_transaction()
    session.info[_ASKED] = (transaction, asked.params["address"], tuple(answer))
    if asked.with_budget:  # the budget is no address's: any next decision may use it
        session.info[_BUDGET] = (transaction, answer[2])


def _asked_already(session: Session, to_address: str) -> tuple[Any, ...] | None:
    """The counts kept for ``to_address`` in this transaction, taken (used once)."""
    kept = session.info.pop(_ASKED, None)
    if kept is None or kept[0] is not session.get_transaction() or kept[1] != to_address:
        return None
    return tuple(kept[2])


_ASKED = "ack_counts_asked"


@cache
def _counts_select(*, with_budget: bool) -> Select[Any]:
    return select(*_count_columns(with_budget=with_budget))


@cache
def _count_columns(*, with_budget: bool) -> tuple[Any, ...]:
    """The counts as scalar subqueries, built once each: they run for every complaint."""
    sent_recently = (
        select(func.count(OutboundMail.id))
        .where(
            OutboundMail.to_address == bindparam("address"),
            OutboundMail.auto_reply.is_(True),
            OutboundMail.created_at >= bindparam("window"),
        )
        .scalar_subquery()
    )
    received_today = (
        select(func.count(InboundMail.id))
        .where(
            InboundMail.from_address == bindparam("address"),
            InboundMail.received_at >= bindparam("day_ago"),
        )
        .scalar_subquery()
    )
    if with_budget:
        return (sent_recently, received_today, SENT_LAST_HOUR)
    return (sent_recently, received_today)


def _pending_automatic(session: Session, to_address: str) -> tuple[int, int]:
    """Automatic mail added in this session but not yet written: to ``to_address``, and
    all of it that counts against the hourly budget (held mail does not)."""
    pending = [row for row in session.new if isinstance(row, OutboundMail) and row.auto_reply]
    to_address_count = sum(1 for row in pending if row.to_address == to_address)
    return to_address_count, sum(1 for row in pending if row.status != HELD)


def queue_acknowledgment(
    session: Session,
    *,
    settings: Settings,
    case: Case,
    summary: str,
    in_reply_to: str | None,
    references: tuple[str, ...],
) -> OutboundMail:
    """Render the acknowledgment and add it to the outbox in the caller's transaction."""
    letter = AckLetter(
        reference=case.reference,
        language=case.language,
        customer_name=case.customer_name,
        summary=summary,
        phone_on_file=case.customer_phone,
        phone_written=case.customer_phone_written,
        received_at=case.received_at,
        review_days=settings.review_days,
        company_name=settings.company_name,
        service_phone=settings.service_phone,
        time_zone=settings.time_zone,
        status_url=status_url(settings, case.id),
    )
    return store_case_mail(
        session, settings=settings, case=case, kind="acknowledgment",
        rendered=render_acknowledgment(letter), in_reply_to=in_reply_to,
        references=references, auto_reply=True,
    )
