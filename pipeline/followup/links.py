"""One-click survey links a customer can use without logging in.

The survey mail carries one link per score ("1" … "5"). Each link holds the case
reference and the score, signed with the server's secret, so nobody can answer for
another case or forge a score by editing the address, and it expires, so an old mail
found years later cannot change the statistics. Signing (rather than a random token
stored per case) keeps a crash between sending and storing from breaking links.

A link also names its follow-up round (the case's ``reopen_count`` when the survey
was sent): after the case is reopened and closed again, a link from the earlier
survey no longer answers for the new round.
"""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from pipeline.links.signing import timed_serializer

SALT = "complaints.satisfaction-survey"
MAX_AGE_SECONDS = 60 * 60 * 24 * 60
"""Links work for 60 days after the survey mail."""


@dataclass(frozen=True)
class SurveyAnswer:
    """What a valid link says: which case, which score."""

    reference: str
    score: int
    round: int = 0  # the case's reopen_count when the survey was sent


class SurveyLinkError(ValueError):
    """A link that was altered, expired or never ours; the message is for the customer."""


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return timed_serializer(secret, SALT)


def sign_survey_answer(reference: str, score: int, *, secret: str, round: int = 0) -> str:
    """The token for the link that answers ``score`` for case ``reference`` in ``round``."""
    if not 1 <= score <= 5:
        raise ValueError("A satisfaction score is 1 to 5.")
    return _serializer(secret).dumps([reference, score, round])


def read_survey_answer(token: str, *, secret: str, max_age: int = MAX_AGE_SECONDS) -> SurveyAnswer:
    """Check a token from a clicked link and say what it answers."""
    try:
        reference, score, *rest = _serializer(secret).loads(token, max_age=max_age)
        round_ = rest[0] if rest else 0  # links sent before rounds were signed: the first
    except SignatureExpired as exc:
        raise SurveyLinkError(
            "This survey link has expired. 此调查链接已过期。"
        ) from exc
    except (BadSignature, ValueError, TypeError) as exc:
        raise SurveyLinkError(
            "This survey link is not valid. 此调查链接无效。"
        ) from exc
    if (not isinstance(reference, str) or not isinstance(score, int) or not 1 <= score <= 5
            or not isinstance(round_, int) or len(rest) > 1):
        raise SurveyLinkError("This survey link is not valid. 此调查链接无效。")
    return SurveyAnswer(reference, score, round_)


def check_round(answer: SurveyAnswer, reopen_count: int) -> None:
    """Refuse a link from an earlier survey of a case reopened since."""
    if answer.round != reopen_count:
        raise SurveyLinkError(
            "This survey link is from an earlier survey of this complaint and no longer "
            "works. 此调查链接属于本投诉较早的一次回访，已失效。")
