from decimal import Decimal
from typing import Any

import streamlit as st

from dashboards import charts, queries, ui
from pipelines.scenarios import forecast
from pipelines.scenarios.projection import WHOLE_NUMBERS

st.title("Scenarios")
if not ui.empty_warehouse():
    presets: dict[str, dict[str, Any]] = {}
    bounds: dict[str, tuple[Any, Any]] = {}
    for row in queries.scenario_file_values():
        presets.setdefault(row["scenario_id"], {"title": row["title"], "doc": row["doc"],
                                                "values": {}})
        presets[row["scenario_id"]]["values"][row["parameter"]] = row["value"]
        bounds[row["parameter"]] = (row["min_value"], row["max_value"])
    preset_id = st.selectbox("Start from", list(presets), index=list(presets).index(
        "vera_rubin") if "vera_rubin" in presets else 0,
        format_func=lambda key: presets[key]["title"], key="scenario_preset")
    preset = presets[preset_id]["values"]
    st.caption(presets[preset_id]["doc"] + " Projections run from the last actual month; the "
               "sidebar filters do not apply here.")

    def slider(label: str, name: str, key: str, step: float = 0.05):
        """A control over the bounds the scenarios file allows (scenario_parameters), so the
        dashboard and the file never disagree on what a value may be."""
        low, high = bounds[name]
        value = float(preset.get(name, low))
        if name in WHOLE_NUMBERS:
            return st.slider(label, int(low), int(high), int(value), key=f"{key}_{preset_id}")
        return st.slider(label, low, high, value, step, key=f"{key}_{preset_id}")

    controls, results = st.columns([1, 2], gap="large")
    with controls:
        st.subheader("Usage trend")
        methods = ["auto", *forecast.METHODS]
        trend_method = st.selectbox(
            "Trend method", methods, index=methods.index(str(preset.get("trend_method", "auto"))),
            key=f"trend_method_{preset_id}",
            help="auto: the method that backtests best on this warehouse's history (below).")
        st.subheader("Hardware pass-through")
        factor = slider("Hardware factor (x lower cost per token)", "hardware_factor",
                        "factor", 0.5)
        share = slider("Pass-through share", "pass_through_share", "share")
        lag = slider("Lag after availability (months)", "pass_through_lag_months", "lag")
        ramp = slider("Adoption ramp (months)", "adoption_ramp_months", "ramp")
        st.subheader("Optimization levers")
        route = slider("Routing share to smaller models", "route_share", "route")
        cache = slider("Cache-hit rate", "cache_hit_rate", "cache")
        batch = slider("Batch share", "batch_share", "batch")
        prompts = slider("Shorter prompts", "prompt_reduction", "prompts")
        cap = slider("Runaway output avoided", "output_cap_reduction", "cap")
    values = {"hardware_factor": factor, "pass_through_share": share,
              "pass_through_lag_months": lag, "adoption_ramp_months": ramp,
              "route_share": route, "cache_hit_rate": cache, "batch_share": batch,
              "prompt_reduction": prompts, "output_cap_reduction": cap,
              "trend_by": preset.get("trend_by", "model_family"), "trend_method": trend_method}
    monthly = queries.projection(values)
    scores = queries.forecast_methods(str(values["trend_by"]))
    best = scores.filter(scores["best"])["method"].to_list()
    used_method = trend_method if trend_method != "auto" else (best[0] if best else "flat")
    # Sums of DECIMAL columns: Decimal already, which polars types as any number.
    baseline, scenario = Decimal(monthly["baseline"].sum()), Decimal(monthly["scenario"].sum())
    results_area = results.container()
    total, saved, months = results_area.columns(3)
    total.metric("Baseline, 36 months", ui.money(baseline))
    saved.metric("Scenario, 36 months", ui.money(scenario),
                 f"{(scenario - baseline) / baseline:+.1%}" if baseline else None,
                 delta_color="inverse")
    months.metric("Savings", ui.money(baseline - scenario))

    with results_area:
        charts.lines(monthly, "month", ["baseline", "scenario"], value_title="USD per month",
                     money=True)
        st.subheader("Assumptions")
        generations = queries.hardware_generations()
        sources = {r["source_key"]: r for r in queries.hardware_sources().to_dicts()}
        rubin = generations.filter(generations["generation_id"] == "vera-rubin").to_dicts()
        if rubin:
            claim = rubin[0]
            source = sources.get(claim["claim_source"], {})
            st.markdown(f"- **{claim['claim_factor']}x** claimed by NVIDIA: "
                        f"“{claim['claim_quote']}” against Blackwell "
                        f"([{claim['claim_source']}]({source.get('url') or ''}): "
                        f"{source.get('title', '')}). A vendor claim before general "
                        "availability.")
            st.markdown(f"- Availability: {claim['first_shipped']} "
                        f"({claim['first_shipped_precision']} precision, "
                        f"[{claim['first_shipped_source']}]); prices move from "
                        f"**{monthly['pass_through_date'][0]}** (availability + {lag} "
                        "months; the brief's 12-18 months has no source).")
        st.markdown(f"- Usage grows at the {used_method} trend fitted per "
                    f"{values['trend_by'].replace('_', ' ')} on the history (backtest below); "
                    "prices as in force on the last actual day.")
        st.markdown("- API price declines have come mostly from models, software and "
                    "competition: treat the hardware share as a bound. Formulas: "
                    "docs/scenarios.md.")

    st.subheader("Which trend: the backtest")
    st.caption("Each method fitted on the months up to each month of history and scored on the "
               "1 to 3 months after it, as the baseline would have projected them; the error "
               "(sMAPE) is of the total over every "
               f"{values['trend_by'].replace('_', ' ')}. `auto` uses the lowest: "
               f"**{best[0] if best else 'none scored yet'}**.")
    ui.table(scores, "forecast_methods")
    horizon = st.radio("Forecast made", [1, 2, 3], horizontal=True, key="backtest_horizon",
                       format_func=lambda h: f"{h} month{'s' if h > 1 else ''} before")
    against = queries.backtest_against_actual(str(values["trend_by"]), horizon)
    if against.height:
        charts.lines(against, "month", ["actual", *forecast.METHODS],
                     value_title="Tokens per day (all groups)")
    else:
        st.info("Too little history to backtest: at least four months are needed.")

    st.subheader("Savings by")
    by = st.selectbox("Group", ["provider", "model_family", "project"], key="scenario_by")
    ui.table(queries.projection_breakdown(values, by), f"scenario_savings_by_{by}")
    # Read and drawn only when opened (the open one is named in the URL).
    monthly_table = st.expander("Monthly projection (the chart's figures)",
                                key="scenario_monthly", bind="query-params")
    if monthly_table.open:
        with monthly_table:
            ui.table(monthly, "scenario_monthly")
    trends = st.expander("Usage trends fitted on the history", key="scenario_trends",
                         bind="query-params")
    if trends.open:
        with trends:
            ui.table(queries.trend_fits(str(values["trend_by"])), "trend_fits")
    sensitivity = st.expander("Sensitivity of the Vera Rubin era scenario",
                              key="scenario_sensitivity", bind="query-params")
    if sensitivity.open:
        with sensitivity:
            ui.table(queries.sensitivity(), "sensitivity")
