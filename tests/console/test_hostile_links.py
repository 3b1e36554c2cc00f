"""A survey link from an earlier round no longer answers after the case is reopened."""

from __future__ import annotations

from datetime import timedelta

from config.policies import load_policies
from config.secrets import secret_key
from pipeline.db.base import utcnow
from pipeline.db.models import Case, FollowUp
from pipeline.followup.links import sign_survey_answer
from pipeline.followup.surveys import send_follow_up
from pipeline.resolution.closure import reply_after_closing
from tests.console.conftest import ConsoleWorld
from tests.console.test_resolution_http import REF, _case, _propose, _routed
from tests.support.console import add_staff, sign_in


def test_an_old_round_survey_link_does_not_answer_after_a_reopen(world: ConsoleWorld) -> None:
    add_staff(world.runtime.factory, "sam", "supervisor")
    _routed(world)
    _propose(world, "0")
    boss = world.client()
    boss.post(f"/cases/{REF}/decide", data={"csrf_token": sign_in(boss, "sam"),
                                            "decision": "approve"})
    intake = world.client()
    intake.post(f"/cases/{REF}/agreement", data={"csrf_token": sign_in(intake, "ivy"),
                                                 "via": "phone"})
    case = _case(world)
    secret = secret_key(world.settings)
    with world.runtime.factory() as session, session.begin():
        send_follow_up(session, case_id=case.id, settings=world.settings, secret=secret,
                       survey_url="http://testserver/survey", now=utcnow() + timedelta(days=8))
    old_link = "/survey/" + sign_survey_answer(REF, 1, secret=secret, round=0)
    with world.runtime.factory() as session, session.begin():  # the customer writes back
        reopened = session.get(Case, case.id)
        assert reopened is not None and reply_after_closing(
            session, case=reopened, now=utcnow(), policies=load_policies(world.settings))

    holder = world.client()  # whoever kept the old mail
    assert holder.get(old_link).status_code == 400
    refused = holder.post(old_link)
    assert refused.status_code == 400 and "earlier survey" in refused.text
    with world.runtime.factory() as session:
        follow_up = session.get(FollowUp, case.id)
        assert follow_up is not None and follow_up.score is None
    current = "/survey/" + sign_survey_answer(REF, 4, secret=secret, round=1)
    assert holder.get(current).status_code == 200  # this round's link is read
