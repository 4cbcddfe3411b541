import re
from decimal import Decimal
from typing import Literal

import streamlit as st

from dashboards import charts, queries, ui
from pipelines.budgets.file import SCOPE_KEYS

Color = Literal["red", "orange", "yellow", "green"]
# Each status (budget_status.status) as a badge: colour, icon and words.
STATUS: dict[str, tuple[Color, str, str]] = {
    "over": ("red", ":material/error:", "Over budget"),
    "forecast_over": ("orange", ":material/trending_up:", "Forecast over"),
    "warning": ("yellow", ":material/warning:", "Warning"),
    "ok": ("green", ":material/check_circle:", "OK")}


def percent(share) -> str:
    """A threshold as the budgets file means it: 0.8 is 80%, 0.125 is 12.5%."""
    return f"{(Decimal(share) * 100).normalize():f}%"


def plain(text: str) -> str:
    """A name shown as itself in a badge's Markdown."""
    return re.sub(r"([\\`*_~])", r"\\\1", text)


st.title("Budgets")
if not ui.empty_warehouse():
    names = queries.budget_names()
    overview = queries.budget_overview()
    if not names:
        st.info("No budget is set. Add one to `budgets/budgets.yaml` (or to the file "
                "TOKENWORKS_BUDGETS names): a name, a period (month or quarter), an amount in "
                "USD, and optionally a scope and thresholds. The next `tokenworks ingest` "
                "evaluates it and raises its alerts (docs/budgets.md).")
    elif not len(overview):
        st.info("The warehouse holds no calls yet: budgets are evaluated against the spend "
                "once `tokenworks ingest` has loaded some.")
    else:
        st.caption(f"Each budget's open period, the one holding the last call day "
                   f"({overview['as_of'].max()!s}): the exact spend so far and a forecast to the "
                   "period's end, the most urgent first. The sidebar filters do not apply "
                   "here: each budget has its own scope and period.")
        with st.container(horizontal=True):
            for row in overview.iter_rows(named=True):
                color, icon, words = STATUS[row["status"]]
                st.badge(f"{plain(row['budget'])}: {words.lower()}", icon=icon, color=color)
        ui.table(overview, "budgets")

        budgets = overview["budget"].to_list()
        budget = st.selectbox("Budget", budgets, key="budget_selected") or budgets[0]
        chosen = overview.row(budgets.index(budget), named=True)
        definition = queries.budget_definition(budget)
        scope = ", ".join(f"{key} {definition[f'scope_{key}']}" for key in SCOPE_KEYS
                          if definition[f"scope_{key}"] is not None) or "every call"
        thresholds = [Decimal(t) for t in definition["thresholds"]]
        amount = Decimal(chosen["amount_usd"])
        st.caption(f"Scope: {scope}; per {chosen['period']}; alerts at "
                   f"{', '.join(percent(t) for t in thresholds)} of the amount, and when the "
                   "forecast passes it.")
        spent_box, amount_box, forecast_box, status_box = st.columns(4)
        unknown = chosen["cost_unknown_calls"]
        spent_box.metric(
            "Spent", ui.money(chosen["spent_usd"]), f"{chosen['share']:.1%} of the budget",
            delta_color="off", delta_arrow="off",
            help=f"{chosen['period_start']} to {chosen['as_of']}, exact."
                 + (f" {unknown:,} calls in scope have an unknown cost (unpriced, or usage not "
                    "logged) and are not in it: the spend is a floor." if unknown else ""))
        amount_box.metric("Budget", ui.money(amount),
                          f"{chosen['period_start']} to {chosen['period_end']}",
                          delta_color="off", delta_arrow="off")
        forecast = chosen["forecast_usd"]
        over_by = None if forecast is None else Decimal(forecast) - amount
        forecast_box.metric(
            "Forecast to period end", ui.money(forecast),
            None if over_by is None else
            f"{'-' if over_by < 0 else '+'}{ui.money(abs(over_by))} vs the budget",
            delta_color="inverse",
            help=f"The spend so far plus a forecast of the days after {chosen['as_of']}: the "
                 f"spend per day of the last 30 days on the {chosen['forecast_method']} trend "
                 "(the baseline scenario's). An estimate.")
        status_box.metric(
            "Status", STATUS[chosen["status"]][2],
            None if chosen["threshold_reached"] is None else
            f"{percent(chosen['threshold_reached'])} threshold reached",
            delta_color="off", delta_arrow="off",
            help="Over budget: the spend reached the amount. Forecast over: the forecast "
                 "passes it. Warning: the spend reached a threshold. OK: none of these.")

        st.subheader("Burn")
        st.caption(f"The spend to date by day up to {chosen['as_of']} (solid), the forecast "
                   f"from there to {chosen['period_end']} (dashed), and the thresholds.")
        charts.burn(queries.budget_burn(budget), "day", "spent_to_date_usd",
                    "forecast_to_date_usd",
                    [(percent(t), float(amount * t)) for t in thresholds], value_title="USD")

        st.subheader("Periods")
        st.caption(f"Each {chosen['period']} of {budget}, newest first: the spend against the "
                   "amount the file sets now.")
        ui.table(queries.budget_periods(budget), f"budget_periods_{budget}",
                 bars=("spent_usd",))

    alerts = queries.budget_alert_history()
    if names or len(alerts):
        st.subheader("Alerts")
        if queries.alert_webhook_set():
            st.caption("TOKENWORKS_ALERT_WEBHOOK is set (its URL is a secret: not shown). Each "
                       "ingest that raises an alert POSTs it there after its commit; a failed "
                       "delivery is sent again by the next run. Newest first.")
        else:
            st.caption("TOKENWORKS_ALERT_WEBHOOK is not set: alerts are recorded here, not "
                       "sent. Set it (e.g. to a Slack incoming webhook) and the next ingest "
                       "sends those not yet delivered. Newest first.")
        ui.table(alerts, "budget_alerts")
