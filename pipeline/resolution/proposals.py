"""Department proposals and supervisor decisions.

The department records what it found and proposes a resolution that answers each
point the customer raised. The handling policies decide whether a supervisor must
approve it (above the authority limit, or of a kind that always needs approval);
a standard case under a fixed policy is approved by the policy itself, on the record.
A supervisor approves with instructions or sends it back with comments; the person
who proposed a resolution cannot approve it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.policies import HANDLING_METHODS, Policies
from pipeline.cases.lifecycle import move
from pipeline.db.models import Case, Resolution

POLICY_APPROVER = "policy"
"""Who approved a resolution the fixed policy allows without a supervisor."""


class ProposalError(ValueError):
    """A proposal or decision the process does not allow; the message is for staff."""


@dataclass(frozen=True)
class Proposal:
    """What the department proposes, as entered in the console or the CLI."""

    findings: str
    method: str
    loss_amount: str | Decimal
    compensation_amount: str | Decimal
    answers: Sequence[tuple[str, str]]  # (point the customer raised, our answer)
    next_steps: str = ""
    contact_person: str = ""


AMOUNT_NAMES = {"compensation": ("compensation amount", "赔偿金额"),
                "loss": ("loss amount", "损失金额")}


def _amount(value: str | Decimal, which: str) -> Decimal:
    english, chinese = AMOUNT_NAMES[which]
    try:
        amount = Decimal(str(value).strip() or "0").quantize(Decimal("0.01"))
    except InvalidOperation as exc:
        raise ProposalError(f"The {english} must be a number, such as 120 or 99.50. "
                            f"/ {chinese}须为数字，例如 120 或 99.50。") from exc
    if amount < 0 or amount >= Decimal("1e10"):
        raise ProposalError(f"The {english} must be between 0 and 9,999,999,999.99. "
                            f"/ {chinese}须在 0 到 9,999,999,999.99 之间。")
    return amount


def _checked_answers(answers: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    checked = []
    for number, (point, answer) in enumerate(answers, start=1):
        if not point.strip():
            continue  # an emptied line in the form
        if not answer.strip():
            raise ProposalError(
                f"Point {number} has no answer: the customer gets an answer to every point. "
                f"/ 第 {number} 个问题还没有答复：客户提出的每个问题都要答复。"
            )
        checked.append({"point": point.strip(), "answer": answer.strip()})
    return checked


def propose(
    session: Session, *, case: Case, proposal: Proposal, policies: Policies, by: str, now: datetime
) -> Resolution:
    """Record a proposal (also a revision of a disputed one); approve it at once if the
    fixed policy covers it."""
    if proposal.method not in HANDLING_METHODS:
        raise ProposalError(f"Unknown handling method '{proposal.method}'. / 未知的处理方式。")
    if not proposal.findings.strip():
        raise ProposalError("Say what the investigation found: the notice explains it. "
                            "/ 请写明调查结果，通知书会向客户说明。")
    compensation = _amount(proposal.compensation_amount, "compensation")
    version = (session.scalar(
        select(func.max(Resolution.version)).where(Resolution.case_id == case.id)
    ) or 0) + 1
    resolution = Resolution(
        case_id=case.id, version=version, status="proposed",
        findings=proposal.findings.strip(), method=proposal.method,
        loss_amount=_amount(proposal.loss_amount, "loss"),
        compensation_amount=compensation, next_steps=proposal.next_steps.strip(),
        contact_person=proposal.contact_person.strip(),
        answers=_checked_answers(proposal.answers),
        # After disputes.max_rounds refusals a supervisor decides, whatever the policy.
        needs_approval=(policies.needs_approval(proposal.method, float(compensation))
                        or case.dispute_rounds >= policies.dispute_max_rounds),
        proposed_by=by, proposed_at=now, decided_by="", decision_note="",
    )
    session.add(resolution)
    session.flush()
    move(session, case=case, to="proposed", by=by, resolution=resolution.id,
         method=resolution.method, needs_approval=resolution.needs_approval)
    if not resolution.needs_approval:
        _decide(session, case=case, resolution=resolution, status="approved",
                by=POLICY_APPROVER, note="Within the fixed policy: no approval needed.", now=now)
    return resolution


def current_proposal(session: Session, case: Case) -> Resolution | None:
    """The latest proposal of a case, whatever its state."""
    return session.scalar(
        select(Resolution).where(Resolution.case_id == case.id)
        .order_by(Resolution.version.desc()).limit(1)
    )


def _pending(session: Session, case: Case) -> Resolution:
    resolution = current_proposal(session, case)
    if resolution is None or resolution.status != "proposed" or case.status != "proposed":
        raise ProposalError("This case has no proposal waiting for a decision. "
                            "/ 此案件没有待审批的处理方案。")
    return resolution


def approve(
    session: Session, *, case: Case, by: str, instructions: str, now: datetime
) -> Resolution:
    """A supervisor approves the pending proposal, with instructions if any."""
    resolution = _pending(session, case)
    if by == resolution.proposed_by:
        raise ProposalError("A resolution must be approved by someone other than its author. "
                            "/ 处理方案须由提出人以外的人批准。")
    _decide(session, case=case, resolution=resolution, status="approved", by=by,
            note=instructions.strip(), now=now)
    return resolution


def send_back(session: Session, *, case: Case, by: str, comments: str, now: datetime) -> Resolution:
    """A supervisor returns the proposal to the department with comments."""
    if not comments.strip():
        raise ProposalError("Say what must change: the department reads your comments. "
                            "/ 请写明需要修改什么，部门会看到您的意见。")
    resolution = _pending(session, case)
    _decide(session, case=case, resolution=resolution, status="sent_back", by=by,
            note=comments.strip(), now=now)
    return resolution


def _decide(
    session: Session, *, case: Case, resolution: Resolution, status: str, by: str, note: str,
    now: datetime,
) -> None:
    resolution.status = status
    resolution.decided_by, resolution.decided_at, resolution.decision_note = by, now, note
    move(session, case=case, to="approved" if status == "approved" else "routed", by=by,
         resolution=resolution.id, decision=status, note=note)
