"""评论导入 services on SQLite and PostgreSQL: preview, store (all or nothing, the same file twice refused, a mapping
remembered), and the moves on candidates (accept into the loop with 附议, merge, split, discard, stale versions)."""

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard import audit
from dashboard.accounts import Principal
from dashboard.comments import reader
from dashboard.comments.types import ColumnMap
from dashboard.i18n import set_language
from dashboard.queries import comments as queries
from dashboard.services import comment_import as svc
from dashboard.services.errors import RuleError
from data_models.enums import Role
from tests import factories as f

D = dt.date
TODAY = D(2025, 12, 1)
SW = Principal("sw", Role.social_worker)

HEADER = "评论时间,用户昵称,评论内容\n"
# The platform the engine recognises these headers as (its names are the engine's to choose).
RECOGNISED = (reader.recognise(tuple(HEADER.strip().split(","))) or ("?",))[0]
ROWS = [
    ("2025-11-03 19:01:00", "张三", "主播好"),
    ("2025-11-03 19:02:00", "李四", "快递都堆在楼道门口，没法走路"),
    ("2025-11-03 19:03:00", "王五", "楼道门口快递堆放太多了没法走"),
    ("2025-11-03 19:04:00", "赵六", "晚上直播太吵了，十一点还在喊"),
    ("2025-11-03 19:05:00", "钱七", "666"),
    ("2025-11-03 19:06:00", "孙八", "快递堆在楼道门口真的没法走路"),
    ("2025-11-03 19:07:00", "周九", "路灯坏了好久没人修，电话13812345678"),
]


def export(rows: list[tuple[str, str, str]] = ROWS, header: str = HEADER) -> bytes:
    return (header + "".join(f"{a},{b},{c}\n" for a, b, c in rows)).encode()


@pytest.fixture
def desk(engine: Engine) -> Engine:
    set_language("zh")
    with engine.begin() as conn:
        c1 = f.community(conn, "C1")
        c2 = f.community(conn, "C2")
        f.livestream(conn, c1, "L1", held_on=D(2025, 11, 3), quarter="2025Q4")
        f.livestream(conn, c1, "L0", held_on=D(2025, 10, 6), quarter="2025Q4")
        f.livestream(conn, c2, "L9", held_on=D(2025, 11, 4), quarter="2025Q4")
    return engine


def stored(engine: Engine, data: bytes = export(), **kw: Any) -> int:
    with Session(engine) as s:
        batch = svc.store(s, **{"livestream_code": "L1", "data": data, "filename": "c.csv", "platform": None,
                                "mapping": None, "actor": SW, "today": TODAY, **kw})
        s.commit()
        assert batch.id is not None
        return batch.id


def count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return f.count(conn, table)


def candidates(engine: Engine, batch_id: int) -> Any:
    with Session(engine) as s:
        return queries.candidates(s, batch_id=batch_id)


def test_preview_recognises_the_platform_and_counts(desk: Engine) -> None:
    with Session(desk) as s:
        seen = svc.preview(export(), "c.csv", session=s)
    assert seen.platform == RECOGNISED and seen.mapping is not None and seen.mapping.text == "评论内容"
    assert seen.read == 7 and seen.chatter == {"greeting": 1, "applause": 1}
    assert seen.grouped == 5 and seen.candidates == 3
    assert seen.prepared is not None and seen.prepared.candidates[0].endorsements == 2
    assert count(desk, "comment_batch") == 0        # nothing stored


def test_store_writes_batch_comments_candidates_and_one_audit_entry(desk: Engine) -> None:
    batch_id = stored(desk)
    with desk.connect() as conn:
        batch = conn.execute(sa.text("SELECT total, chatter, platform, sha256 FROM comment_batch")).one()
        texts = list(conn.execute(sa.text("SELECT text FROM livestream_comment ORDER BY seq")).scalars())
        entries = conn.execute(sa.select(audit.TABLE.c.entity, audit.TABLE.c.after)).all()
    assert (batch.total, batch.chatter, batch.platform) == (7, 2, RECOGNISED) and len(batch.sha256) == 64
    assert "13812345678" not in "".join(texts) and "138****5678" in texts[-1]    # masked before stored
    table = candidates(desk, batch_id)
    assert list(table["comments"]) == [3, 1, 1] and list(table["endorsements"]) == [2, 0, 0]
    assert set(table["status"]) == {"pending"}
    assert table.iloc[0]["first_at"] == dt.datetime(2025, 11, 3, 19, 2)
    assert [e.entity for e in entries] == ["comment_batch"] and '"candidates": 3' in entries[0].after
    with Session(desk) as s:
        rules = queries.chatter_by_rule(s, batch_id=batch_id)
        aside = queries.chatter_comments(s, batch_id=batch_id, rule="applause")
    assert dict(zip(rules["rule"], rules["comments"], strict=True)) == {"greeting": 1, "applause": 1}
    assert list(aside["text"]) == ["666"]


def test_the_same_file_twice_for_one_livestream_is_refused(desk: Engine) -> None:
    stored(desk)
    with pytest.raises(RuleError) as refused:
        stored(desk)
    assert refused.value.key == "comment_import.duplicate_file" and "L1" in refused.value.message()
    assert count(desk, "comment_batch") == 1
    stored(desk, livestream_code="L0")           # another livestream may hold the same file
    assert count(desk, "comment_batch") == 2


def test_the_same_comments_saved_again_in_another_format_are_refused_too(desk: Engine) -> None:
    """The duplicate check is on the comments read, not on the bytes: the export saved again as .xlsx (new bytes,
    new document times) or with a blank line more is the same comments (review)."""
    import io

    import openpyxl
    stored(desk)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER.strip().split(","))
    for row in ROWS:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(RuleError) as refused:
        stored(desk, data=out.getvalue(), filename="again.xlsx")
    assert refused.value.key == "comment_import.duplicate_file"
    with pytest.raises(RuleError):
        stored(desk, data=export() + b",,\n")
    assert count(desk, "comment_batch") == 1


@pytest.mark.parametrize(("data", "key"), [
    (b"", None),                        # the engine's message (its key is the engine's to choose)
    (export(header="time,who,said\n"), "comment_import.map_columns"),
    (export([("2025-11-03 19:01:00", "a", "   ")]), None),      # no text: the engine's message or ours
])
def test_a_bad_file_stores_nothing(desk: Engine, data: bytes, key: str | None) -> None:
    with pytest.raises(RuleError) as refused:
        stored(desk, data=data)
    assert refused.value.key == key or key is None
    assert refused.value.message() != refused.value.key         # a message in the user's language
    assert count(desk, "comment_batch") == count(desk, "livestream_comment") == count(desk, "audit_log") == 0


def test_a_failure_midway_leaves_nothing(desk: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("disk full")
    monkeypatch.setattr(svc.audit, "record", boom)
    with pytest.raises(RuntimeError):
        stored(desk)
    assert count(desk, "comment_batch") == count(desk, "comment_candidate") == count(desk, "livestream_comment") == 0


def test_a_mapping_is_remembered_per_platform_and_reused(desk: Engine) -> None:
    odd = export(header="time,who,said\n")
    mapping = ColumnMap(text="said", time="time", nickname="who")
    with Session(desk) as s:
        assert svc.preview(odd, "c.csv", session=s).mapping is None
        with pytest.raises(RuleError) as refused:
            svc.store(s, livestream_code="L1", data=odd, filename="c.csv", platform=" ", mapping=mapping, actor=SW,
                      today=TODAY)
    assert refused.value.key == "comment_import.platform_required"
    stored(desk, data=odd, platform="小红书", mapping=mapping)
    with desk.connect() as conn:
        saved = conn.execute(sa.text("SELECT platform, text_column, time_column, updated_by FROM comment_column_map"))
        assert [tuple(r) for r in saved] == [("小红书", "said", "time", "sw")]
    with Session(desk) as s:
        again = svc.preview(odd, "c.csv", platform="小红书", session=s)
        anyone = svc.preview(odd, "c.csv", session=s)
    assert again.remembered and again.mapping == mapping and again.platform == "小红书" and again.read == 7
    assert anyone.remembered and anyone.platform == "小红书"
    stored(desk, data=odd, livestream_code="L0", platform="小红书", mapping=None)     # no mapping needed now
    with desk.connect() as conn:
        assert conn.execute(sa.text("SELECT platform FROM comment_batch ORDER BY id")).scalars().all() == \
            ["小红书", "小红书"]


def test_a_mapping_naming_a_missing_column_is_refused(desk: Engine) -> None:
    with pytest.raises(RuleError) as refused:
        stored(desk, data=export(header="time,who,said\n"), platform="x", mapping=ColumnMap(text="内容"))
    assert refused.value.key.startswith("comments.")         # the engine names the column in its message
    assert count(desk, "comment_column_map") == 0


def test_scope_and_role(desk: Engine) -> None:
    with pytest.raises(RuleError) as refused:
        stored(desk, actor=Principal("v", Role.viewer))
    assert refused.value.key == "access.denied_action"
    with desk.connect() as conn:
        c2 = conn.execute(sa.text("SELECT id FROM community WHERE code = 'C2'")).scalar_one()
    with pytest.raises(RuleError) as refused:
        stored(desk, actor=Principal("sw2", Role.social_worker, community_id=c2))
    assert refused.value.key == "comment_import.other_community"
    assert count(desk, "comment_batch") == 0


def test_accept_creates_a_collected_request_with_its_endorsements(desk: Engine) -> None:
    batch_id = stored(desk)
    top = candidates(desk, batch_id).iloc[0]
    with Session(desk) as s:
        req = svc.accept(s, int(top["id"]), version=int(top["version"]), description="楼道快递堆放",
                         category="parcel_stacking", actor=SW, today=TODAY)
        s.commit()
        code = req.code
    with desk.connect() as conn:
        row = conn.execute(sa.text("SELECT status, endorsements, source, raised_on, raised_at, resident, description "
                                   "FROM request WHERE code = :c"), {"c": code}).one()
        cand = conn.execute(sa.text("SELECT status, request_id, version, decided_by FROM comment_candidate "
                                    "WHERE id = :i"), {"i": int(top["id"])}).one()
        moves = conn.execute(sa.text("SELECT entity, action FROM audit_log ORDER BY id")).all()
    assert (row.status, row.endorsements, row.source, row.description) == ("collected", 2, "comments", "楼道快递堆放")
    assert str(row.raised_on) == "2025-11-03" and row.resident == "李四" and row.raised_at is not None
    # 19:02 in Shanghai is 11:02 UTC, stored as UTC as every raised_at is (SQLite keeps no offset: it must not
    # hold the wall-clock time of one source and UTC of another).
    raised = row.raised_at if isinstance(row.raised_at, dt.datetime) else dt.datetime.fromisoformat(row.raised_at)
    assert raised.replace(tzinfo=None) == dt.datetime(2025, 11, 3, 11, 2) or raised == dt.datetime(
        2025, 11, 3, 11, 2, tzinfo=dt.UTC)
    assert (cand.status, cand.version, cand.decided_by) == ("accepted", 2, "sw") and cand.request_id is not None
    assert [tuple(m) for m in moves][-2:] == [("request", "collect"), ("comment_candidate", "comment_accept")]
    assert candidates(desk, batch_id).iloc[-1]["request"] == code
    # The page still showed version 1: someone accepted it meanwhile.
    with pytest.raises(RuleError) as refused, Session(desk) as s:
        svc.accept(s, int(top["id"]), version=1, description="x", category="parcel_stacking", actor=SW, today=TODAY)
    assert refused.value.key == "comment_import.not_pending" and "已采纳" in refused.value.message()


def test_accept_with_a_priority_keeps_it_collected_with_that_urgency(desk: Engine) -> None:
    batch_id = stored(desk)
    second = candidates(desk, batch_id).iloc[1]
    with Session(desk) as s:
        req = svc.accept(s, int(second["id"]), version=1, description="夜间直播噪音", category="livestream_noise",
                         priority="urgent", actor=SW, today=TODAY)
        s.commit()
        assert (str(req.status), str(req.priority), req.endorsements) == ("collected", "urgent", 0)
    with desk.connect() as conn:
        assert conn.execute(sa.text("SELECT priority, status FROM request")).one() == ("urgent", "collected")
    third = candidates(desk, batch_id).iloc[2]
    with pytest.raises(RuleError), Session(desk) as s:
        svc.accept(s, int(third["id"]), version=1, description="x", category="other", priority="martian", actor=SW,
                   today=TODAY)


def test_accept_needs_a_description(desk: Engine) -> None:
    batch_id = stored(desk)
    top = candidates(desk, batch_id).iloc[0]
    with pytest.raises(RuleError) as refused, Session(desk) as s:
        svc.accept(s, int(top["id"]), version=1, description="  ", category="parcel_stacking", actor=SW, today=TODAY)
    assert refused.value.key == "requests.description_required"


def test_merge_moves_the_comments_and_recounts(desk: Engine) -> None:
    batch_id = stored(desk)
    table = candidates(desk, batch_id)
    ids = [int(i) for i in table["id"]]
    with Session(desk) as s:
        counts = svc.merge(s, ids[0], ids[1:], versions={i: 1 for i in ids}, actor=SW)
        s.commit()
    assert counts["comments"] == 5 and counts["endorsements"] == 4
    after = candidates(desk, batch_id).set_index("id")
    assert after.loc[ids[0], "status"] == "pending" and after.loc[ids[0], "endorsements"] == 4
    assert after.loc[ids[0], "version"] == 2 and after.loc[ids[0], "first_at"] == dt.datetime(2025, 11, 3, 19, 2)
    assert list(after.loc[ids[1:], "status"]) == ["merged", "merged"]
    assert list(after.loc[ids[1:], "merged_into_id"]) == [ids[0], ids[0]]
    with Session(desk) as s:
        assert len(queries.comments_of(s, candidate_id=ids[0])) == 5
        assert queries.comments_of(s, candidate_id=ids[1]).empty
    with pytest.raises(RuleError) as refused, Session(desk) as s:       # merged ones do not move again
        svc.discard(s, ids[1], version=2, actor=SW)
    assert refused.value.key == "comment_import.not_pending"


def test_merge_refuses_a_stale_version_and_writes_nothing(desk: Engine) -> None:
    batch_id = stored(desk)
    ids = [int(i) for i in candidates(desk, batch_id)["id"]]
    with Session(desk) as s:
        svc.discard(s, ids[2], version=1, actor=SW)
        s.commit()
    with pytest.raises(RuleError) as refused, Session(desk) as s:
        svc.merge(s, ids[0], ids[1:], versions={i: 1 for i in ids}, actor=SW)
    assert refused.value.key == "comment_import.not_pending"
    after = candidates(desk, batch_id).set_index("id")
    assert after.loc[ids[0], "comments"] == 3 and after.loc[ids[0], "version"] == 1
    assert after.loc[ids[1], "status"] == "pending"
    with pytest.raises(RuleError) as refused, Session(desk) as s:
        svc.merge(s, ids[0], [ids[0]], versions={ids[0]: 1}, actor=SW)
    assert refused.value.key == "comment_import.merge_needs_two"


def test_split_makes_a_new_pending_candidate(desk: Engine) -> None:
    batch_id = stored(desk)
    top = int(candidates(desk, batch_id).iloc[0]["id"])
    with Session(desk) as s:
        behind = queries.comments_of(s, candidate_id=top)
    last = int(behind.iloc[-1]["id"])
    with Session(desk) as s:
        new_id = svc.split(s, top, [last], version=1, actor=SW)
        s.commit()
    after = candidates(desk, batch_id).set_index("id")
    assert (after.loc[top, "comments"], after.loc[top, "endorsements"], after.loc[top, "version"]) == (2, 1, 2)
    assert after.loc[new_id, "status"] == "pending" and after.loc[new_id, "comments"] == 1
    assert after.loc[new_id, "label"] == behind.iloc[-1]["text"]
    assert after.loc[new_id, "first_at"] == dt.datetime(2025, 11, 3, 19, 6)
    with Session(desk) as s:
        rest = [int(i) for i in queries.comments_of(s, candidate_id=top)["id"]]
    for chosen, key in [([], "comment_import.split_choose"), (rest, "comment_import.split_not_all"),
                        ([last], "comment_import.split_choose")]:
        with pytest.raises(RuleError) as refused, Session(desk) as s:
            svc.split(s, top, chosen, version=2, actor=SW)
        assert refused.value.key == key
    with pytest.raises(RuleError) as refused, Session(desk) as s:
        svc.split(s, top, rest[:1], version=1, actor=SW)
    assert refused.value.key == "comment_import.changed_meanwhile"


def test_discard_and_the_audit_chain(desk: Engine) -> None:
    batch_id = stored(desk)
    ids = [int(i) for i in candidates(desk, batch_id)["id"]]
    with Session(desk) as s:
        svc.discard(s, ids[2], version=1, actor=SW)
        s.commit()
    assert candidates(desk, batch_id).set_index("id").loc[ids[2], "status"] == "discarded"
    with desk.connect() as conn:
        assert audit.verify(conn).ok
        n = conn.execute(sa.text("SELECT count(*) FROM audit_log WHERE entity = 'comment_candidate' "
                                 "AND action = 'comment_discard'")).scalar_one()
    assert n == 1


def test_queries_list_livestreams_and_batches(desk: Engine) -> None:
    stored(desk)
    with desk.connect() as conn:
        c1 = conn.execute(sa.text("SELECT id FROM community WHERE code = 'C1'")).scalar_one()
    with Session(desk) as s:
        lives = queries.livestreams(s, community_id=c1)
        files = queries.batches(s, livestream_code="L1")
        none = queries.batches(s, livestream_code="L0")
    assert list(lives["code"]) == ["L1", "L0"] and list(lives["batches"]) == [1, 0]
    assert files.iloc[0][["total", "chatter", "candidates", "pending"]].tolist() == [7, 2, 3, 3]
    assert none.empty


def test_store_reuses_the_preview_of_the_same_bytes_only(desk: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    with Session(desk) as s:
        seen = svc.preview(export(), "c.csv", session=s)
    other = export(ROWS[:3])
    calls: list[bytes] = []
    real = svc.reader.read_comments

    def counted(data: bytes, *args: object, **kwargs: object) -> object:
        calls.append(data)
        return real(data, *args, **kwargs)  # type: ignore[arg-type]
    monkeypatch.setattr(svc.reader, "read_comments", counted)
    first = stored(desk, seen=seen)
    assert calls == []                                  # the page's preview was used
    stored(desk, data=other, seen=seen)                 # another file: read again, its own counts
    assert calls == [other]
    with desk.connect() as conn:
        totals = conn.execute(sa.text("SELECT id, total FROM comment_batch ORDER BY id")).all()
    assert [tuple(r) for r in totals] == [(first, 7), (first + 1, 3)]
