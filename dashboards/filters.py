"""Filters shared by every page and kept in the URL, so a link reproduces the view."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import streamlit as st

from dashboards import queries

KEYS = ("start", "end", "provider", "model", "project", "source")
# The multiselects, in the popover's order: URL key, label, plural for the summary.
CHOICES = (("provider", "Provider", "providers"), ("model", "Model", "models"),
           ("project", "Project", "projects"), ("source", "Source", "sources"))


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    providers: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    projects: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # what logged the calls: api_log, claude_code, codex_cli, otel

    def where(self, day: str = "day", prefix: str = "") -> tuple[str, dict]:
        """A WHERE clause over a relation with day, provider, model, project and source
        columns, and its bound parameters."""
        clauses = [f"{prefix}{day} BETWEEN $start AND $end"]
        params: dict = {"start": self.start, "end": self.end}
        for column, values in (("provider", self.providers), ("model", self.models),
                               ("project", self.projects), ("source", self.sources)):
            if values:
                clauses.append(f"{prefix}{column} IN (SELECT unnest(${column}s))")
                params[f"{column}s"] = list(values)
        return " AND ".join(clauses), params

    def previous(self) -> Filters:
        """The period of the same length just before."""
        days = (self.end - self.start).days + 1
        return Filters(self.start - timedelta(days=days), self.start - timedelta(days=1),
                       self.providers, self.models, self.projects, self.sources)


def _list(value: str | None) -> list[str]:
    return [v for v in (value or "").split(",") if v]


def _day(value: str | None, fallback: date) -> date:
    try:
        return date.fromisoformat(value) if value else fallback
    except ValueError:
        return fallback


def _summary(start: date, end: date, chosen: dict[str, list[str]]) -> str:
    """The filters in force, as markdown: a name is escaped, since one such as a*b or
    my_model would be read as emphasis."""
    lines = [f"**{start:%d %b %Y} to {end:%d %b %Y}**"]
    for key, _, plural in CHOICES:
        values = chosen[key]
        if not values:
            lines.append(f"All {plural}")
        elif len(values) > 3:
            lines.append(f"{len(values)} {plural}")
        else:
            lines.append(", ".join(re.sub(r"([\\`*_{}\[\]()#+\-.!|~:<>$])", r"\\\1", v)
                                   for v in values))
    return "  \n".join(lines)


def sidebar() -> None:
    """Summarize the filters in the sidebar and draw their widgets in a popover there; keep
    them in st.query_params (the URL), so a link reproduces the view. The pages read them with
    current(). (The browser draws a popover's widgets only when it opens: drawing a date
    picker and four multiselects cost every page load 0.1-0.3 s.)"""
    options = queries.filter_options()
    params = st.query_params
    first, last = options["first_day"], options["last_day"]
    if first is None:
        st.sidebar.info("The warehouse holds no calls yet.")
        st.session_state["filters"] = Filters(date.today(), date.today())
        return
    default_start = max(first, last - timedelta(days=29))
    start = _day(params.get("start"), default_start)
    end = _day(params.get("end"), last)
    st.sidebar.header("Filters")
    summary = st.sidebar.empty()
    with st.sidebar.popover("Change filters", icon=":material/filter_list:", width="stretch"):
        picked = st.date_input("Date range", value=(start, end), min_value=first,
                               max_value=last, key="filter_dates")
        if isinstance(picked, tuple) and len(picked) == 2:
            start, end = picked
        chosen = {}
        for key, label, _ in CHOICES:
            current = [v for v in _list(params.get(key)) if v in options[key]]
            chosen[key] = st.multiselect(label, options[key], default=current,
                                         key=f"filter_{key}")
    summary.markdown(_summary(start, end, chosen))
    wanted = {"start": start.isoformat(), "end": end.isoformat(),
              **{k: ",".join(v) for k, v in chosen.items() if v}}
    for key in KEYS:
        if key in wanted and params.get(key) != wanted[key]:
            params[key] = wanted[key]
        elif key not in wanted and key in params:
            del params[key]
    st.session_state["filters"] = Filters(start, end, tuple(chosen["provider"]),
                                          tuple(chosen["model"]), tuple(chosen["project"]),
                                          tuple(chosen["source"]))


def current() -> Filters:
    """The filters the sidebar drew in this run."""
    return st.session_state["filters"]
