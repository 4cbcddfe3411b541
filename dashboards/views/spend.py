import streamlit as st

from dashboards import charts, filters, queries, ui

st.title("Spend overview")
if not ui.empty_warehouse():
    chosen = filters.current()
    now, before = queries.spend_totals(chosen), queries.spend_totals(chosen.previous())
    st.caption(f"{chosen.start} to {chosen.end}, against {chosen.previous().start} to "
               f"{chosen.previous().end}")
    spend, at_risk, calls, tokens, unpriced = st.columns(5)
    spend.metric("Spend", ui.money(now["spend"]), ui.change(now["spend"], before["spend"]),
                 delta_color="inverse")
    at_risk.metric("Spend at risk (estimated)", ui.money(now["at_risk"]),
                   help=ui.AT_RISK_HELP.format(calls=now["usage_unknown_calls"]))
    calls.metric("Calls", f"{now['calls']:,}", ui.change(now["calls"], before["calls"]),
                 delta_color="off")
    tokens.metric("Tokens", f"{now['tokens']:,}", ui.change(now["tokens"], before["tokens"]),
                  delta_color="off")
    unpriced.metric("Unpriced calls", f"{now['unpriced_calls']:,}",
                    help="Calls whose model has no price: their cost is unknown, not zero.")

    grain = st.segmented_control("Trend by", ["Day", "Week", "Month"], default="Day",
                                 key="spend_grain") or "Day"
    trend = queries.spend_trend(chosen, grain)
    charts.over_time(trend, "period", "spend", grain=grain, color="provider",
                     value_title="USD", money=True)

    left, right = st.columns(2)
    with left:
        st.subheader("Spend by")
        dimension = st.selectbox("Breakdown by", list(queries.DIMENSIONS),
                                 key="spend_dimension", label_visibility="collapsed")
        breakdown = queries.spend_breakdown(chosen, dimension)
        ui.table(breakdown, f"spend_by_{queries.DIMENSIONS[dimension]}", bars=("spend",))
    with right:
        st.subheader("Token mix and cost by bucket")
        st.caption("Input, cached input, cache writes and output are priced differently.")
        mix = queries.bucket_mix(chosen)
        ui.table(mix, "bucket_mix", bars=("cost",))
