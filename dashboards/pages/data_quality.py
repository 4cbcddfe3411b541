from datetime import UTC, datetime

import streamlit as st

from dashboards import queries, ui

st.title("Data quality")
if not ui.empty_warehouse():
    fresh = queries.freshness()
    last_event, last_run, calls, duplicates = st.columns(4)
    last_event.metric("Last call logged", str(fresh["last_event"] or "—")[:16])
    age = (datetime.now(UTC).replace(tzinfo=None) - fresh["last_run"]
           if fresh["last_run"] else None)
    last_run.metric("Last ingest finished", str(fresh["last_run"] or "—")[:16],
                    f"{age.total_seconds() / 3600:,.1f} h ago" if age else None,
                    delta_color="off")
    calls.metric("Calls in the ledger", f"{fresh['calls']:,}")
    duplicates.metric("Duplicates removed", f"{fresh['duplicates']:,}")
    st.metric("Quarantined records", f"{fresh['quarantined']:,}",
              help="Never dropped: each is listed below with its file, line and reason.")

    reconciliation = queries.reconciliation()
    failing = reconciliation.filter(~reconciliation["reconciles"])
    if len(failing):
        st.error(f"{len(failing)} files do not reconcile")
    else:
        st.success(f"All {len(reconciliation):,} files reconcile: records read = calls staged "
                   "+ records quarantined.")
    st.subheader("Ingestion runs")
    ui.table(queries.ingest_runs(), "ingest_runs")
    st.subheader("Quarantine by reason")
    ui.table(queries.quarantine_reasons(), "quarantine_reasons")
    st.subheader("Quarantined records")
    st.caption("Open one in the Inspector with its file and line.")
    ui.table(queries.quarantine(), "quarantine")
    st.subheader("Calls logged more than once")
    ui.table(queries.duplicates(), "duplicates")
    st.subheader("Files")
    ui.table(reconciliation, "reconciliation")
