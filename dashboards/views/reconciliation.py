import streamlit as st

from dashboards import charts, filters, queries, ui

NOT_MATCHING = ("mismatch", "missing_billing", "missing_ledger")

st.title("Reconciliation")
if not ui.empty_warehouse():
    providers = queries.billing_providers()
    if not providers:
        st.info("No provider cost report is loaded. Put the OpenAI Costs API pages, the "
                "Anthropic cost report pages or the consoles' CSV exports under "
                f"`{queries.landing_billing_folder()}` and run `tokenworks ingest` "
                "(docs/reconciliation.md).")
    else:
        chosen = filters.current()
        provider = st.segmented_control("Provider", providers, default=providers[0],
                                        key="reconciliation_provider") or providers[0]
        days = queries.reconciliation_days(chosen, provider)
        judged = days.filter(days["status"] != "open")
        failing = judged.filter(judged["status"].is_in(NOT_MATCHING))
        settled = judged.filter(judged["status"].is_in(("match", "mismatch")))
        matched, not_matching, difference, still_open = st.columns(4)
        matched.metric("Closed days matching", f"{len(judged) - len(failing):,} of "
                                               f"{len(judged):,}")
        not_matching.metric("Closed days not matching", f"{len(failing):,}",
                            help="mismatch: the difference is over the tolerance; "
                                 "missing_billing: no report covers the day; missing_ledger: "
                                 "billed, but no call in the ledger.")
        difference.metric("Ledger minus billed, closed days", ui.money(
            settled["difference"].sum() if len(settled) else 0))
        still_open.metric("Days still open", f"{len(days) - len(judged):,}",
                          help="A day's bill is final a few days after it ends "
                               "(TOKENWORKS_BILLING_OPEN_DAYS); until then it is not judged.")
        st.subheader("Daily difference")
        st.caption(f"{provider}, {chosen.start} to {chosen.end}: the ledger's cost less the "
                   "billed cost, by day; a bar above zero is more in the ledger than on the "
                   "bill.")
        charts.over_time(days.filter(days["difference"].is_not_null()), "day", "difference",
                         grain="Day", color="status", value_title="USD", money=True)
        ui.table(days, f"reconciliation_{provider}")

        st.subheader("One day, in detail")
        choices = days["day"].to_list()
        if choices:
            first = failing["day"].to_list()[:1] or choices[:1]
            day = st.selectbox("Day", choices, index=choices.index(first[0]),
                               key=f"reconciliation_day_{provider}")
            by_model, by_line_item, by_project, tokens = st.tabs(
                ["By model", "By line item", "By project", "Tokens against the usage report"],
                key="reconciliation_tab", bind="query-params")
            for tab, by in ((by_model, "model"), (by_line_item, "line item"),
                            (by_project, "project"), (tokens, "tokens")):
                with tab:
                    if tab.open:
                        ui.table(queries.reconciliation_detail(provider, day, by),
                                 f"reconciliation_{provider}_{day}_{by.replace(' ', '_')}")
