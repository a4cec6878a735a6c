"""审计日志: every write, login and failed login, filtered and exported; the hash chain checked on demand."""

import datetime as dt

import streamlit as st

from dashboard import loaders, presenters, presenters_audit
from dashboard.i18n import t
from dashboard.queries.audit_log import AuditFilter

st.header(t("audit.title"))
st.caption(t("audit.caption"))
actions, entities = loaders.load_audit_facets()
c1, c2, c3, c4, c5 = st.columns([2, 2, 2, 2, 2])
actor = c1.text_input(t("audit.actor"), key="audit_actor")
# "" is "any": a None choice would keep its label in the browser after a language switch (see app.py).
action_labels = {"": t("audit.any")} | {a: presenters.audit_action(a) for a in actions}
entity_labels = {"": t("audit.any")} | {e: presenters_audit.audit_entity(e) for e in entities}
action = c2.selectbox(t("audit.action"), list(action_labels), key="audit_action", format_func=action_labels.get)
entity = c3.selectbox(t("audit.entity"), list(entity_labels), key="audit_entity", format_func=entity_labels.get)
since = c4.date_input(t("audit.since"), value=loaders.today() - dt.timedelta(days=90), key="audit_since")
until = c5.date_input(t("audit.until"), value=loaders.today(), key="audit_until")

log, total = loaders.load_audit(AuditFilter(actor or None, action or None, entity or None, since, until))
st.markdown(t("audit.shown", shown=f"{len(log):,}", total=f"{total:,}"))
st.dataframe(presenters_audit.audit_table(log), hide_index=True, width="stretch", height=480)
# The export keeps each change as the JSON the hash chain covers, for checking and for other programs.
loaders.download_table(log, presenters.AUDIT_COLUMNS, title=t("audit.file"), key="audit_xlsx")

if st.button(t("audit.verify"), key="audit_verify", icon=":material/verified:"):
    verdict = loaders.verify_audit()
    if verdict.ok:
        st.success(t("cli.audit_ok", n=f"{verdict.checked:,}"))
        st.code(f"{verdict.head_id}:{verdict.head_hash}", language=None)
        st.caption(t("audit.head", id=verdict.head_id, hash=(verdict.head_hash or "")[:16] + "…"))
    else:
        st.error(t(f"cli.audit_{verdict.reason}", id=verdict.first_bad_id, n=f"{verdict.checked:,}"))
