"""直播现场's cached loaders and writes for the comment import (loaders.py split by area; the other sections keep
theirs in loaders_capture.py, loaders_cases.py, loaders_topics.py)."""

import datetime as dt
from collections.abc import Mapping, Sequence

import pandas as pd
import streamlit as st
from sqlmodel import Session

from dashboard.access import Action
from dashboard.comments.types import ColumnMap
from dashboard.loaders import TTL, get_engine, principal, read_engine, write
from dashboard.queries import comments as queries
from dashboard.services import comment_import as service
from dashboard.services.comment_import import Preview
from data_models import Request
from data_models.live import CommentBatch
from seed.live_comments import example_export


@st.cache_data(ttl=TTL, show_spinner=False)
def load_comment_livestreams(community_id: int) -> pd.DataFrame:
    with Session(read_engine()) as session:
        return queries.livestreams(session, community_id=community_id)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_comment_batches(livestream_code: str) -> pd.DataFrame:
    with Session(read_engine()) as session:
        return queries.batches(session, livestream_code=livestream_code)


def load_imported_at(livestream_code: str, content_sha256: str) -> dt.datetime | None:
    """Not cached: asked once per preview, and it must see an import made a moment ago."""
    with Session(get_engine()) as s:
        return queries.imported_at(s, livestream_code=livestream_code, content_sha256=content_sha256)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_candidates(batch_id: int) -> pd.DataFrame:
    with Session(read_engine()) as session:
        return queries.candidates(session, batch_id=batch_id)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_candidate_comments(candidate_id: int) -> pd.DataFrame:
    with Session(read_engine()) as session:
        return queries.comments_of(session, candidate_id=candidate_id)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_chatter(batch_id: int) -> pd.DataFrame:
    with Session(read_engine()) as session:
        return queries.chatter_by_rule(session, batch_id=batch_id)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_chatter_comments(batch_id: int, rule: str) -> pd.DataFrame:
    with Session(read_engine()) as session:
        return queries.chatter_comments(session, batch_id=batch_id, rule=rule)


@st.cache_data(ttl=600, show_spinner=False, max_entries=8)
def _preview(data: bytes, filename: str, platform: str | None, mapping: ColumnMap | None, day: dt.date | None,
             remembered: int) -> Preview:
    del remembered    # part of the key only: a mapping remembered since must be read again
    with Session(read_engine()) as session:
        return service.preview(data, filename, platform=platform, mapping=mapping, session=session, day=day)


def preview_comments(data: bytes, filename: str, *, platform: str | None, mapping: ColumnMap | None,
                     day: dt.date | None) -> Preview:
    """What the file holds, before it is stored (RuleError for an unreadable file). The uploaded bytes are the
    cache key, so a rerun does not read and group the file again."""
    return _preview(data, filename, platform or None, mapping, day, st.session_state.get("live_comments_stored", 0))


def example_file(day: dt.date | None) -> bytes:
    """示例文件: a 抖音 comment export of the demo's comments, dated on the chosen livestream's day."""
    return example_export(day) if day is not None else example_export()


def store_comments(*, livestream_code: str, data: bytes, filename: str, platform: str | None,
                   mapping: ColumnMap | None, today: dt.date, seen: Preview | None = None) -> CommentBatch:
    batch = write(service.store, permission=Action.request_write, livestream_code=livestream_code, data=data,
                  filename=filename, platform=platform, mapping=mapping, actor=principal(), today=today, seen=seen)
    st.session_state["live_comments_stored"] = st.session_state.get("live_comments_stored", 0) + 1
    return batch


def accept_candidate(candidate_id: int, *, version: int, description: str, category: str, priority: str | None,
                     today: dt.date) -> Request:
    return write(service.accept, permission=Action.request_write, candidate_id=candidate_id, version=version,
                 description=description, category=category, priority=priority, actor=principal(), today=today)


def merge_candidates(target_id: int, other_ids: Sequence[int], *, versions: Mapping[int, int]) -> dict[str, object]:
    return write(service.merge, permission=Action.request_write, target_id=target_id, other_ids=list(other_ids),
                 versions=dict(versions), actor=principal())


def split_candidate(candidate_id: int, comment_ids: Sequence[int], *, version: int) -> int:
    return write(service.split, permission=Action.request_write, candidate_id=candidate_id,
                 comment_ids=list(comment_ids), version=version, actor=principal())


def discard_candidate(candidate_id: int, *, version: int) -> None:
    write(service.discard, permission=Action.request_write, candidate_id=candidate_id, version=version,
          actor=principal())


def forget_candidates() -> None:
    """After a refusal (someone else moved it first) the candidates are read again."""
    for loader in (load_candidates, load_candidate_comments, load_comment_batches):
        loader.clear()
