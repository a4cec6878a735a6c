"""数据导入导出: templates, the validated all-or-nothing upload with a preview, and exports."""

import streamlit as st

from dashboard import loaders, loaders_import, presenters, presenters_import, presenters_report
from dashboard.access import Action
from dashboard.excel import annotate
from dashboard.excel.spec import ENTITIES
from dashboard.i18n import TABS, as_label, t
from dashboard.services.errors import RuleError
from dashboard.text import plain, rule_message

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

st.header(t("io.title"))
f = st.session_state.filters
if message := loaders.pop_flash():
    st.success(message, icon=":material/check_circle:")

entity_labels = {e: as_label(t(f"entity.{e}")) for e in ENTITIES}     # worded now, in this run's language
# Open on the first entity the role may import (社区 for admins), not on a lock.
entities = list(entity_labels)
first = next((i for i, e in enumerate(entities) if loaders.can_import(e)), 0)
entity = st.selectbox(t("io.entity"), entities, index=first, key="io_entity", format_func=entity_labels.get)
may_import = loaders.can_import(entity)
may_export = loaders.can(Action.export)
template_tab, import_tab, batch_tab, export_tab = st.tabs([t(k) for k in TABS["io_tab"]], key="io_tab",
                                                          on_change="rerun")

with template_tab:
    st.caption(t("io.template_help"))
    st.download_button(t("io.download_template"), loaders.template_bytes(entity), file_name=t(
        "io.template_file", entity=t(f"entity.{entity}")), mime=XLSX, key="io_template", on_click="ignore",
        icon=":material/download:")

with import_tab:
    if not may_import:
        st.info(t("access.no_import", entity=t(f"entity.{entity}")), icon=":material/lock:")
    # A committed file leaves the uploader: a new key after each import, so the page does not check it again.
    done = st.session_state.get("io_uploads_done", 0)
    upload = None if not may_import else st.file_uploader(
        t("io.upload"), type=["xlsx", "xls", "csv"], key=f"io_upload_{entity}" + (f"_{done}" if done else ""),
        help=t("io.upload_help"))
    if upload is not None:
        data = upload.getvalue()
        preview = loaders.check_import(entity, data, upload.name)
        for col, (name, value) in zip(st.columns(5), presenters.import_counts(preview), strict=True):
            col.metric(name, value)
        if preview.status == "rejected":
            st.error(t("io.rejected_note", n=len(preview.errors)))
            st.dataframe(presenters.table(presenters.errors_frame(preview.errors), presenters.ERROR_COLUMNS),
                         hide_index=True, width="stretch")
            marked = loaders.annotated_upload(data, upload.name, preview)
            if marked is not None:
                st.download_button(t("io.download_marked"), marked, file_name=annotate.marked_name(upload.name),
                                   mime=XLSX, key="io_marked", on_click="ignore", icon=":material/edit_note:")
        else:
            st.info(t("io.valid_note"))
            if st.button(t("io.commit"), type="primary", key="io_commit"):
                result = loaders.write_import(entity, data, upload.name)
                if result.status == "committed":
                    loaders.flash(t("io.committed", created=f"{result.created:,}", updated=f"{result.updated:,}",
                                    unchanged=f"{result.unchanged:,}"))
                    st.session_state["io_uploads_done"] = done + 1
                    st.rerun()
                st.error(plain(result.errors[0].message) if result.errors else t("excel.status_rejected"))

    if loaders.can(Action.import_undo):
        with st.expander(t("io.undo_title")):
            st.caption(t("io.undo_help"))
            latest = loaders.latest_import(entity)
            # The batch the button undoes is the one the page showed: another admin's import since is refused.
            shown = None if latest is None else loaders.as_shown("undo-batch", entity, int(latest.id))
            if latest is None:
                st.info(t("io.undo_nothing"))
            else:
                st.markdown(t("io.undo_what", file=plain(latest.file_name), who=plain(latest.actor),
                              at=presenters_report.shanghai(latest.at), created=f"{latest.created:,}",
                              updated=f"{latest.updated:,}"))
            # The tick confirms the import named: when another is named (another admin's import, or this one's
            # refusal), it is cleared, except in the run of the click itself, which the refusal above answers.
            named = None if latest is None else int(latest.id)
            if st.session_state.pop("io_undo_untick", False) or (
                    st.session_state.get("io_undo_for", named) != named and not st.session_state.get("io_undo")):
                st.session_state["io_undo_confirm"] = False
            st.session_state["io_undo_for"] = named
            sure = st.checkbox(t("io.undo_confirm"), key="io_undo_confirm", disabled=latest is None)
            if st.button(t("io.undo_button"), key="io_undo", disabled=not sure or latest is None):
                try:
                    summary = loaders.write_undo(entity, batch_id=shown)
                    loaders.flash(t("io.undone", file=plain(summary["file"]), deleted=summary["deleted"],
                                  restored=summary["restored"]))
                except RuleError as err:
                    st.session_state["io_undo_refused"] = rule_message(err)
                    st.session_state["io_undo_untick"] = True
                st.rerun()
            refused = st.session_state.pop("io_undo_refused", None)
            if refused:
                st.error(refused)

with batch_tab:
    # Every file's data type comes from its header, not from the selectbox above; each is checked and they are
    # written together in dependency order, all or nothing (dashboard/excel/batch.py).
    st.caption(t("io.batch.help"))
    batch_done = st.session_state.get("io_batch_done", 0)
    files = st.file_uploader(t("io.batch.upload"), type=["xlsx", "xls", "csv"], accept_multiple_files=True,
                             key="io_batch_upload" + (f"_{batch_done}" if batch_done else ""), help=t("io.upload_help"))
    if files:
        uploads = loaders_import.recognise_uploads([(f.name, f.getvalue()) for f in files])
        preview = loaders_import.check_batch(uploads)
        st.dataframe(presenters_import.files_frame(preview), hide_index=True, width="stretch")
        if preview.status == "rejected":
            st.error(t("io.batch.rejected_note", n=sum(f.status not in ("valid", "committed") for f in preview.files)))
            st.caption(t("io.batch.errors_title"))
            st.dataframe(presenters_import.errors_frame(preview), hide_index=True, width="stretch")
        else:
            st.info(t("io.batch.valid_note", n=len(preview.files), order=presenters_import.order_text(preview)))
            if st.button(t("io.batch.commit", n=len(preview.files)), type="primary", key="io_batch_commit"):
                result = loaders_import.write_batch(uploads)
                if result.status == "committed":
                    loaders.flash(t("io.batch.committed", n=len(result.files), created=f"{result.total('created'):,}",
                                    updated=f"{result.total('updated'):,}",
                                    unchanged=f"{result.total('unchanged'):,}"))
                    st.session_state["io_batch_done"] = batch_done + 1
                    st.rerun()
                # Someone changed the data between the check and the import: say what the import found now.
                st.error(t("io.batch.rejected_note", n=sum(f.status != "valid" for f in result.files)))
                st.dataframe(presenters_import.errors_frame(result), hide_index=True, width="stretch")

with export_tab:
    # Built only while this tab is open: an export of a province's practitioners takes seconds.
    if export_tab.open and not may_export:
        st.info(t("access.no_export"), icon=":material/lock:")
    elif export_tab.open:
        if not loaders.export_personal(entity):
            st.caption(t("io.export_masked"))
        if loaders.export_scope(entity) is not None:
            st.caption(t("io.export_own_cooperative") if loaders.own_cooperative_only() else
                       t("io.export_own_requests"))
        everything = st.checkbox(t("io.export_all"), key="io_export_all")
        community_code = None if everything else loaders.community_code(f.community_id)
        quarter = None if everything else f.quarter
        scope = presenters.export_scope(entity, community=plain(st.session_state.community_name),
                                        quarter=f.quarter or t("filter.all_quarters"))
        st.caption(t("io.export_everything") if everything else scope)
        with st.spinner(t("io.preparing")):
            data, count = loaders.export_bytes(entity, community_code, quarter)
            csv_data = loaders.export_csv_bytes(entity, community_code, quarter)
        st.download_button(t("io.download_export", n=f"{count:,}"), data, file_name=t(
            "io.export_file", entity=t(f"entity.{entity}")), mime=XLSX, key="io_export", on_click="ignore",
            icon=":material/download:")
        st.download_button(t("io.download_csv"), csv_data, mime="text/csv", key="io_export_csv", on_click="ignore",
                           file_name=t("io.export_csv_file", entity=t(f"entity.{entity}")))
