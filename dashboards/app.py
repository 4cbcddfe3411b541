"""The Tokenworks dashboards: `tokenworks dashboard` serves this file with Streamlit.

Pages are thin: each reads the warehouse read-only through dashboards/queries.py, whose
results are cached with a TTL and keyed by the lake's latest snapshot, so a newly committed
run shows on the next load and an ingest in progress is never waited for.
"""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # `streamlit run` puts only this folder on the path
    sys.path.insert(0, str(REPO))

import streamlit as st  # noqa: E402

from dashboards import filters, queries  # noqa: E402

# The page scripts live in views/: a folder named pages/ would also be read by Streamlit as
# pages of its own, and a first visit to a URL such as /data-quality reported "Page not found".
PAGES = [
    st.Page("views/spend.py", title="Spend overview", url_path="spend", default=True),
    st.Page("views/cost_drivers.py", title="Cost drivers", url_path="cost-drivers"),
    st.Page("views/latency.py", title="Latency and throughput", url_path="latency"),
    st.Page("views/scenarios.py", title="Scenarios", url_path="scenarios"),
    st.Page("views/hardware.py", title="Hardware", url_path="hardware"),
    st.Page("views/prices.py", title="Prices", url_path="prices"),
    st.Page("views/reconciliation.py", title="Reconciliation", url_path="reconciliation"),
    st.Page("views/budgets.py", title="Budgets", url_path="budgets"),
    st.Page("views/data_quality.py", title="Data quality", url_path="data-quality"),
    st.Page("views/inspector.py", title="Inspector", url_path="inspector"),
]

st.set_page_config(page_title="Tokenworks", layout="wide")
page = st.navigation(PAGES)
filters.sidebar()
page.run()
# Drawn last, so a browser (and the benchmark) knows the page has finished rendering.
st.caption(f"Tokenworks · {page.title} · {queries.lake()} · read-only")
