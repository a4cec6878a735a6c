"""直播现场 › 评论导入: upload a livestream's comment export, see what the visible rules set aside and how the rest
group, map unknown columns once (remembered per platform), import; then accept, merge, split or discard the
candidates. Social workers and admins write; everyone else reads."""

from typing import Any

import pandas as pd
import streamlit as st

from dashboard import loaders, presenters
from dashboard import loaders_live as data
from dashboard import presenters_comments as view
from dashboard import presenters_requests as request_view
from dashboard.access import Action
from dashboard.comments.types import ColumnMap
from dashboard.i18n import t
from dashboard.services.comment_import import Preview
from dashboard.services.errors import RuleError
from dashboard.text import plain, rule_message
from data_models.enums import RequestCategory, RequestPriority


def _map_form(seen: Preview, name: str) -> None:
    """The columns the user names for an export whose text column was not recognised."""
    st.warning(t("live.comments.map_needed"), icon=":material/table_chart:")
    headers = [h for h in seen.columns if h]
    none = {"": t("live.comments.map_none")} | {h: h for h in headers}
    with st.form("live_comments_map_form"):
        platform = st.text_input(t("live.comments.map_platform"), key="live_comments_map_platform", max_chars=40,
                                 help=t("live.comments.map_platform_help"))
        left, mid, right = st.columns(3)
        text_at, when_guess, who_guess = view.guess_columns(headers)      # a guess by the headers' names
        text = left.selectbox(t("live.comments.map_text"), headers, key="live_comments_map_text", index=text_at)
        when = mid.selectbox(t("live.comments.map_time"), list(none), key="live_comments_map_time",
                             format_func=none.__getitem__, index=list(none).index(when_guess))
        who = right.selectbox(t("live.comments.map_nickname"), list(none), key="live_comments_map_nickname",
                              format_func=none.__getitem__, index=list(none).index(who_guess))
        if st.form_submit_button(t("live.comments.map_button"), type="primary"):
            if not platform.strip():
                st.error(t("comment_import.platform_required"))
                return
            st.session_state.live_comments_map = {"file": name, "platform": platform.strip(),
                                                  "mapping": ColumnMap(text=text or "", time=when, nickname=who)}
            st.rerun()


def _preview(seen: Preview, personal: bool) -> None:
    prepared = seen.prepared
    assert prepared is not None
    how = t("live.comments.remembered", platform=plain(view.platform_label(seen.platform))) if seen.remembered else \
        t("live.comments.recognised", platform=plain(view.platform_label(seen.platform)))
    mapping = seen.mapping
    assert mapping is not None
    st.caption(how + " " + t("live.comments.columns", text=plain(mapping.text), time=plain(mapping.time or "—"),
                             nickname=plain(mapping.nickname or "—")))
    cols = st.columns(5)
    figures = [("read", seen.read), ("skipped", seen.skipped), ("chatter", sum(seen.chatter.values())),
               ("grouped", seen.grouped), ("candidates", seen.candidates)]
    for box, (key, value) in zip(cols, figures, strict=True):
        box.metric(t(f"live.comments.fig_{key}"), f"{value:,}")
    st.markdown(f"**{t('live.comments.rules_title')}**")
    st.dataframe(view.rules_table(seen.chatter), hide_index=True, width="stretch")
    aside = [c for c in prepared.comments if c.chatter_rule is not None]
    if aside:
        with st.expander(t("live.comments.show_set_aside", n=f"{len(aside):,}")):
            st.dataframe(view.comments_frame(pd.DataFrame(
                [{"seq": c.seq, "said_at": c.said_at, "nickname": c.nickname, "text": c.text,
                  "rule": view.rule_label(c.chatter_rule or "")} for c in aside[:500]]), personal), hide_index=True,
                width="stretch")
    top = pd.DataFrame([{"label": c.label, "endorsements": c.endorsements, "comments": len(c.members)}
                        for c in prepared.candidates[:200]], columns=["label", "endorsements", "comments"])
    st.markdown(f"**{t('live.comments.preview_candidates')}**")
    st.dataframe(presenters.table(top, [c for c in view.CANDIDATE_COLUMNS if c[0] in top.columns]), hide_index=True,
                 width="stretch")


def _upload(code: str, held_on: Any, ctx: Any, first: bool) -> None:
    with st.expander(t("live.comments.upload_title"), expanded=first, icon=":material/upload_file:"):
        st.caption(t("live.comments.upload_help"))
        st.download_button(t("live.comments.example"), lambda: data.example_file(held_on),
                           file_name=t("live.comments.example_name"), key="live_comments_example", on_click="ignore",
                           icon=":material/download:", mime=view.XLSX)
        n = st.session_state.get("live_comments_stored", 0)
        up = st.file_uploader(t("live.comments.file"), type=["xlsx", "csv"], key=f"live_comments_file_{n}")
        if up is None:
            return
        given = st.session_state.get("live_comments_map")
        given = given if given and given.get("file") == up.name else None
        platform = given["platform"] if given else None
        mapping = given["mapping"] if given else None
        try:
            seen = data.preview_comments(up.getvalue(), up.name, platform=platform, mapping=mapping, day=held_on)
        except RuleError as err:
            st.error(rule_message(err), icon=":material/error:")
            st.session_state.pop("live_comments_map", None)      # the columns can be chosen again
            return
        if seen.mapping is None:
            _map_form(seen, up.name)
            return
        _preview(seen, ctx.personal_data)
        before = data.load_imported_at(code, seen.content_sha256)
        if before is not None:       # the same comments (this file, or the export saved again in another format)
            st.warning(t("live.comments.already_imported", code=code, at=f"{before:%Y-%m-%d %H:%M}"),
                       icon=":material/content_copy:")
        if st.button(t("live.comments.import_button", n=f"{seen.candidates:,}"), type="primary",
                     key="live_comments_import", disabled=seen.read == 0 or before is not None):
            try:
                data.store_comments(livestream_code=code, data=up.getvalue(), filename=up.name,
                                    platform=platform or seen.platform, mapping=mapping, today=ctx.today, seen=seen)
            except RuleError as err:
                st.error(rule_message(err), icon=":material/error:")
                return
            st.session_state.pop("live_comments_map", None)
            loaders.flash(t("live.comments.imported", n=f"{seen.read:,}", candidates=f"{seen.candidates:,}"))
            st.rerun()


def _act(row: pd.Series, pending: pd.DataFrame, behind: pd.DataFrame, ctx: Any) -> None:
    """The moves on one pending candidate: accept, merge, split, discard."""
    cid = int(row["id"])
    version = loaders.as_shown("candidate", cid, int(row["version"]))
    shown = loaders.as_shown_all("candidate-merge", [int(i) for i in pending["id"]], pending["version"])
    moves = {m: t(f"live.comments.move_{m}") for m in ("accept", "merge", "split", "discard")}
    move = st.radio(t("live.comments.move"), list(moves), key="live_comments_move", horizontal=True,
                    format_func=moves.__getitem__)
    try:
        if move == "accept":
            kinds = request_view.labels(RequestCategory)
            priorities = request_view.labels(RequestPriority, "live.comments.no_priority")
            guess = row["category"] if row["category"] in kinds else next(iter(kinds))
            with st.form(f"live_comments_accept_{cid}"):
                text = st.text_area(t("requests.page.col_description"), value=str(row["label"]), max_chars=500,
                                    key=f"live_comments_description_{cid}")
                left, right = st.columns(2)
                kind = left.selectbox(t("requests.page.col_category"), list(kinds), index=list(kinds).index(guess),
                                      format_func=kinds.__getitem__, key=f"live_comments_category_{cid}")
                level = right.selectbox(t("requests.page.col_priority"), list(priorities),
                                        format_func=priorities.__getitem__, key=f"live_comments_priority_{cid}")
                st.caption(t("live.comments.accept_help", n=int(row["endorsements"])))
                if st.form_submit_button(t("live.comments.accept_button"), type="primary"):
                    req = data.accept_candidate(cid, version=version, description=text, category=kind,
                                                priority=level or None, today=ctx.today)
                    loaders.flash(t("live.comments.accepted", code=req.code, n=req.endorsements))
                    st.rerun()
        elif move == "merge":
            others = {int(i): str(label)[:60] for i, label in zip(pending["id"], pending["label"], strict=True)
                      if int(i) != cid}
            chosen = st.multiselect(t("live.comments.merge_pick"), list(others), format_func=others.__getitem__,
                                    key=f"live_comments_merge_{cid}")
            if st.button(t("live.comments.merge_button"), key="live_comments_merge_button", type="primary",
                         disabled=not chosen):
                versions = shown
                counts = data.merge_candidates(cid, chosen, versions=versions)
                loaders.flash(t("live.comments.merged", n=len(chosen), endorsements=counts["endorsements"]))
                st.rerun()
        elif move == "split":
            texts = {int(i): str(x)[:80] for i, x in zip(behind["id"], behind["text"], strict=True)}
            chosen = st.multiselect(t("live.comments.split_pick"), list(texts), format_func=texts.__getitem__,
                                    key=f"live_comments_split_{cid}")
            if st.button(t("live.comments.split_button"), key="live_comments_split_button", type="primary",
                         disabled=not chosen):
                data.split_candidate(cid, chosen, version=version)
                loaders.flash(t("live.comments.split_done", n=len(chosen)))
                st.rerun()
        elif st.button(t("live.comments.discard_button"), key="live_comments_discard_button"):
            data.discard_candidate(cid, version=version)
            loaders.flash(t("live.comments.discarded"))
            st.rerun()
    except RuleError as err:
        data.forget_candidates()
        loaders.forget_shown("candidate-status", cid)
        st.error(rule_message(err), icon=":material/error:")


def _candidates(batch_id: int, ctx: Any, writer: bool) -> None:
    table = data.load_candidates(batch_id)
    if table.empty:
        st.info(t("live.comments.no_candidates"))
        return
    st.subheader(t("live.comments.candidates_title"))
    shown = table.assign(first_at=table["first_at"].map(lambda v: "—" if pd.isna(v) else str(v)[:16]),
                         category=table["category"].map(view.category_label))
    st.dataframe(presenters.table(shown, view.CANDIDATE_COLUMNS), hide_index=True, width="stretch",
                 key="live_comments_table")
    names = {int(i): f"{str(label)[:50]} · {t('live.comments.col_endorsements')} {e}"
             for i, label, e in zip(table["id"], table["label"], table["endorsements"], strict=True)}
    # A keyed selectbox keeps the label its choice had (as after a language switch, app.py): after a merge or a
    # split the 附议 in it changed, so the value is given again and the new label is sent.
    gone = loaders.vanished("candidate", st.session_state.get("live_comments_candidate"), names, batch_id)
    if gone is not None:     # merged away or removed by someone else since the page showed it: no move on another
        st.session_state.pop("live_comments_candidate", None)
        st.warning(t("forms.row_gone", item=t("live.comments.pick_candidate") + f" #{gone}"),
                   icon=":material/sync_problem:")
        return
    if st.session_state.get("live_comments_candidate") in names:
        st.session_state["live_comments_candidate"] = st.session_state["live_comments_candidate"]
    cid = st.selectbox(t("live.comments.pick_candidate"), list(names), format_func=names.__getitem__,
                       key="live_comments_candidate")
    if cid is None:
        return
    row = table.set_index("id").loc[cid].copy()
    row["id"] = cid
    behind = data.load_candidate_comments(cid)
    st.markdown(f"**{t('live.comments.behind', n=len(behind))}**")
    if behind.empty:
        st.caption(t("live.comments.behind_moved"))
    else:
        st.dataframe(view.comments_frame(behind, ctx.personal_data), hide_index=True, width="stretch")
    # Decided by someone else since the last run drew its moves: the click is still on those moves, and is refused
    # with the service's message (it names the new state) rather than lost under a caption.
    if loaders.as_drawn("candidate-status", cid, str(row["status"])) != "pending":
        status = t(f"enum.CandidateStatus.{row['status']}")
        request = row["request"]
        st.caption(t("live.comments.decided", status=status) if pd.isna(request) or not request else
                   t("live.comments.decided_request", status=status, code=plain(str(request))))
        return
    if writer:
        _act(row, table[table["status"] == "pending"], behind, ctx)


def render(ctx: Any) -> None:
    if ctx.community_id is None:
        st.info(t("live.comments.pick_community"), icon=":material/location_city:")
        return
    lives = data.load_comment_livestreams(ctx.community_id)
    if lives.empty:
        st.info(t("live.comments.no_livestream"))
        return
    # Widget options are plain text (only labels read Markdown): user text goes in as it is.
    held = {str(c): f"{c} · {d} · {n}" for c, d, n in zip(lives["code"], lives["held_on"], lives["title"],
                                                                       strict=True)}
    code = st.selectbox(t("live.comments.livestream"), list(held), format_func=held.__getitem__,
                        key="live_comments_livestream")
    if code is None:
        return
    held_on = lives.set_index("code").loc[code, "held_on"]
    writer = loaders.can(Action.request_write)
    batches = data.load_comment_batches(code)
    if writer:
        _upload(code, held_on, ctx, batches.empty)
    if batches.empty:
        st.info(t("live.comments.no_batch"))
        return
    files = {int(i): f"{n} · {u:%Y-%m-%d %H:%M}" if not pd.isna(u) else str(n)
             for i, n, u in zip(batches["id"], batches["filename"], batches["uploaded_at"], strict=True)}
    batch_id = st.selectbox(t("live.comments.batch"), list(files), format_func=files.__getitem__,
                            key="live_comments_batch") if len(files) > 1 else next(iter(files))
    if batch_id is None:
        return
    facts = batches.set_index("id").loc[batch_id]
    st.caption(t("live.comments.batch_facts", total=f"{int(facts['total']):,}", chatter=f"{int(facts['chatter']):,}",
                 candidates=f"{int(facts['candidates']):,}", pending=f"{int(facts['pending']):,}",
                 platform=plain(view.platform_label(str(facts["platform"])))))
    chatter = data.load_chatter(batch_id)
    counts = dict(zip(chatter["rule"], chatter["comments"].astype(int), strict=True))
    with st.expander(t("live.comments.rules_title") + f" ({sum(counts.values()):,})"):
        st.dataframe(view.rules_table(counts), hide_index=True, width="stretch")
        if counts:
            names = {c: view.rule_label(c) for c in counts}
            rule = st.selectbox(t("live.comments.rule_pick"), list(names), format_func=names.__getitem__,
                                key="live_comments_rule")
            if rule is not None:
                st.dataframe(view.comments_frame(data.load_chatter_comments(batch_id, rule), ctx.personal_data),
                             hide_index=True, width="stretch")
    _candidates(batch_id, ctx, writer)
