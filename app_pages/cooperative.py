"""合作社分配: sales, the exact profit split per period, member statements and the public fund."""

import pandas as pd
import streamlit as st

from dashboard import charts, loaders, presenters
from dashboard.access import Action
from dashboard.i18n import TABS, fmt_yuan, label, t
from dashboard.services import distribution, fund, statements
from dashboard.services.errors import RuleError
from dashboard.text import plain, plain_table, rule_message
from data_models.enums import DistributionBasis

st.header(t("coop.title"))
f = st.session_state.filters
if message := loaders.pop_flash():
    st.success(message, icon=":material/check_circle:")

coops = loaders.visible_cooperatives(f.community_id)
own = loaders.principal().cooperative_code if loaders.own_cooperative_only() else None
if coops.empty:
    st.info(t("access.no_cooperative") if loaders.own_cooperative_only() and own is None else t("common.no_data"))
    st.stop()
names = dict(zip(coops["id"].tolist(), coops["name"].tolist(), strict=True))
coop_id = st.selectbox(t("coop.select"), list(names), format_func=names.__getitem__, key="coop_cooperative")
coop = coops.set_index("id").loc[coop_id]
visible = loaders.member_names_visible(coop["code"])
if own is not None:
    st.caption(t("access.own_cooperative", name=plain(coop["name"])))
st.caption(t("coop.caption", code=plain(coop["code"]), basis=label(DistributionBasis(coop["basis"])),
             carry=t("common.yes") if coop["carry_loss_forward"] else t("common.no")))

# Keyed tabs keep their place across the rerun that follows approving or recording something.
sales_tab, runs_tab, statement_tab, fund_tab = st.tabs([t(k) for k in TABS["coop_tab"]], key="coop_tab",
                                                      on_change="rerun")

with sales_tab:
    monthly = loaders.load_coop_sales_by_month(coop_id)
    if monthly.empty:
        st.info(t("common.no_data"))
    else:
        st.plotly_chart(charts.sales_trend_chart(monthly), width="stretch")
        left, right = st.columns(2)
        channels = loaders.load_coop_channels(coop_id, f.quarter)
        if channels.empty:
            left.info(t("coop.no_sales_quarter", quarter=f.quarter or t("filter.all_quarters")))
        left.plotly_chart(charts.channel_chart(channels), width="stretch")
        with right:
            n = st.slider(t("coop.top_n"), 5, 30, 10, key="coop_top_n")
            st.markdown(f"**{t('coop.top_members', quarter=f.quarter or t('filter.all_quarters'))}**")
            top = presenters.masked(loaders.load_coop_top_members(coop_id, f.quarter, n), visible)
            st.dataframe(presenters.table(top, presenters.TOP_MEMBER_COLUMNS), hide_index=True, width="stretch")
            loaders.download_table(top, presenters.TOP_MEMBER_COLUMNS, title=t("coop.file_top"), key="coop_top_xlsx")

with runs_tab:
    st.markdown(f"**{t('coop.splits')}**")
    st.dataframe(presenters.table(loaders.load_coop_splits(coop_id), presenters.SPLIT_COLUMNS), hide_index=True,
                 width="stretch")
    if loaders.can(Action.distribution_compute):
        with st.form("coop_compute_form"):
            st.markdown(f"**{t('coop.compute')}**")
            c1, c2 = st.columns([2, 1])
            period = c1.text_input(t("coop.period"), value=f.quarter or "", help=t("coop.period_help"),
                                   key="coop_period")
            correction = c2.checkbox(t("coop.correction"), key="coop_correction", help=t("coop.correction_help"))
            unfinished = c2.checkbox(t("coop.unfinished"), key="coop_unfinished", help=t("coop.unfinished_help"))
            if st.form_submit_button(t("coop.compute_button"), type="primary"):
                try:
                    done = loaders.write(distribution.compute_draft, permission=Action.distribution_compute,
                                         cooperative=coop["code"],
                                         cooperative_code=coop["code"], period=period,
                                         actor=loaders.current_actor(), correction=correction,
                                         allow_unfinished=unfinished, today=loaders.today())
                    loaders.flash(t("coop.computed", code=done.run.code, pool=fmt_yuan(done.run.member_pool_cents))
                                  + ("" if done.replaced is None else t("coop.replaced", code=done.replaced.code,
                                                                          by=done.replaced.created_by)))
                    st.rerun()
                except RuleError as err:
                    st.error(rule_message(err))

    runs = loaders.load_coop_runs(coop_id)
    if runs.empty:
        st.info(t("coop.no_runs"))
    else:
        st.dataframe(presenters.table(runs, presenters.RUN_COLUMNS), hide_index=True, width="stretch")
        loaders.download_table(runs, presenters.RUN_COLUMNS, title=t("coop.file_runs"), key="coop_runs_xlsx")
        # A draft recomputed (so deleted) or approved elsewhere since the page showed it: say so, not just unselect.
        gone = loaders.vanished("run", st.session_state.get("coop_run"), runs["code"], coop_id)
        if gone is not None:
            st.warning(t("forms.row_gone", item=plain(str(gone))), icon=":material/sync_problem:")
        # Nothing preselected: the newest run may be a draft nobody meant to look at, let alone approve.
        run_code = st.selectbox(t("coop.run"), runs["code"].tolist(), key="coop_run", index=None,
                                placeholder=t("coop.run_pick"))
    if not runs.empty and run_code is not None:
        run = runs.set_index("code").loc[run_code]
        # The draft as the last run drew it: recomputed meanwhile, the new draft carries the same code.
        computed_at = loaders.as_drawn("run", run_code, pd.Timestamp(run["created_at"]).to_pydatetime())
        left, right = st.columns([2, 3])
        left.plotly_chart(charts.split_chart(presenters.run_pools(run), t("coop.chart_split", code=run_code)),
                          width="stretch")
        with right:
            lines = presenters.masked(loaders.load_run_lines(run_code), visible)
            st.dataframe(presenters.table(lines, presenters.line_columns(coop["basis"])), hide_index=True,
                         width="stretch")
            loaders.download_table(lines, presenters.line_columns(coop["basis"]), title=run_code, key="coop_lines_xlsx")
            if run["status"] == "draft" and loaders.can(Action.distribution_approve) and st.button(
                    t("coop.approve"), key="coop_approve", type="primary", help=t("coop.approve_help")):
                try:
                    loaders.write(distribution.approve, permission=Action.distribution_approve, run_code=run_code,
                                  computed_at=computed_at, actor=loaders.current_actor(), cooperative=coop["code"])
                    loaders.flash(t("coop.approved", code=run_code))
                    st.rerun()
                except RuleError as err:
                    st.error(rule_message(err))

with statement_tab:
    runs = loaders.load_coop_runs(coop_id)
    if runs.empty:
        st.info(t("coop.no_runs"))
    else:
        c1, c2 = st.columns(2)
        s_run = c1.selectbox(t("coop.run"), runs["code"].tolist(), key="coop_statement_run", index=None,
                             placeholder=t("coop.run_pick"))
    if not runs.empty and s_run is None:
        st.caption(t("coop.run_pick_help"))
    elif not runs.empty:
        lines = presenters.masked(loaders.load_run_lines(s_run), visible)
        member_names = dict(zip(lines["code"], lines["name"], strict=True))
        member = c2.selectbox(t("coop.member"), list(member_names), key="coop_statement_member",
                              format_func={c: t("statement.member_value", name=n, code=c)
                                           for c, n in member_names.items()}.get)
        if member:
            stmt = loaders.load_statement(s_run, member)
            st.subheader(t("statement.title"))
            st.table(plain_table(presenters.statement_table(statements.statement_rows(stmt, visible)),
                                 keep="" if visible else "*"), hide_index=True)
            if loaders.can(Action.export):
                st.download_button(t("coop.download_statement"), statements.statement_xlsx(stmt, visible),
                                   file_name=f"{t('statement.file')}_{s_run}_{member}.xlsx",
                                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                   key="coop_statement_download", icon=":material/download:", on_click="ignore")

with fund_tab:
    ledger = loaders.load_fund_ledger(coop_id)
    balance = int(ledger["balance_cents"].iloc[-1]) if len(ledger) else 0
    st.metric(t("coop.balance"), fmt_yuan(balance))
    if len(ledger):
        st.plotly_chart(charts.fund_balance_chart(ledger), width="stretch")
        st.dataframe(presenters.table(ledger, presenters.LEDGER_COLUMNS), hide_index=True, width="stretch")
        loaders.download_table(ledger, presenters.LEDGER_COLUMNS, title=t("coop.file_ledger"), key="coop_ledger_xlsx")
    if loaders.can(Action.fund_spend):
        with st.form("coop_spend_form", clear_on_submit=True):
            st.markdown(f"**{t('coop.spend')}**")
            c1, c2, c3, c4 = st.columns([1, 3, 1, 1])
            spent_on = c1.date_input(t("coop.spent_on"), value=loaders.today(), max_value=loaders.today(),
                                     key="coop_spent_on")
            purpose = c2.text_input(t("coop.purpose"), key="coop_purpose")
            amount = c3.number_input(t("coop.amount"), min_value=0.0, step=1.0, format="%.2f",
                                     key="coop_amount")
            approver = c4.text_input(t("coop.approver"), key="coop_approver")
            if st.form_submit_button(t("coop.spend_button")):
                try:
                    loaders.write(fund.add_spending, permission=Action.fund_spend, cooperative=coop["code"],
                                  cooperative_id=coop_id,
                                  spent_on=spent_on, purpose=purpose, amount_cents=presenters.yuan_to_cents(amount),
                                  approver=approver, actor=loaders.current_actor(), today=loaders.today())
                    loaders.flash(t("coop.spent", amount=fmt_yuan(presenters.yuan_to_cents(amount))))
                    st.rerun()
                except RuleError as err:
                    st.error(rule_message(err))
