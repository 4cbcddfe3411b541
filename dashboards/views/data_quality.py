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
    quarantined, without_calls, without_usage, at_risk = st.columns(4)
    quarantined.metric("Quarantined records", f"{fresh['quarantined']:,}",
                       help="Never dropped: each is listed in the Quarantine tab with its file, "
                            "line and reason.")
    reconciliation = queries.reconciliation()
    without_calls.metric("Records without a call",
                         f"{int(reconciliation['without_calls'].sum()):,}",
                         help="Read and counted, not calls: a coding agent's transcript lines "
                              "other than its usage (the user's messages, tool results, "
                              "progress, a repeated Codex total) and span exports without "
                              "GenAI spans. Per file in the Files tab (without_calls).")
    risk = queries.spend_at_risk()
    without_usage.metric("Calls without usage", f"{risk['calls']:,}",
                         help="Their tokens and cost are unknown: see the Usage not logged tab.")
    at_risk.metric("Spend at risk (estimated)", ui.money(risk["at_risk"]),
                   f"beside {ui.money(risk['spend'])} of known spend", delta_color="off",
                   delta_arrow="off",
                   help=ui.AT_RISK_HELP.format(calls=risk["calls"]))

    failing = reconciliation.filter(~reconciliation["reconciles"])
    if len(failing):
        st.error(f"{len(failing)} files do not reconcile")
    else:
        st.success(f"All {len(reconciliation):,} files reconcile: records read = calls staged "
                   "+ records quarantined + records without a call.")
    # One table at a time, named in the URL: only the open tab is read and drawn.
    runs, quarantine, no_usage, duplicated, files, sources = st.tabs(
        ["Ingestion runs", "Quarantine", "Usage not logged", "Calls logged more than once",
         "Files", "By source"], key="quality_tab", bind="query-params")
    with runs:
        if runs.open:
            st.caption("Newest first. To query the warehouse as a run left it: "
                       '`tokenworks sql --as-of RUN_ID "SELECT …"` (a run without a '
                       "snapshot_id had its snapshot expired by maintenance).")
            ui.table(queries.ingestion_runs(), "ingestion_runs")
    with quarantine:
        if quarantine.open:
            st.caption("By reason, then every record. Open one in the Inspector with its file "
                       "and line.")
            ui.table(queries.quarantine_reasons(), "quarantine_reasons")
            ui.table(queries.quarantine(), "quarantine")
    with no_usage:
        if no_usage.open:
            st.caption("Calls that ran but whose log holds no usage: their cost is unknown, "
                       "estimated here and never added to spend. Fix it where they are logged.")
            ui.table(queries.unknown_usage(), "unknown_usage", bars=("estimated_cost",))
    with duplicated:
        if duplicated.open:
            ui.table(queries.duplicates(), "duplicates")
    with files:
        if files.open:
            ui.table(reconciliation, "reconciliation")
    with sources:
        if sources.open:
            st.caption("What logged the calls: api_log (an API log), claude_code or codex_cli "
                       "(a coding agent's session transcripts), otel (OpenTelemetry GenAI "
                       "spans), litellm (LiteLLM's logging payloads); a source whose last day "
                       "lags the others has stopped arriving.")
            ui.table(queries.by_source(), "calls_by_source", bars=("spend",))
