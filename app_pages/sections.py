"""One section of a page at a time, named in the URL (?section=followups): the picker the training and live pages
share. Streamlit runs the body of every st.tabs tab on each rerun, so tabs would load every section's data per click.

The picker is keyed and kept for the session. The URL names the section by its code (bind="query-params" would write
the label, which changes with the language); the first section keeps the page's plain address, so a link from the
sidebar lands where it says. Labels are fixed when drawn: see app.py's RELABEL_ON_LANGUAGE_CHANGE."""

from collections.abc import Sequence

import streamlit as st

from dashboard.i18n import t


def pick(area: str, codes: Sequence[str]) -> str:
    """The chosen section of `area` (widget key `<area>_section`, labels `<area>.tab.<code>`)."""
    key, first = f"{area}_section", codes[0]
    labels = {code: t(f"{area}.tab.{code}") for code in codes}
    if key not in st.session_state:        # a link such as /training?section=followups opens that section
        asked = st.query_params.get("section")
        st.session_state[key] = asked if asked in codes else first
    section = st.segmented_control(t(f"{area}.section"), list(labels), key=key, required=True,
                                   format_func=labels.__getitem__, label_visibility="collapsed",
                                   persist_state="session") or first
    wanted = None if section == first else section
    if st.query_params.get("section") != wanted:
        if wanted is None:
            del st.query_params["section"]
        else:
            st.query_params["section"] = wanted
    return section
