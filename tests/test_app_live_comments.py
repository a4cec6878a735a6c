"""直播现场 › 评论导入 in AppTest, in Chinese and English: a social worker uploads an export, sees the chatter rules
and the candidates, imports, accepts one (a request 已收集 with its 附议), merges, splits and discards; an unknown
export is mapped once and remembered; a viewer reads the demo batch with no forms and no nicknames; "all
communities" asks for a community.

It drives app_pages/live_comments.py (imported by app_pages/live.py)
and the section picker app_pages/sections.py."""

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from dashboard.db import make_engine
from dashboard.i18n import t, use_language
from seed.live_comments import COMMENTS, example_export
from tests.apptest_helpers import ROOT, add_user, clear_caches, sign_in

PAGE = "app_pages/live.py"
COMMUNITY_A = 1


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    database = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("DATABASE_URL", database)
    clear_caches()
    yield database
    clear_caches()


def open_as(url: str, role: str, *, lang: str = "zh", community: int | None = COMMUNITY_A) -> AppTest:
    add_user(url, "admin")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    assert not at.exception, at.exception
    sign_in(at, *add_user(url, role))
    at.radio(key="lang").set_value(lang).run()
    at.session_state["live_section"] = "comments"
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    if community is not None:
        at.selectbox(key="filter_community").set_value(community).run()
        assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    return " ".join(str(e.value) for group in (at.info, at.caption, at.success, at.error, at.warning, at.markdown)
                    for e in group)


def button(at: AppTest, key: str) -> None:
    at.button(key=key).click().run()
    assert not at.exception, at.exception


def candidate_table(at: AppTest) -> pd.DataFrame:
    """The candidates' table (the one with a status column)."""
    return next(d.value for d in at.dataframe if t("live.comments.col_status") in d.value.columns)


def query(url: str, sql: str, **params: object) -> list[sa.Row]:
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = list(conn.execute(sa.text(sql), params))
    engine.dispose()
    return rows


def choose_older_livestream(at: AppTest) -> str:
    """The demo's latest livestream has a batch already; the one before has none."""
    box = at.selectbox(key="live_comments_livestream")
    code = box.options[1].split(" · ")[0]
    box.set_value(code).run()
    assert not at.exception, at.exception
    return code


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_social_worker_imports_and_accepts(url: str, lang: str) -> None:
    at = open_as(url, "social_worker", lang=lang)
    with use_language(lang):
        code = choose_older_livestream(at)
        assert t("live.comments.no_batch") in texts(at)
        at.get("file_uploader")[0].set_value(("评论.xlsx", example_export(dt.date(2026, 9, 21)),
                                              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
        at.run()
        assert not at.exception, at.exception
        read = next(m for m in at.metric if m.label == t("live.comments.fig_read"))
        assert read.value == str(len(COMMENTS))
        rules = at.dataframe[0].value
        assert list(rules.columns) == [t("live.comments.col_rule"), t("live.comments.col_rule_matches"),
                                       t("live.comments.col_set_aside")]
        assert rules[t("live.comments.col_set_aside")].sum() > 0
        button(at, "live_comments_import")
        assert not at.error, [e.value for e in at.error]
        assert any(t("live.comments.imported", n=str(len(COMMENTS)), candidates="").split("，")[0][:6] in s.value
                   for s in at.success), [s.value for s in at.success]
        table = candidate_table(at)
        endorse = t("live.comments.col_endorsements")
        most = int(table[endorse].map(lambda v: int(str(v).replace(",", ""))).max())
        assert most >= 2                       # near-duplicates grouped (the engine's figures are its tests')
        # The first candidate (most 附议) is chosen: accept it with a description and a category.
        at.radio(key="live_comments_move").set_value("accept").run()
        cid = at.selectbox(key="live_comments_candidate").value
        at.text_area(key=f"live_comments_description_{cid}").input("楼道快递堆放，请设快递点")
        at.selectbox(key=f"live_comments_category_{cid}").set_value("parcel_stacking")
        next(b for b in at.button if b.label == t("live.comments.accept_button")).click().run()
        assert not at.exception, at.exception
        assert not at.error, [e.value for e in at.error]
    rows = query(url, "SELECT r.code, r.status, r.endorsements, r.source FROM request r JOIN comment_candidate c "
                      "ON c.request_id = r.id JOIN comment_batch b ON b.id = c.batch_id "
                      "JOIN livestream_session l ON l.id = b.session_id WHERE l.code = :c", c=code)
    assert len(rows) == 1 and rows[0].status == "collected" and rows[0].source == "comments"
    assert rows[0].endorsements == most
    with use_language(lang):
        assert any(rows[0].code in s.value for s in at.success)


def test_merge_split_discard_in_the_page(url: str) -> None:
    at = open_as(url, "social_worker")
    ids = [int(r.id) for r in query(url, "SELECT id FROM comment_candidate WHERE status = 'pending' "
                                         "ORDER BY endorsements DESC, id")]
    target, other, third = ids[:3]
    at.selectbox(key="live_comments_candidate").set_value(target).run()
    at.radio(key="live_comments_move").set_value("merge").run()
    at.multiselect(key=f"live_comments_merge_{target}").set_value([other]).run()
    button(at, "live_comments_merge_button")
    assert tuple(query(url, "SELECT status, merged_into_id FROM comment_candidate WHERE id = :i", i=other)[0]) == \
        ("merged", target)
    last = int(query(url, "SELECT id FROM livestream_comment WHERE candidate_id = :i ORDER BY id DESC", i=target)[0].id)
    at.selectbox(key="live_comments_candidate").set_value(target).run()
    at.radio(key="live_comments_move").set_value("split").run()
    at.multiselect(key=f"live_comments_split_{target}").set_value([last]).run()
    button(at, "live_comments_split_button")
    assert query(url, "SELECT count(*) FROM comment_candidate WHERE status = 'pending'")[0][0] == len(ids)
    at.selectbox(key="live_comments_candidate").set_value(third).run()
    at.radio(key="live_comments_move").set_value("discard").run()
    button(at, "live_comments_discard_button")
    assert query(url, "SELECT status FROM comment_candidate WHERE id = :i", i=third)[0][0] == "discarded"
    moves = query(url, "SELECT action FROM audit_log WHERE entity = 'comment_candidate' ORDER BY id")
    assert [m[0] for m in moves] == ["comment_merge", "comment_merge", "comment_split", "comment_split",
                                     "comment_discard"]


def test_an_unknown_export_is_mapped_once_and_remembered(url: str) -> None:
    at = open_as(url, "social_worker")
    choose_older_livestream(at)
    data = ("时刻,网名,说了什么\n2026-09-21 19:01:00,甲,快递堆在楼道门口没法走\n"
            "2026-09-21 19:02:00,乙,楼道门口快递太多\n")
    at.get("file_uploader")[0].set_value(("x.csv", data.encode(), "text/csv"))
    at.run()
    assert any(w.value == t("live.comments.map_needed") for w in at.warning)
    at.text_input(key="live_comments_map_platform").input("小红书")
    at.selectbox(key="live_comments_map_text").set_value("说了什么")
    at.selectbox(key="live_comments_map_time").set_value("时刻")
    next(b for b in at.button if b.label == t("live.comments.map_button")).click().run()
    assert not at.exception, at.exception
    assert next(m for m in at.metric if m.label == t("live.comments.fig_read")).value == "2"
    button(at, "live_comments_import")
    saved = query(url, "SELECT platform, text_column, time_column FROM comment_column_map")
    assert [tuple(r) for r in saved] == [("小红书", "说了什么", "时刻")]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_viewer_reads_without_forms_or_nicknames(url: str, lang: str) -> None:
    at = open_as(url, "viewer", lang=lang)
    with use_language(lang):
        assert not [u for u in at.get("file_uploader")]
        assert not [r for r in at.radio if r.key == "live_comments_move"]
        table = candidate_table(at)
        assert t("enum.CandidateStatus.accepted") in set(table[t("live.comments.col_status")])
        assert t("enum.RequestCategory.parcel_stacking") in set(table[t("live.comments.col_category")])
        assert not table[t("live.comments.col_category")].str.startswith("enum.").any()
        behind = at.dataframe[-1].value
        assert t("live.comments.col_nickname") not in behind.columns and len(behind) > 1
        assert t("live.comments.col_text") in behind.columns


def test_all_communities_asks_for_one(url: str) -> None:
    at = open_as(url, "social_worker", community=None)
    assert any(i.value == t("live.comments.pick_community") for i in at.info)


def test_the_set_aside_comments_are_shown_by_rule(url: str) -> None:
    at = open_as(url, "social_worker")
    at.selectbox(key="live_comments_rule").set_value("greeting").run()
    assert not at.exception, at.exception
    shown = [d.value for d in at.dataframe if t("live.comments.col_text") in d.value.columns]
    assert any("主播好" in set(frame[t("live.comments.col_text")]) for frame in shown)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_empty_or_unreadable_file_gets_a_message_and_stores_nothing(url: str, lang: str) -> None:
    at = open_as(url, "social_worker", lang=lang)
    choose_older_livestream(at)
    for name, payload in [("empty.csv", b""), ("bad.xlsx", b"PK\x03\x04 not a workbook")]:
        at.get("file_uploader")[0].set_value((name, payload, "text/csv"))
        at.run()
        assert not at.exception, at.exception
        assert at.error and all(e.value and "Traceback" not in e.value for e in at.error), name
        assert not [b for b in at.button if b.key == "live_comments_import"]
    assert query(url, "SELECT count(*) FROM comment_batch")[0][0] == 1          # the demo's only


@pytest.mark.parametrize("check", [False, True])
def test_a_candidate_someone_else_decided_meanwhile_is_refused_with_a_message(
        url: str, check: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the data version check the click's run reads the cached list, still holding the candidate: the discard
    is checked against the version shown and refused. With it, the click's run reads it decided: its moves were not
    drawn and the click was lost under a caption. Now the moves drawn are the last run's and the click is refused."""
    monkeypatch.setenv("DASHBOARD_DATA_VERSION_CHECK", str(check).lower())
    at = open_as(url, "social_worker")
    cid = int(at.selectbox(key="live_comments_candidate").value)
    at.radio(key="live_comments_move").set_value("discard").run()
    decided = query(url, "SELECT id, status, version FROM comment_candidate WHERE id != :i ORDER BY id", i=cid)
    engine = make_engine(url)
    with engine.begin() as conn:      # another social worker discards it while this page shows version 1
        conn.execute(sa.text("UPDATE comment_candidate SET status = 'discarded', version = version + 1, "
                             "decided_by = 'other' WHERE id = :i"), {"i": cid})
    engine.dispose()
    button(at, "live_comments_discard_button")     # checked against the version shown, not the one read now
    assert any(t("enum.CandidateStatus.discarded") in e.value for e in at.error), [e.value for e in at.error]
    assert query(url, "SELECT decided_by FROM comment_candidate WHERE id = :i", i=cid)[0][0] == "other"
    assert query(url, "SELECT id, status, version FROM comment_candidate WHERE id != :i ORDER BY id",
                 i=cid) == decided                 # no other candidate decided in its place


def test_the_same_comments_again_are_flagged_before_import(url: str) -> None:
    """A user test re-uploaded a file to a livestream that had it and was offered the import again: the page says
    when these comments were imported and offers no import."""
    at = open_as(url, "social_worker", lang="zh")
    with use_language("zh"):
        choose_older_livestream(at)
        payload = ("评论.xlsx", example_export(dt.date(2026, 9, 21)),
                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        at.get("file_uploader")[0].set_value(payload)
        at.run()
        assert not at.warning, [w.value for w in at.warning]
        button(at, "live_comments_import")
        at.get("file_uploader")[0].set_value(payload)
        at.run()
        assert not at.exception, at.exception
        assert any("不能重复导入" in w.value for w in at.warning), [w.value for w in at.warning]
        assert at.button(key="live_comments_import").disabled
