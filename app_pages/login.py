"""登录: local accounts by username and password, or the organisation's identity provider where one is set up."""

import streamlit as st

from dashboard import gate
from dashboard.i18n import t
from dashboard.services.errors import RuleError
from dashboard.text import rule_message

st.header(t("auth.title"))
if notice := gate.notice():
    st.info(t(notice), icon=":material/info:")

left, _ = st.columns([2, 3])
with left, st.form("login_form", clear_on_submit=True):
    username = st.text_input(t("auth.username"), key="login_username")
    password = st.text_input(t("auth.password"), type="password", key="login_password")
    if st.form_submit_button(t("auth.sign_in"), type="primary", icon=":material/login:"):
        try:
            gate.sign_in(username, password)
            st.rerun()
        except RuleError as err:
            st.error(rule_message(err), icon=":material/lock:")
if gate.oidc_enabled():
    left.button(t("auth.oidc"), key="login_oidc", on_click=gate.oidc_sign_in, icon=":material/badge:")
left.caption(t("auth.help"))
