import json

import polars as pl
import streamlit as st

from dashboards import queries, ui
from pipelines import config
from pipelines.analysts import inspector
from pipelines.landing.files import AgentDirs
from pipelines.parsing.lines import Mappings

st.title("Inspector")
st.caption("A raw response through the pipeline's own parser and costing SQL, with the "
           "published price book.")
settings = config.resolve()
agents = AgentDirs(settings.claude_dir, settings.codex_home)
source = st.radio("Inspect", ["Paste or upload a response", "A logged call",
                              "A quarantined record"], horizontal=True, key="inspect_source")

text, stored, result = None, None, None
if source == "Paste or upload a response":
    text = st.text_area("Raw response (JSON, an envelope, or a streamed body)", height=200,
                        key="inspect_text")
    upload = st.file_uploader("or upload a file", key="inspect_upload")
    if upload is not None:
        text = upload.getvalue().decode("utf-8", errors="replace")
elif source == "A logged call":
    wanted = st.text_input("request_id or dedup_key", key="inspect_request_id",
                           value=st.query_params.get("request_id", ""))
    if wanted:
        stored = queries.call_by_id(wanted.strip())
        if stored is None:
            st.error(f"No call {wanted!r} in the ledger.")
        else:
            st.write(f"Logged at `{stored['source_file']}:{stored['source_line']}`")
            st.caption(ui.logged_by(stored))
            if stored["source"] == "api_log":
                raw = inspector.read_record(settings.landing, stored["source_file"],
                                            stored["source_line"], agents)
                text = raw.decode("utf-8", errors="replace") if raw is not None else None
            else:  # read on from the file's start, as the reader read it
                result = inspector.inspect_logged(
                    stored, settings.landing, queries.lake(), settings.price_overrides, agents,
                    Mappings.parse(settings.otel_attributes, settings.litellm_project))
            if text is None and result is None:
                st.warning("The landing file is gone or changed; the ledger row is shown.")
else:
    file_col, line_col = st.columns([3, 1])
    path = file_col.text_input("source_file", key="inspect_quarantine_file")
    line = line_col.number_input("source_line", min_value=1, step=1, key="inspect_line")
    if path:
        record = queries.quarantined_record(path, int(line))
        if record is None:
            st.error("No quarantined record at that file and line.")
        else:
            st.error(f"Rejected: {record['reason']}")
            raw = inspector.read_record(settings.landing, path, int(line), agents)
            text = (raw.decode("utf-8", errors="replace") if raw is not None
                    else record["raw_excerpt"])

if text:
    result = inspector.inspect_text(text, queries.lake(), settings.price_overrides)
if result is not None:
    shown, parsed = st.columns(2)
    with shown:
        st.subheader("Record")
        st.code(result.pretty, language="json", line_numbers=True)
    with parsed:
        if result.rejected:
            st.subheader("Rejected")
            st.error(result.rejected)
        elif result.call is not None:  # the parser either made a call or rejected the record
            st.subheader("Ledger row")
            st.code(json.dumps({k: v for k, v in result.call.items() if v is not None},
                               indent=2, default=str), language="json")
            st.subheader("Cost, line by line")
            if result.costs and result.costs["is_priced"]:
                ui.table(pl.DataFrame(result.cost_lines()), "inspected_cost")
                st.metric("Total", ui.money(result.costs["total_cost"]))
                st.caption(f"Priced as {result.costs['price_model']} with "
                           f"{result.costs['pricebook_version']}")
            elif result.costs and result.costs["cost_status"] == "usage_unknown":
                st.warning("The log holds no usage for this call: its tokens and cost are "
                           "unknown, never $0. It counts as spend at risk (estimated).")
            else:
                st.warning("The model matches nothing in the price book: unpriced, never $0.")
elif stored is not None:
    st.json({k: str(v) for k, v in stored.items()})
