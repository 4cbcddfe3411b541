"""`tokenworks`: the command line. Subcommands are part of the product's interface."""

from __future__ import annotations

import argparse
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

from pipelines import config

EXIT_FAILED = 1
EXIT_USAGE = 2


def _fail(message: str, code: int = EXIT_FAILED) -> int:
    print(f"tokenworks: {message}", file=sys.stderr)
    return code


# ---------------------------------------------------------------------------- generate


def cmd_generate(args) -> int:
    from pipelines.samples import generate

    out = Path(args.out)
    started = time.perf_counter()
    summary = generate(out, requests=args.requests, days=args.days, seed=args.seed)
    seconds = time.perf_counter() - started
    print(f"wrote {summary['files']:,} files, {summary['records']:,} records "
          f"({summary['bytes'] / 1e6:,.1f} MB) to {out} in {seconds:.1f} s")
    agents = summary["agent_logs"]
    if agents["files"]:
        calls = ", ".join(f"{n:,} {source}" for source, n in agents["calls"].items())
        print(f"  and {agents['files']:,} coding-agent transcripts and span exports "
              f"({agents['records']:,} records; calls: {calls}) under {out / 'agents'} and "
              f"{out / 'otel'}")
    return 0


# ------------------------------------------------------------------------------ ingest


def _settings(args) -> config.Settings:
    """The settings a command's flags give (the others from the environment or defaults)."""
    return config.resolve(getattr(args, "landing", None), args.warehouse,
                          data_path=getattr(args, "data_path", None),
                          landing_prefix=getattr(args, "prefix", None))


def _lake(settings: config.Settings):
    from pipelines.warehouse.lake import Lake

    return Lake.of(settings)


def cmd_ingest(args) -> int:
    settings = _settings(args)
    if not settings.landing.is_dir():
        return _fail(f"landing folder {settings.landing} does not exist: create it and put logs "
                     "in it, or run `tokenworks generate --out` it, or set TOKENWORKS_LANDING")
    started = time.perf_counter()
    from pipelines.jobs import run_job

    outcome = run_job(settings, show_progress=sys.stderr.isatty())
    seconds = time.perf_counter() - started
    if not outcome.success:
        for problem in outcome.problems:
            print(f"  {problem}", file=sys.stderr)
        return _fail("ingest failed; nothing was committed, the warehouse is unchanged. Fix "
                     "the cause above and run it again: it resumes from the last commit.")
    print_ingest_summary(settings, outcome.summary, seconds)
    return 0


def print_ingest_summary(settings: config.Settings, metadata: dict, seconds: float) -> None:
    if not metadata.get("changed"):
        print(f"nothing new in {settings.landing}: warehouse {_lake(settings)} unchanged "
              f"({seconds:.1f} s)")
        return
    print(f"ingested {settings.landing} -> {_lake(settings)}\n"
          f"  files: {metadata['files_seen']:,} seen, {metadata['files_new']:,} new, "
          f"{metadata['files_appended']:,} appended, {metadata['files_rewritten']:,} rewritten, "
          f"{metadata['files_unchanged']:,} unchanged\n"
          f"  records read: {metadata['records_read']:,} ({metadata['bytes_read'] / 1e6:,.1f} MB)"
          + (f", {metadata['without_calls']:,} without a call (transcript lines, spans)"
             if metadata.get("without_calls") else "") +
          f"\n  calls loaded: {metadata['calls_loaded']:,}   duplicates: "
          f"{metadata['duplicates']:,}   quarantined: {metadata['quarantined']:,}\n"
          f"  ledger rows: {metadata['rows']:,}   seconds: {seconds:.1f}")
    print_unknown_costs(metadata)
    if metadata.get("budgets_over") or metadata.get("budgets_forecast_over"):
        print(f"  budgets: {metadata['budgets_over']} over, {metadata['budgets_forecast_over']} "
              "forecast over this period: tokenworks sql \"SELECT * FROM budget_status WHERE "
              "is_open\"")
    if metadata["quarantined"]:
        print_quarantine_examples(metadata["quarantine_examples"])


def print_unknown_costs(metadata: dict) -> None:
    """Calls whose cost the warehouse cannot know: never counted as $0, so say so."""
    if metadata["usage_unknown_calls"]:
        at_risk = Decimal(metadata["spend_at_risk_estimated_usd"])
        print(f"  usage not logged: {metadata['usage_unknown_calls']:,} calls, cost unknown "
              f"(spend at risk, estimated: ${at_risk:,.2f}); the fix: tokenworks sql "
              "\"SELECT * FROM analytics.unknown_usage\"")
    if metadata["unpriced_calls"]:
        print(f"  unpriced models: {metadata['unpriced_calls']:,} calls, cost unknown: tokenworks "
              "sql \"SELECT * FROM analytics.models WHERE NOT is_priced\"")


def print_quarantine_examples(examples: list) -> None:
    print("  quarantined (nothing else in those files was held back), e.g.:")
    for source_file, source_line, reason in examples:
        print(f"    {source_file}:{source_line}: {reason[:160]}")
    print("  fix the source and re-ship the file (a rewritten file is reconciled), or query them "
          "all: tokenworks sql \"SELECT * FROM quarantine\"")


# --------------------------------------------------------------------------------- sql


def cmd_sql(args) -> int:
    from pipelines.analysts import sqlshell
    from pipelines.warehouse.lake import WarehouseFormatError
    from pipelines.warehouse.store import WarehouseMissing, connect_reader

    settings = _settings(args)
    try:
        params = sqlshell.parse_params(args.param or [])
        if args.file and args.query:
            raise sqlshell.QueryError("give a query or -f FILE, not both")
        text = Path(args.file).read_text() if args.file else args.query
        if args.format == "parquet" and text is None:
            raise sqlshell.QueryError("--format parquet needs a query or -f FILE")
    except (sqlshell.QueryError, OSError) as exc:
        return _fail(str(exc), EXIT_USAGE)
    try:
        conn = sqlshell.connect_as_of(_lake(settings), args.as_of) if args.as_of else (
            connect_reader(_lake(settings)))
    except (WarehouseMissing, WarehouseFormatError) as exc:
        return _fail(str(exc))
    except sqlshell.QueryError as exc:
        return _fail(str(exc), EXIT_USAGE)
    conn.execute("SET enable_progress_bar = false")
    try:
        if text is None:
            return sqlshell.shell(conn, params, args.format)
        for statement in sqlshell.statements(text):
            sqlshell.run_query(conn, statement, params, args.format, sys.stdout,
                               Path(args.out) if args.out else None)
    except sqlshell.QueryError as exc:
        return _fail(str(exc), EXIT_USAGE)
    finally:
        conn.close()
    return 0


# ------------------------------------------------------------------------------ export


def cmd_export(args) -> int:
    from datetime import date

    from pipelines.analysts import export
    from pipelines.warehouse.store import WarehouseMissing

    settings = _settings(args)
    out = Path(args.out)
    if getattr(args, "month", None):  # one month: a closed one as it was closed
        if args.format != "focus" or args.start or args.end:
            return _fail("--month goes with --format focus, without --from/--to", EXIT_USAGE)
        from pipelines.closing.commands import export_month

        return export_month(_lake(settings), args.month, out)
    try:
        start = date.fromisoformat(args.start) if args.start else None
        end = date.fromisoformat(args.end) if args.end else None
        if args.format == "parquet":
            summary = export.export_ledger(_lake(settings), out)
            print(f"exported {summary.rows:,} calls to {summary.path} as Parquet, "
                  f"{summary.files} files partitioned by month (month=YYYY-MM)")
        else:
            summary = export.export_focus(_lake(settings), out, start, end)
            print(f"exported {summary.rows:,} FOCUS 1.2 charge rows to {summary.path}")
            if summary.unknown_cost_calls:
                print(f"  {summary.unknown_cost_calls:,} calls whose cost is unknown are not "
                      "in it (tokenworks sql \"SELECT cost_status, count(*) FROM "
                      "analytics.requests WHERE NOT is_priced GROUP BY ALL\")")
    except WarehouseMissing as exc:
        return _fail(str(exc))
    except ValueError as exc:
        return _fail(str(exc), EXIT_USAGE)
    return 0


# ------------------------------------------------------------------------------- close


def cmd_close(args) -> int:
    """Close a month: its figures recorded once (pipelines/closing)."""
    from pipelines.closing.commands import close

    return close(_lake(_settings(args)), args.month, args.force)


# -------------------------------------------------------------------------------- demo


DEMO_QUERIES = {
    "Spend by provider (USD, at the price in force each day)": """
        SELECT provider, sum(calls) AS calls, round(sum(total_cost), 2) AS total_cost,
               round(sum(cache_read_cost), 2) AS cache_read_cost,
               round(sum(output_cost), 2) AS output_cost, sum(unpriced_calls) AS unpriced_calls,
               sum(usage_unknown_calls) AS usage_unknown_calls,
               round(sum(estimated_cost), 2) AS spend_at_risk_estimated
        FROM mart_daily_spend GROUP BY provider ORDER BY total_cost DESC NULLS LAST""",
    "Spend by source (api_log: API logs; claude_code, codex_cli: coding agents' transcripts; "
    "otel: OpenTelemetry spans)": """
        SELECT source, sum(calls) AS calls, round(sum(total_cost), 2) AS total_cost,
               count(DISTINCT project) AS projects
        FROM mart_daily_spend GROUP BY source ORDER BY total_cost DESC NULLS LAST""",
    "Calls and tokens by provider": """
        SELECT provider, count(*) AS calls, count(*) FILTER (status = 'error') AS errors,
               sum(prompt_tokens(input_tokens, cache_read_tokens, cache_write_tokens,
                                 cache_write_1h_tokens))
                   AS prompt_tokens,
               sum(cache_read_tokens) AS cached_tokens, sum(output_tokens) AS output_tokens
        FROM fct_requests GROUP BY provider ORDER BY calls DESC""",
    "Top models": """
        SELECT model, provider, count(*) AS calls, sum(output_tokens) AS output_tokens
        FROM fct_requests WHERE status = 'ok' GROUP BY ALL ORDER BY calls DESC LIMIT 10""",
    "Quarantine reasons": """
        SELECT regexp_replace(reason, '([ =(]''?)-?[0-9][0-9.]*', '\\1N', 'g') AS reason,
               count(*) AS records,
               min(source_file || ':' || source_line) AS example
        FROM quarantine GROUP BY 1 ORDER BY records DESC LIMIT 10""",
}


def cmd_demo(args) -> int:
    from pipelines.landing.files import discover

    settings = _settings(args)
    settings.landing.mkdir(parents=True, exist_ok=True)
    files, _ = discover(settings.landing)
    if not files:
        print(f"no logs in {settings.landing}: generating sample logs "
              f"({args.requests:,} calls over {args.days} days)")
        generate_args = argparse.Namespace(out=settings.landing, requests=args.requests,
                                           days=args.days, seed=args.seed)
        cmd_generate(generate_args)
    code = cmd_ingest(argparse.Namespace(landing=settings.landing, warehouse=settings.warehouse,
                                         data_path=settings.data_path))
    if code:
        return code
    from pipelines.warehouse.store import connect_reader

    conn = connect_reader(_lake(settings))
    try:
        for title, query in DEMO_QUERIES.items():
            print(f"\n{title}")
            print(conn.sql(query))
    finally:
        conn.close()
    print(f"warehouse: {_lake(settings)}  (query it: tokenworks sql \"SELECT …\")")
    if args.no_serve:
        return 0
    return cmd_dashboard(argparse.Namespace(warehouse=settings.warehouse,
                                            data_path=settings.data_path, port=args.port))


def cmd_dashboard(args) -> int:
    """Serve the Streamlit dashboards over the warehouse (read-only) until
    interrupted."""
    from dashboards import STREAMLIT_OPTIONS
    from pipelines.warehouse.lake import WarehouseFormatError
    from pipelines.warehouse.store import WarehouseMissing, connect_reader

    settings = _settings(args)
    try:
        connect_reader(_lake(settings)).close()
    except (WarehouseMissing, WarehouseFormatError) as exc:
        return _fail(str(exc))
    dashboards = Path(__file__).resolve().parent.parent / "dashboards"
    command = [sys.executable, str(dashboards / "serve.py"), "run", str(dashboards / "app.py"),
               "--server.port", str(args.port), "--server.headless", "true",
               "--browser.gatherUsageStats", "false", "--client.toolbarMode", "viewer",
               # serve this machine only, and never look up an external address
               "--server.address", "localhost",
               *(arg for name, value in STREAMLIT_OPTIONS.items()
                 for arg in (f"--{name}", str(value).lower()))]
    print(f"\ndashboards: http://localhost:{args.port}  (warehouse {_lake(settings)}; "
          "Ctrl-C stops)", flush=True)
    os.environ[config.ENVIRONMENT["warehouse"]] = settings.warehouse
    if settings.data_path:
        os.environ[config.ENVIRONMENT["data_path"]] = settings.data_path
    # The server takes this process over, so stopping it (Ctrl-C, a signal) stops the server:
    # a child process would outlive a terminated parent.
    os.execv(sys.executable, command)
    return 0  # not reached


# -------------------------------------------------------------------------------- main


def _warehouse_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--warehouse", help="the lake: a local path (the embedded lake, its SQLite catalog) or "
        "ducklake:postgres:<libpq conninfo> (TOKENWORKS_WAREHOUSE, ./data/warehouse.ducklake)")
    command.add_argument(
        "--data-path", help="where a new lake keeps its Parquet files: a folder or "
        "s3://bucket/prefix/; S3 credentials from the AWS_* variables (TOKENWORKS_DATA_PATH; "
        "default: beside an embedded lake's catalog)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tokenworks", description="Token-usage analytics warehouse for logged LLM calls.")
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write realistic sample logs")
    gen.add_argument("--out", required=True, help="landing folder to write into")
    gen.add_argument("--requests", type=int, default=20_000, help="API calls (default 20000)")
    gen.add_argument("--days", type=int, default=365, help="days of logs (default 365)")
    gen.add_argument("--seed", type=int, default=7, help="same seed, same files (default 7)")
    gen.set_defaults(func=cmd_generate)

    ing = sub.add_parser("ingest", help="load the landing folder into the warehouse")
    ing.add_argument("--landing", help="landing folder (TOKENWORKS_LANDING, ./data/landing)")
    ing.add_argument("--prefix", help="only the files under this sub-folder of the landing "
                     "folder: one writer per prefix (TOKENWORKS_LANDING_PREFIX)")
    _warehouse_arguments(ing)
    ing.set_defaults(func=cmd_ingest)

    sql = sub.add_parser("sql", help="read-only SQL: a query, a file, or an interactive shell")
    _warehouse_arguments(sql)
    sql.add_argument("--as-of", metavar="RUN_ID|TIMESTAMP",
                     help="answer as the warehouse was after that ingest run, or at that time "
                          "(time travel; analytics.ingestion_runs lists the runs)")
    sql.add_argument("--format", choices=("table", "csv", "json", "parquet"), default="table")
    sql.add_argument("-f", "--file", help="run the statements of this .sql file")
    sql.add_argument("-p", "--param", action="append", metavar="NAME=VALUE",
                     help="bind $NAME in the query (repeatable)")
    sql.add_argument("--out", help="file for --format parquet")
    sql.add_argument("query", nargs="?", help="SQL text; without it (and -f) a shell starts")
    sql.set_defaults(func=cmd_sql)

    exp = sub.add_parser("export", help="export the ledger (Parquet) or costs (FOCUS 1.2)")
    _warehouse_arguments(exp)
    exp.add_argument("--format", choices=("parquet", "focus"), required=True,
                     help="parquet: the ledger, Hive-partitioned by month, into the folder "
                          "--out; focus: FOCUS 1.2 cost rows into the .csv or .parquet --out")
    exp.add_argument("--out", required=True)
    exp.add_argument("--from", dest="start", help="first day (focus), YYYY-MM-DD")
    exp.add_argument("--to", dest="end", help="last day (focus), YYYY-MM-DD")
    exp.add_argument("--month", help="one month (focus), YYYY-MM: a closed month is written "
                     "as it was closed, byte for byte")
    exp.set_defaults(func=cmd_export)

    close = sub.add_parser("close", help="close a month: record its figures, never changed "
                           "again (later changes show in the view restatements)")
    _warehouse_arguments(close)
    close.add_argument("month", help="the UTC calendar month, YYYY-MM")
    close.add_argument("--force", action="store_true", help="close even before the month "
                       "ended, before an ingest after its end, or with no calls")
    close.set_defaults(func=cmd_close)

    demo = sub.add_parser("demo", help="sample logs -> warehouse -> summary")
    demo.add_argument("--landing")
    _warehouse_arguments(demo)
    demo.add_argument("--requests", type=int, default=30_000)
    demo.add_argument("--days", type=int, default=365)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--port", type=int, default=8501, help="dashboard port (default 8501)")
    demo.add_argument("--no-serve", action="store_true",
                      help="stop after the summary instead of serving the dashboards")
    demo.set_defaults(func=cmd_demo)

    dash = sub.add_parser("dashboard", help="serve the dashboards over the warehouse")
    _warehouse_arguments(dash)
    dash.add_argument("--port", type=int, default=8501, help="port (default 8501)")
    dash.set_defaults(func=cmd_dashboard)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except config.SettingError as bad:
        return _fail(str(bad), EXIT_USAGE)
    except KeyboardInterrupt:
        return _fail("interrupted; nothing was committed, the warehouse is unchanged", 130)


if __name__ == "__main__":
    sys.exit(main())
