"""Budget alerts: raised in the run's transaction, delivered after it commits.

Raising: for the open period of each budget, every threshold the spend has reached, and the
forecast passing the amount, is an alert keyed (budget, period, kind, threshold); a key already
in budget_alerts is never raised again, so re-runs and backfills resend nothing, and history
periods raise nothing. Thresholds crossed in one run are all recorded, but only the highest is
sent (the others are superseded by it): one message saying where the spend is, not three.

Delivering (after the run's commit, so a run that does not commit sends nothing): each alert
not yet delivered is claimed in a commit of its own, POSTed to TOKENWORKS_ALERT_WEBHOOK, and its
outcome recorded in another. A failed delivery never fails the run: it is kept with its error
and tried again by the next run. A run that dies between the POST and the record sends that
alert again next time; the payload's alert_id lets the receiver drop the repeat.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import duckdb

from pipelines import outbound
from pipelines.budgets.file import SCOPE_KEYS
from pipelines.warehouse.lake import Lake, is_commit_conflict
from pipelines.warehouse.sql import insert_rows, scalar

TIMEOUT_SECONDS = 10
CLAIM_MINUTES = 10  # a claim younger than this belongs to a run still sending
SIX_PLACES = Decimal("0.000001")
# A budget's scope as a map of the keys it sets (the alert's payload names them).
SCOPE_ENTRIES = ", ".join(f"{{'k': '{key}', 'v': b.scope_{key}}}" for key in SCOPE_KEYS)


@dataclass(frozen=True)
class Delivery:
    alert_id: str
    delivered: bool
    error: str | None


def alert_id(budget: str, period_start: date, kind: str, threshold: Decimal) -> str:
    return f"{budget}/{period_start.isoformat()}/{kind}/{threshold.normalize():f}"


def payload(budget: str, period: str, period_start: date, period_end: date, kind: str,
            threshold: Decimal, spent: Decimal, amount: Decimal, forecast: Decimal | None,
            scope: dict[str, str], as_of: date) -> dict:
    """The JSON body: the fields a program reads, and a Slack-compatible `text`."""
    spent6, forecast6 = spent.quantize(SIX_PLACES), (
        forecast.quantize(SIX_PLACES) if forecast is not None else None)
    label = period_start.strftime("%Y-%m") if period == "month" else (
        f"{period_start.year}-Q{(period_start.month - 1) // 3 + 1}")
    scoped = ", ".join(f"{k} {v}" for k, v in scope.items()) or "all calls"
    if kind == "threshold":
        text = (f":warning: Budget *{budget}* ({scoped}) reached {threshold:.0%} of "
                f"${amount:,.2f} for {label} (now {spent / amount:.0%}): ${spent:,.2f} spent by "
                f"{as_of}"
                + (f", forecast ${forecast:,.2f} by {period_end}." if forecast is not None
                   else "."))
    else:
        text = (f":chart_with_upwards_trend: Budget *{budget}* ({scoped}) is forecast to "
                f"exceed ${amount:,.2f} for {label}: ${forecast or 0:,.2f} by {period_end}, "
                f"${spent:,.2f} spent by {as_of}.")
    # Money as JSON numbers to 1e-6: Python writes a float as the shortest text that reads back
    # the same, which for these is the decimal itself.
    return {"alert_id": alert_id(budget, period_start, kind, threshold), "budget": budget,
            "period": period_start.isoformat(), "period_end": period_end.isoformat(),
            "period_kind": period, "kind": kind, "threshold": float(threshold),
            "spent_usd": float(spent6), "amount_usd": float(amount),
            "forecast_usd": float(forecast6) if forecast6 is not None else None,
            "share": float(spent / amount), "scope": scope, "as_of": as_of.isoformat(),
            "text": text}


def raise_alerts(conn: duckdb.DuckDBPyConnection, run_id: str, now: datetime) -> int:
    """Record the open periods' new alerts in budget_alerts (in the run's transaction)."""
    rows = conn.execute(f"""
        SELECT s.budget, s.period, s.period_start, s.period_end, s.spent_usd, s.amount_usd,
               s.forecast_usd, b.thresholds, s.as_of,
               map_from_entries(list_filter([{SCOPE_ENTRIES}], e -> e.v IS NOT NULL))
        FROM budget_status s JOIN budgets b USING (budget)
        WHERE s.is_open ORDER BY s.budget""").fetchall()
    known = {row[0] for row in conn.execute("SELECT alert_id FROM budget_alerts").fetchall()}
    new = []
    for (budget, period, start, end, spent, amount, forecast, thresholds, as_of,
         scope) in rows:
        candidates = [("threshold", t) for t in thresholds if spent >= t * amount]
        if forecast is not None and forecast > amount > spent:  # (over already: said so)
            candidates.append(("forecast", Decimal(1)))
        fresh = [(kind, t) for kind, t in candidates
                 if alert_id(budget, start, kind, t) not in known]
        # Thresholds crossed together: the highest speaks for them, the rest are recorded.
        highest = max((t for kind, t in fresh if kind == "threshold"), default=None)
        for kind, threshold in fresh:
            body = payload(budget, period, start, end, kind, threshold, spent, amount, forecast,
                           dict(scope), as_of)
            superseded_by = alert_id(budget, start, kind, highest) if (
                kind == "threshold" and highest is not None and threshold < highest) else None
            new.append((body["alert_id"], budget, start, kind, str(threshold), now, run_id,
                        str(spent), str(amount), None if forecast is None else str(forecast),
                        json.dumps(body), 0, superseded_by))
    insert_rows(conn, "budget_alerts", new, [
        "alert_id", "budget", "period_start", "kind", "threshold", "triggered_at",
        "triggered_by_run", "spent_usd", "amount_usd", "forecast_usd", "payload", "attempts",
        "superseded_by"])
    return len(new)


def pending(conn: duckdb.DuckDBPyConnection) -> int:
    return scalar(conn, "SELECT count(*) FROM budget_alerts WHERE delivered_at IS NULL "
                        "AND superseded_by IS NULL")


def deliver(lake: Lake, webhook: str) -> list[Delivery]:
    """Send every alert not yet delivered (and not being sent by another run) to the webhook,
    recording each outcome. Never raises for a delivery's failure."""
    conn = lake.connect()
    try:
        claimed = _claim(conn)
        deliveries = [_post(webhook, key, body) for key, body in claimed]
        if deliveries:
            _record(conn, deliveries)
        return deliveries
    finally:
        conn.close()


def _claim(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """The alerts this run sends, claimed in one commit (another run's fresh claim is left)."""
    conn.execute("BEGIN TRANSACTION")
    rows = conn.execute(f"""
        SELECT alert_id, payload FROM budget_alerts
        WHERE delivered_at IS NULL AND superseded_by IS NULL
          AND (sending_since IS NULL
               OR sending_since < now() - INTERVAL {CLAIM_MINUTES} MINUTE)
        ORDER BY triggered_at, alert_id""").fetchall()
    if not rows:
        conn.execute("ROLLBACK")
        return []
    conn.execute("""
        UPDATE budget_alerts
        SET attempts = attempts + 1, last_attempt_at = now(), sending_since = now()
        WHERE alert_id IN (SELECT unnest($ids))""", {"ids": [key for key, _ in rows]})
    try:
        conn.execute("COMMIT")
    except duckdb.Error as error:
        if is_commit_conflict(str(error)):
            return []  # another writer changed the alerts meanwhile: it, or the next run, sends
        raise
    return rows


def _post(webhook: str, key: str, body: str) -> Delivery:
    request = urllib.request.Request(webhook, data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with outbound.opener().open(request, timeout=TIMEOUT_SECONDS) as response:
            response.read()
        return Delivery(key, True, None)
    except urllib.error.HTTPError as error:
        excerpt = error.read(200).decode("utf-8", "replace").strip()
        return Delivery(key, False, f"HTTP {error.code}: {excerpt}"[:300])
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return Delivery(key, False, f"{type(error).__name__}: {reason}"[:300])


def _record(conn: duckdb.DuckDBPyConnection, deliveries: list[Delivery]) -> None:
    now = datetime.now(UTC)
    for attempt in range(5):
        conn.execute("BEGIN TRANSACTION")
        conn.execute("""
            UPDATE budget_alerts
            SET delivered_at = CASE WHEN d.delivered THEN $now::TIMESTAMPTZ END,
                last_error = d.error, sending_since = NULL
            FROM (SELECT unnest($ids) AS alert_id, unnest($delivered) AS delivered,
                         unnest($errors) AS error) d
            WHERE budget_alerts.alert_id = d.alert_id""",
                     {"now": now, "ids": [d.alert_id for d in deliveries],
                      "delivered": [d.delivered for d in deliveries],
                      "errors": [d.error for d in deliveries]})
        try:
            conn.execute("COMMIT")
            return
        except duckdb.Error as error:
            if not is_commit_conflict(str(error)) or attempt == 4:
                raise
