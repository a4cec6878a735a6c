"""评论导入's reads: a community's livestreams, their comment batches, a batch's candidates and chatter, and the
comments behind a candidate. Counts are SQL aggregates; every filter a bound parameter."""

import datetime as dt

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from data_models import LivestreamSession, Request
from data_models.base import table_of
from data_models.enums import CandidateStatus
from data_models.live import CommentBatch, CommentCandidate, LivestreamComment

LIVE = table_of(LivestreamSession)
BATCH = table_of(CommentBatch)
CANDIDATE = table_of(CommentCandidate)
COMMENT = table_of(LivestreamComment)
REQUEST = table_of(Request)

LIVESTREAM_COLUMNS = ["code", "held_on", "title", "platform", "batches"]
BATCH_COLUMNS = ["id", "platform", "filename", "total", "chatter", "candidates", "pending", "uploaded_by",
                 "uploaded_at"]
CANDIDATE_COLUMNS = ["id", "status", "label", "category", "comments", "endorsements", "first_at", "request",
                     "merged_into_id", "version"]
COMMENT_COLUMNS = ["id", "seq", "said_at", "nickname", "text"]


def livestreams(session: Session, *, community_id: int, limit: int = 50) -> pd.DataFrame:
    """The community's livestreams for the picker, newest first, with how many comment files each has."""
    n = (sa.select(sa.func.count()).select_from(BATCH).where(BATCH.c.session_id == LIVE.c.id)
         .correlate(LIVE).scalar_subquery())
    rows = session.execute(sa.select(LIVE.c.code, LIVE.c.held_on, LIVE.c.title, LIVE.c.platform, n)
                           .where(LIVE.c.community_id == community_id)
                           .order_by(LIVE.c.held_on.desc(), LIVE.c.id.desc()).limit(limit)).all()
    return pd.DataFrame(rows, columns=LIVESTREAM_COLUMNS)


def livestream_community(session: Session, code: str) -> int | None:
    return session.execute(sa.select(LIVE.c.community_id).where(LIVE.c.code == code)).scalar()


def imported_at(session: Session, *, livestream_code: str, content_sha256: str) -> dt.datetime | None:
    """When these very comments were imported into the livestream already (None: never), to warn before importing."""
    return session.execute(sa.select(BATCH.c.uploaded_at).join(LIVE, LIVE.c.id == BATCH.c.session_id)
                           .where(LIVE.c.code == livestream_code, BATCH.c.sha256 == content_sha256)).scalar()


def batches(session: Session, *, livestream_code: str) -> pd.DataFrame:
    """The livestream's comment files, newest first, with their candidates (all and still pending)."""
    counts = (sa.select(CANDIDATE.c.batch_id, sa.func.count().label("candidates"),
                        sa.func.sum(sa.case((CANDIDATE.c.status == CandidateStatus.pending, 1), else_=0))
                        .label("pending"))
              .group_by(CANDIDATE.c.batch_id).subquery())
    rows = session.execute(
        sa.select(BATCH.c.id, BATCH.c.platform, BATCH.c.filename, BATCH.c.total, BATCH.c.chatter,
                  sa.func.coalesce(counts.c.candidates, 0), sa.func.coalesce(counts.c.pending, 0),
                  BATCH.c.uploaded_by, BATCH.c.uploaded_at)
        .join(LIVE, LIVE.c.id == BATCH.c.session_id)
        .outerjoin(counts, counts.c.batch_id == BATCH.c.id)
        .where(LIVE.c.code == livestream_code)
        .order_by(BATCH.c.uploaded_at.desc(), BATCH.c.id.desc())).all()
    frame = pd.DataFrame(rows, columns=BATCH_COLUMNS)
    for column in ("total", "chatter", "candidates", "pending"):
        frame[column] = frame[column].astype(int)
    return frame


def candidates(session: Session, *, batch_id: int) -> pd.DataFrame:
    """The batch's candidates: pending first, then by 附议 (most first) and first time."""
    pending_first = sa.case((CANDIDATE.c.status == CandidateStatus.pending, 0), else_=1)
    rows = session.execute(
        sa.select(CANDIDATE.c.id, CANDIDATE.c.status, CANDIDATE.c.label, CANDIDATE.c.category, CANDIDATE.c.comments,
                  CANDIDATE.c.endorsements, CANDIDATE.c.first_at, REQUEST.c.code, CANDIDATE.c.merged_into_id,
                  CANDIDATE.c.version)
        .outerjoin(REQUEST, REQUEST.c.id == CANDIDATE.c.request_id)
        .where(CANDIDATE.c.batch_id == batch_id)
        .order_by(pending_first, CANDIDATE.c.endorsements.desc(), CANDIDATE.c.first_at, CANDIDATE.c.id)).all()
    frame = pd.DataFrame(rows, columns=CANDIDATE_COLUMNS)
    frame["status"] = frame["status"].astype(str)
    frame["category"] = frame["category"].map(lambda c: None if c is None else str(c))
    return frame


def comments_of(session: Session, *, candidate_id: int) -> pd.DataFrame:
    """The comments behind a candidate, in the order they were written."""
    rows = session.execute(
        sa.select(COMMENT.c.id, COMMENT.c.seq, COMMENT.c.said_at, COMMENT.c.nickname, COMMENT.c.text)
        .where(COMMENT.c.candidate_id == candidate_id)
        .order_by(COMMENT.c.said_at.is_(None), COMMENT.c.said_at, COMMENT.c.seq)).all()
    return pd.DataFrame(rows, columns=COMMENT_COLUMNS)


def chatter_by_rule(session: Session, *, batch_id: int) -> pd.DataFrame:
    """How many comments of the batch each chatter rule set aside (rule, comments), most first."""
    n = sa.func.count().label("comments")
    rows = session.execute(sa.select(COMMENT.c.chatter_rule, n)
                           .where(COMMENT.c.batch_id == batch_id, COMMENT.c.chatter_rule.is_not(None))
                           .group_by(COMMENT.c.chatter_rule).order_by(n.desc(), COMMENT.c.chatter_rule)).all()
    return pd.DataFrame(rows, columns=["rule", "comments"])


def chatter_comments(session: Session, *, batch_id: int, rule: str, limit: int = 200) -> pd.DataFrame:
    """The comments one rule set aside (the first `limit`, in file order)."""
    rows = session.execute(
        sa.select(COMMENT.c.id, COMMENT.c.seq, COMMENT.c.said_at, COMMENT.c.nickname, COMMENT.c.text)
        .where(COMMENT.c.batch_id == batch_id, COMMENT.c.chatter_rule == rule)
        .order_by(COMMENT.c.seq).limit(limit)).all()
    return pd.DataFrame(rows, columns=COMMENT_COLUMNS)
