"""LLM Flight Recorder dashboard: overview, traces and a playground.

Everything it shows comes from the recorder's functions over HTTP, never from
the database. Where the functions are is read from the environment or from
Streamlit's secrets (see `console/config.py`). Run it with
`streamlit run dashboard/app.py`.
"""

from __future__ import annotations

import streamlit as st

from console import config, fetch

st.set_page_config(page_title="LLM Flight Recorder", page_icon="🛫", layout="wide")

pages = st.navigation(
    [
        st.Page("views/overview.py", title="Overview", icon="📊", default=True),
        st.Page("views/traces.py", title="Traces", icon="🧾"),
        st.Page("views/playground.py", title="Playground", icon="💬"),
    ]
)

with st.sidebar:
    if st.button("Refresh", icon="🔄", help="Read everything again from the functions"):
        fetch.refresh()
    st.caption(f"Answers are kept {fetch.TTL_SECONDS} s. Times are UTC.")
    connection = fetch.connection()
    with st.expander("Connection"):
        for function, where in connection.status().items():
            st.caption(f"**{function}**: {where}")
        key = "set" if connection.api_key else f"not set ({config.API_KEY})"
        st.caption(f"**API key**: {key}")
        token = "sent" if connection.google_auth else f"not sent ({config.GOOGLE_AUTH})"
        st.caption(f"**Google ID token**: {token}")

pages.run()
