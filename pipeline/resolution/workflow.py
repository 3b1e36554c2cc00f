"""The department-to-customer steps as the console and CLI call them.

Approval and the written notice belong together: an approved resolution the customer
never hears about is the failure the process exists to prevent. These functions run
both in the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from config.policies import Policies
from config.settings import Settings
from pipeline.db.models import Case, Resolution
from pipeline.resolution.notices import issue_resolution_notice
from pipeline.resolution.proposals import Proposal, approve, propose


def submit_proposal(
    session: Session, *, case: Case, proposal: Proposal, settings: Settings, policies: Policies,
    department_name: str, by: str, now: datetime,
) -> Resolution:
    """Record the department's proposal; under the fixed policy the notice goes out at once."""
    resolution = propose(session, case=case, proposal=proposal, policies=policies, by=by, now=now)
    if resolution.status == "approved":
        issue_resolution_notice(session, case=case, resolution=resolution, settings=settings,
                                department_name=department_name, now=now)
    return resolution


def approve_proposal(
    session: Session, *, case: Case, instructions: str, settings: Settings,
    department_name: str, by: str, now: datetime,
) -> Resolution:
    """A supervisor approves; the written notice is issued in the same transaction."""
    resolution = approve(session, case=case, by=by, instructions=instructions, now=now)
    issue_resolution_notice(session, case=case, resolution=resolution, settings=settings,
                            department_name=department_name, now=now)
    return resolution
