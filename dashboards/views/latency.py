import streamlit as st

from dashboards import charts, filters, queries, ui

st.title("Latency and throughput")
if not ui.empty_warehouse():
    chosen = filters.current()
    st.caption("Percentiles are read from logarithmic histograms (within about 9%); the "
               "project filter does not apply to them. Coding agents' transcripts log no "
               "latency: their calls count in the streaming share only.")
    grain = st.segmented_control("Over time by", ["Day", "Week", "Month"], default="Week",
                                 key="latency_grain") or "Week"
    over_time = queries.percentiles(chosen, "latency_ms", grain=grain)
    charts.lines(over_time, "period", ["p50", "p90", "p99"], value_title="latency, ms")
    st.subheader("Latency by provider, model and source")
    ui.table(queries.percentiles(chosen, "latency_ms", by_model=True), "latency_by_model")
    st.subheader("Output tokens per second by provider, model and source")
    ui.table(queries.percentiles(chosen, "output_tokens_per_s", by_model=True),
             "throughput_by_model", bars=("p50",))
    st.subheader("Streaming share")
    ui.table(queries.streaming_share(chosen), "streaming_share")
