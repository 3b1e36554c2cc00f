"""Signed survey links: right answers read back, altered, foreign or expired ones refused."""

from __future__ import annotations

import time

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from pipeline.followup.links import (
    SALT,
    SurveyAnswer,
    SurveyLinkError,
    read_survey_answer,
    sign_survey_answer,
)

SECRET = "test-secret-0123456789"


def test_round_trip() -> None:
    token = sign_survey_answer("CP-2026-000007", 4, secret=SECRET)
    assert read_survey_answer(token, secret=SECRET) == SurveyAnswer("CP-2026-000007", 4)


def test_altered_or_foreign_links_are_refused() -> None:
    token = sign_survey_answer("CP-2026-000007", 4, secret=SECRET)
    with pytest.raises(SurveyLinkError, match="not valid"):
        read_survey_answer(token[:-2] + "xx", secret=SECRET)
    with pytest.raises(SurveyLinkError, match="not valid"):
        read_survey_answer(token, secret="another-server")
    forged = URLSafeTimedSerializer(SECRET, salt=SALT).dumps(["CP-2026-000007", 9])
    with pytest.raises(SurveyLinkError, match="not valid"):
        read_survey_answer(forged, secret=SECRET)


def test_expired_links_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    sixty_one_days_ago = int(time.time()) - 61 * 24 * 3600
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: sixty_one_days_ago)
    token = sign_survey_answer("CP-2026-000007", 5, secret=SECRET)
    monkeypatch.undo()
    with pytest.raises(SurveyLinkError, match="expired"):
        read_survey_answer(token, secret=SECRET)


def test_scores_and_secret_are_checked_when_signing() -> None:
    with pytest.raises(ValueError):
        sign_survey_answer("CP-2026-000007", 6, secret=SECRET)
    with pytest.raises(ValueError):
        sign_survey_answer("CP-2026-000007", 3, secret="")
