"""Presentation helpers shared by the pages: money as money, every table with a CSV download."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import streamlit as st

MONEY_WORDS = ("cost", "spend", "saved", "savings", "baseline", "scenario", "discount",
               "price", "per_mtok", "difference", "tolerance", "usd")
# Counts, whatever else their names say (unknown_cost_calls, input_tokens_difference).
COUNT_WORDS = ("tokens", "calls", "lines")


MONEY_FORMAT = "$%.4f"  # a table's money columns


AT_RISK_HELP = ("{calls:,} calls ran without usage in their logs (e.g. streams without "
                "stream_options.include_usage): their cost is unknown, never $0, and not in Spend. "
                "This estimate is the same model's mean cost per call around them; its measured "
                "error is in docs/pricing.md. Data quality lists them with the fix.")


# What logged a call (fct_requests.source), in words.
SOURCE_NAMES = {"api_log": "an API log", "claude_code": "a Claude Code session transcript",
                "codex_cli": "a Codex CLI session transcript",
                "otel": "an OpenTelemetry GenAI span", "litellm": "a LiteLLM logging payload"}


def logged_by(call: dict) -> str:
    """What logged a ledger row: its source, and for an agent's or a span's call its session
    and whether a sub-agent made it."""
    source = call.get("source") or "api_log"
    words = [f"Logged by {SOURCE_NAMES.get(source, source)} (source `{source}`)"]
    if call.get("session_id"):
        words.append(f"session `{call['session_id']}`")
    if call.get("is_sidechain"):
        words.append("a sub-agent's call")
    return ", ".join(words) + "."


def money(value) -> str:
    if value is None:
        return "—"
    value = Decimal(value)
    if abs(value) >= 100:
        return f"${value:,.0f}"
    if abs(value) >= 1:
        return f"${value:,.2f}"
    return f"${value:,.4f}"


def change(current, previous) -> str | None:
    if not previous:
        return None
    return f"{(Decimal(current) - Decimal(previous)) / Decimal(previous):+.1%} vs previous period"


def _is_money(name: str) -> bool:
    return (any(word in name for word in MONEY_WORDS) and "share" not in name
            and not any(word in name for word in COUNT_WORDS))


def table(frame: pl.DataFrame, key: str, *, height: int | None = None,
          bars: tuple[str, ...] = ()) -> None:
    """The frame as a table (money columns formatted as dollars) and a CSV download of its
    exact values. Columns named in bars also draw each value as a bar, from zero to the
    column's largest: a chart inside the table, which costs the browser far less than a chart
    beside it."""
    shown = chart_frame(frame)
    config = {}
    for name, dtype in shown.schema.items():
        if name in bars:
            # Polars types a column's max as any value; a bar column is numeric (chart_frame
            # made its Decimals floats).
            top = shown[name].max()
            if not isinstance(top, int | float | None):
                raise TypeError(f"bars need a numeric column; {name!r} is {dtype}")
            config[name] = st.column_config.ProgressColumn(
                name, format=MONEY_FORMAT if _is_money(name) else "%.0f", min_value=0,
                max_value=max(top or 0, 1e-12))
        elif _is_money(name) and dtype.is_numeric():
            config[name] = st.column_config.NumberColumn(name, format=MONEY_FORMAT)
        elif ("share" in name or "rate" in name or "threshold" in name) and dtype.is_float():
            config[name] = st.column_config.NumberColumn(name, format="percent")
        elif dtype == pl.Date:
            config[name] = st.column_config.DateColumn(name, format="YYYY-MM-DD")
    st.dataframe(shown, column_config=config, hide_index=True, width="stretch",
                 height=height or "auto")
    flat = frame.with_columns([pl.col(c).cast(pl.String) if isinstance(t, pl.List | pl.Struct)
                               else pl.col(c) for c, t in frame.schema.items()])
    st.download_button("Download CSV", flat.write_csv(), file_name=f"{key}.csv",
                       mime="text/csv", key=f"csv_{key}")


def chart_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Decimals as floats, for display only (charts, shown tables): downloads keep the exact
    values."""
    return frame.with_columns([pl.col(c).cast(pl.Float64) for c, t in frame.schema.items()
                               if isinstance(t, pl.Decimal)])


def empty_warehouse() -> bool:
    from dashboards import queries

    if not queries.has_warehouse():
        st.warning(f"No warehouse at {queries.lake()}: run `tokenworks ingest` first.")
        return True
    return False
