"""直播现场 · 现场录入 (issue 16): the keyboard-only form for the community's livestream on air, the last requests
captured in it, and undo of one's own last. Without a livestream today, a social worker opens today's.

Keyboard: the category is a selectbox whose options are numbered (type 3, Enter: no input method needed), the
urgency a horizontal radio (arrow keys), the description and the resident text inputs, where Enter submits the form.
After a save the form is cleared and a tiny script puts the cursor back into the category."""

from typing import Any

import streamlit as st
import streamlit.components.v1 as components

from dashboard import loaders
from dashboard import loaders_capture as data
from dashboard import presenters_capture as view
from dashboard.access import Action
from dashboard.i18n import label, t
from dashboard.services.capture import last_undoable
from dashboard.services.errors import RuleError
from dashboard.text import plain, plain_table, rule_message
from data_models.enums import LivestreamPlatform, RequestPriority

EMPTY = {"live_capture_category": None, "live_capture_urgency": RequestPriority.general.value,
         "live_capture_description": "", "live_capture_resident": ""}
FOCUS = "live_capture_focus"        # how many times the cursor was sent back: a new script each time
# Runs in the component's iframe (same origin, inline: nothing is fetched, so it works without a network).
# 1. Puts the cursor into the category, waiting for the rerun to draw it (a changed count makes a new iframe).
# 2. Once per page: Tab in the category goes straight to the urgency. The select's own "clear" and "open" buttons
#    would otherwise take two more Tabs (the mouse and Backspace still clear it).
FOCUS_SCRIPT = """<script>
/* %d */
(function () {
  var w = window.parent, doc = w.document, tries = 0;
  // Made in the page's own realm: a handler made in this iframe would stop working when a rerun replaces it.
  var onTab = new w.Function('e', [
    "if (e.key !== 'Tab' || e.shiftKey) { return; }",
    "var box = document.querySelector('.st-key-live_capture_category');",
    "if (!box || !box.contains(document.activeElement)) { return; }",
    "var next = document.querySelector('.st-key-live_capture_urgency input:checked') ||",
    "           document.querySelector('.st-key-live_capture_urgency input');",
    "if (next) { e.preventDefault(); next.focus(); }"].join('\\n'));
  if (w.__liveCaptureTab) { doc.removeEventListener('keydown', w.__liveCaptureTab, true); }
  w.__liveCaptureTab = onTab;
  doc.addEventListener('keydown', onTab, true);
  function focusFirst() {
    var box = doc.querySelector('.st-key-live_capture_category input');
    if (box && !box.disabled) { box.focus(); return; }
    if (++tries < 200) { window.setTimeout(focusFirst, 25); }
  }
  focusFirst();
})();
</script>"""


def render(ctx: Any) -> None:
    if ctx.community_id is None:
        st.info(t("live.capture.pick_community"), icon=":material/location_city:")
        return
    if st.session_state.pop("live_capture_reset", False):     # saved: the form starts empty again
        # Set, not removed: a value set before the widget is drawn is sent to the browser, which then clears.
        st.session_state.update(EMPTY)
    writer = loaders.can(Action.request_write)
    live = data.load_on_air(ctx.community_id, ctx.today)
    if live is None:
        st.info(t("live.capture.none_on_air", community=plain(st.session_state.community_name),
                  day=ctx.today.isoformat()), icon=":material/videocam_off:")
        if writer:
            _open_form(ctx)
        return
    st.markdown(":material/radio_button_checked: " + t(
        "live.capture.on_air", code=plain(live.code), title=plain(live.title),
        platform=label(LivestreamPlatform(live.platform)), hosts=plain(live.hosts) or "—"))
    if writer:
        _capture_form(live.code)
    else:
        st.caption(t("live.capture.read_only"))
    _recent(live.code, ctx, writer)
    if writer:
        components.html(FOCUS_SCRIPT % st.session_state.get(FOCUS, 0), height=0)


def _open_form(ctx: Any) -> None:
    platforms = {m.value: label(m) for m in LivestreamPlatform}
    with st.form("live_capture_open_form"):
        st.markdown("**" + t("live.capture.open_title") + "**")
        left, mid, right = st.columns([3, 2, 2])
        title = left.text_input(t("live.capture.title"), key="live_capture_open_title", max_chars=200,
                                value=t("live.capture.default_title", day=ctx.today.isoformat()))
        platform = mid.selectbox(t("live.capture.platform"), list(platforms), key="live_capture_open_platform",
                                 format_func=platforms.__getitem__)
        hosts = right.text_input(t("live.capture.hosts"), key="live_capture_open_hosts", max_chars=200,
                                 value=loaders.principal().username)
        opened = st.form_submit_button(t("live.capture.open_button"), type="primary", icon=":material/videocam:")
    if opened:
        try:
            live = data.open_session(community_id=ctx.community_id, today=ctx.today, title=title,
                                     platform=platform or "", hosts=hosts)
        except RuleError as err:
            st.error(rule_message(err))
            return
        loaders.flash(t("live.capture.opened", code=live.code))
        st.session_state[FOCUS] = st.session_state.get(FOCUS, 0) + 1
        st.rerun()


def _capture_form(code: str) -> None:
    categories, urgencies = view.category_options(), view.urgency_options()
    # No help icons inside the form: each would be one more stop for the Tab key between two fields.
    with st.form("live_capture_form", border=True):
        st.caption(t("live.capture.form_title"))
        left, right = st.columns([2, 3])
        category = left.selectbox(t("live.capture.category"), list(categories), index=None,
                                  key="live_capture_category", format_func=categories.__getitem__,
                                  placeholder=t("live.capture.category_placeholder"))
        urgency = right.radio(t("live.capture.urgency"), list(urgencies), key="live_capture_urgency",
                              index=list(urgencies).index(RequestPriority.general), horizontal=True,
                              format_func=urgencies.__getitem__)
        description = st.text_input(t("live.capture.description"), key="live_capture_description", max_chars=500)
        resident = st.text_input(t("live.capture.resident"), key="live_capture_resident", max_chars=100,
                                 placeholder=t("live.capture.resident_help"))
        saved = st.form_submit_button(t("live.capture.save"), type="primary", icon=":material/save:")
    if not saved:
        return
    if category is None:
        st.error(t("live.capture.category_required"))
        st.session_state[FOCUS] = st.session_state.get(FOCUS, 0) + 1
        return
    try:
        new = data.capture(livestream_code=code, category=category, description=description or "",
                           resident=resident or "", priority=urgency or RequestPriority.general)
    except RuleError as err:
        st.error(rule_message(err))
        return
    loaders.flash(t("live.capture.saved", code=new.code, description=plain(new.description)))
    st.session_state["live_capture_reset"] = True
    st.session_state[FOCUS] = st.session_state.get(FOCUS, 0) + 1
    st.rerun()


UNDO_ASKED = "live_capture_undo_asked"     # the request a click on 撤销上一条 named, with its version


def _recent(code: str, ctx: Any, writer: bool) -> None:
    st.subheader(t("live.capture.recent"))
    items = data.load_recent(code)
    if not items:
        st.caption(t("live.capture.recent_empty"))
        return
    st.table(plain_table(view.recent_frame(items, personal=ctx.personal_data), keep="" if ctx.personal_data else "*"),
             hide_index=True, border="horizontal")
    # The click withdraws the request its button named (bound when it was drawn), never the last one read in the click's
    # own run: another tab of this account may have captured one since, or someone may have handled it.
    asked = st.session_state.pop(UNDO_ASKED, None) if writer else None
    if asked is not None:
        code, version = asked
        try:
            data.undo_last(code=code, version=version, today=ctx.today)
        except RuleError as err:
            st.error(rule_message(err))
        else:
            loaders.flash(t("live.capture.undone", code=code))
            st.rerun()
    mine = last_undoable(items, loaders.principal().username) if writer else None
    if mine is None:
        return
    st.button(t("live.capture.undo", code=mine.code), key="live_capture_undo", icon=":material/undo:",
              help=t("live.capture.undo_help"), on_click=_ask_undo, args=(mine.code, mine.version))


def _ask_undo(code: str, version: int) -> None:
    st.session_state[UNDO_ASKED] = (code, version)
