"""The pages' charts, as Vega-Lite specs written here and drawn by st.vega_lite_chart.

st.bar_chart and st.line_chart build their specs with Altair, whose schema validation took
50-130 ms of the server's time for every chart on every page load; a spec written as a dict
costs nothing to build. Writing them also lets money axes read as dollars and the histograms'
logarithmic bins show as ranges.

Decimal columns are drawn as floats (ui.chart_frame): charts are for looking, downloads keep the
exact values.
"""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from dashboards.ui import chart_frame

DOLLARS = "$,.2~f"
NUMBER = ",.4~f"
PERIOD_ENDS = {"Day": "1d", "Week": "1w", "Month": "1mo"}


def _type(dtype: pl.DataType) -> str:
    if dtype.is_temporal():
        return "temporal"
    return "quantitative" if dtype.is_numeric() else "nominal"


def _tooltip(frame: pl.DataFrame, names: list[str], money: set[str]) -> list[dict]:
    tips = []
    for name in names:
        tip = {"field": name, "type": _type(frame.schema[name])}
        if name in money:
            tip["format"] = DOLLARS
        elif tip["type"] == "quantitative":
            tip["format"] = NUMBER
        tips.append(tip)
    return tips


def _value(name: str, title: str, money: bool) -> dict:
    value: dict[str, Any] = {"field": name, "type": "quantitative", "title": title or None}
    if money:
        value["axis"] = {"format": DOLLARS}
    return value


def bar(frame: pl.DataFrame, category: str, value: str, *, color: str | None = None,
        horizontal: bool = False, value_title: str = "", keep_order: bool = False) -> None:
    """Bars of value per category (stacked by color), largest first unless keep_order."""
    frame = chart_frame(frame)
    across = {"field": category, "type": "nominal", "title": None,
              "sort": None if keep_order else "-x" if horizontal else "-y",
              "axis": {"labelLimit": 220}}
    encoding = {"y" if horizontal else "x": across,
                "x" if horizontal else "y": _value(value, value_title, money=False),
                "tooltip": _tooltip(frame, [c for c in (category, color, value) if c], set())}
    if color:
        encoding["color"] = {"field": color, "type": "nominal",
                             "scale": {"scheme": "tableau20"}}  # distinct beyond 10
    st.vega_lite_chart(frame, {"mark": {"type": "bar"}, "encoding": encoding},
                       width="stretch")


def over_time(frame: pl.DataFrame, period: str, value: str, *, grain: str,
              color: str | None = None, value_title: str = "", money: bool = False) -> None:
    """Bars of value per period (a day, week or month starting on the period's date), stacked
    by color; each bar spans its period."""
    frame = chart_frame(frame).with_columns(
        pl.col(period).dt.offset_by(PERIOD_ENDS[grain]).alias("period_end"))
    encoding = {"x": {"field": period, "type": "temporal", "title": None},
                "x2": {"field": "period_end"},
                "y": {**_value(value, value_title, money), "stack": "zero"},
                "tooltip": _tooltip(frame, [c for c in (period, color, value) if c],
                                    {value} if money else set())}
    if color:
        encoding["color"] = {"field": color, "type": "nominal",
                             "scale": {"scheme": "tableau20"}}  # distinct beyond 10
    # (a bar with a ranged x is horizontal unless told otherwise)
    st.vega_lite_chart(frame, {"mark": {"type": "bar", "orient": "vertical", "binSpacing": 1},
                               "encoding": encoding}, width="stretch")


def lines(frame: pl.DataFrame, across: str, series: list[str], *, value_title: str,
          money: bool = False) -> None:
    """One line per column named in series, over the dates in across."""
    frame = chart_frame(frame)
    st.vega_lite_chart(frame, {
        "transform": [{"fold": series, "as": ["series", "value"]}],
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": across, "type": "temporal", "title": None},
            "y": _value("value", value_title, money),
            "color": {"field": "series", "type": "nominal", "title": None, "sort": series},
            "tooltip": [{"field": across, "type": "temporal"},
                        {"field": "series", "type": "nominal"},
                        {"field": "value", "type": "quantitative",
                         "format": DOLLARS if money else NUMBER}]}}, width="stretch")


def histogram(frame: pl.DataFrame, *, value_title: str, money: bool = False) -> None:
    """Calls per bin [from_value, to_value), on a logarithmic axis as the bins are."""
    frame = chart_frame(frame)
    bound = "$.2~g" if money else ",.3~r"
    st.vega_lite_chart(frame, {
        "mark": {"type": "bar"},
        "encoding": {
            "x": {"field": "from_value", "type": "quantitative", "bin": "binned",
                  "scale": {"type": "log"}, "title": value_title,
                  "axis": {"format": bound if money else "~s"}},
            "x2": {"field": "to_value"},
            "y": {"field": "calls", "type": "quantitative", "title": "calls"},
            "tooltip": [{"field": "from_value", "type": "quantitative", "title": "from",
                         "format": bound},
                        {"field": "to_value", "type": "quantitative", "title": "to",
                         "format": bound},
                        {"field": "calls", "type": "quantitative", "format": ","}]}},
        width="stretch")


def burn(frame: pl.DataFrame, day: str, spent: str, forecast: str,
         rules: list[tuple[str, float]], *, value_title: str) -> None:
    """A budget period by day: the spend to date (a solid line), the forecast on from the last
    actual day to the period's end (dashed), and a labelled horizontal rule at each (label,
    dollars) of rules. Days without a value (spend after the last call day, forecast before
    it) draw nothing."""
    frame = chart_frame(frame)
    x = {"field": day, "type": "temporal", "title": None}
    tooltip = [{"field": day, "type": "temporal"},
               {"field": spent, "type": "quantitative", "title": "spent", "format": DOLLARS},
               {"field": forecast, "type": "quantitative", "title": "forecast",
                "format": DOLLARS}]
    line = {"type": "line", "point": True}
    levels = {"values": [{"label": label, "usd": usd} for label, usd in rules]}
    level = {"field": "usd", "type": "quantitative"}
    st.vega_lite_chart(frame, {"layer": [
        {"mark": line,
         "encoding": {"x": x, "y": _value(spent, value_title, money=True),
                      "color": {"datum": "spent", "title": None}, "tooltip": tooltip}},
        {"mark": {**line, "strokeDash": [6, 4]},
         "encoding": {"x": x, "y": _value(forecast, value_title, money=True),
                      "color": {"datum": "forecast"}, "tooltip": tooltip}},
        {"data": levels, "mark": {"type": "rule", "color": "gray", "strokeDash": [2, 2]},
         "encoding": {"y": level, "tooltip": [{"field": "label", "type": "nominal"},
                                              {**level, "format": DOLLARS}]}},
        {"data": levels, "mark": {"type": "text", "align": "right", "baseline": "bottom",
                                  "dy": -2, "color": "gray"},
         "encoding": {"y": level, "x": {"value": "width"},
                      "text": {"field": "label", "type": "nominal"}}},
    ]}, width="stretch")
