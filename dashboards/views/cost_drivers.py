import streamlit as st

from dashboards import charts, filters, queries, ui

st.title("Cost drivers")
if not ui.empty_warehouse():
    chosen = filters.current()
    d = queries.drivers(chosen)
    runaway, caching, repeats, batch = st.columns(4)
    runaway.metric("Runaway generations", f"{d['runaway_calls']:,}",
                   help="Calls stopped at their max tokens (finish_reason = length).")
    runaway.caption(f"cost {ui.money(d['runaway_cost'])}")
    prompt = d["cache_read_tokens"] + d["input_tokens"]
    caching.metric("Cache-hit rate", f"{d['cache_read_tokens'] / prompt:.1%}" if prompt else "—",
                   help="Cache-read tokens over base-rate input plus cache-read tokens.")
    by_model = queries.caching_by_model(chosen)
    caching.caption(f"caching saved {ui.money(by_model['caching_saved'].sum())}")
    repeats.metric("Exact repeats", f"{d['repeat_calls']:,}",
                   help="The same request_hash again the same day: what a response cache "
                        "kept for a day would have answered.")
    repeats.caption(f"a response cache would have saved {ui.money(d['repeat_cost'])}")
    batch.metric("Batch share of calls",
                 f"{d['batch_calls'] / d['calls']:.1%}" if d["calls"] else "—")
    batch.caption(f"batching saved {ui.money(d['batch_saved'])} (50% rule)")
    reasoning, unpriced = st.columns(2)
    reasoning.metric("Reasoning share of output",
                     f"{d['reasoning_tokens'] / d['output_tokens']:.1%}"
                     if d["output_tokens"] else "—")
    unpriced.metric("Unpriced calls", f"{d['unpriced_calls']:,}")

    left, right = st.columns(2)
    with left:
        st.subheader("Prompt length")
        st.caption("Calls per bin of prompt tokens (the project filter does not apply).")
        hist = queries.histogram(chosen, "prompt_tokens")
        charts.histogram(hist, value_title="prompt tokens")
    with right:
        st.subheader("Cost per call")
        hist = queries.histogram(chosen, "cost_usd")
        charts.histogram(hist, value_title="USD per call", money=True)
    # One table at a time, named in the URL: only the open tab is read and drawn.
    runaway_tab, caching_tab, percentiles_tab, spenders_tab, unpriced_tab = st.tabs(
        ["Runaway generations by model", "Caching by model", "Cost per call percentiles",
         "Top spenders", "Unpriced usage"], key="drivers_tab", bind="query-params")
    with runaway_tab:
        if runaway_tab.open:
            ui.table(queries.runaway_by_model(chosen), "runaway_by_model")
    with caching_tab:
        if caching_tab.open:
            ui.table(by_model, "caching_by_model")
    with percentiles_tab:
        if percentiles_tab.open:
            ui.table(queries.percentiles(chosen, "cost_usd", by_model=True),
                     "cost_percentiles")
    with spenders_tab:
        if spenders_tab.open:
            who = st.selectbox("By", ["user_id", "api_key_id", "project"], key="spenders_by")
            ui.table(queries.top_spenders(chosen, who), f"top_{who}")
    with unpriced_tab:
        if unpriced_tab.open:
            ui.table(queries.unpriced(chosen), "unpriced_usage")
