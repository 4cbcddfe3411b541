import streamlit as st

from dashboards import filters, queries, ui

st.title("Prices")
if not ui.empty_warehouse():
    st.caption(f"Price book: {queries.pricebook_version()}")
    day = st.date_input("Prices in force on", value=filters.current().end, key="prices_day")
    st.subheader(f"Standard prices on {day} (USD per million tokens, base tier)")
    ui.table(queries.prices_on(day), "prices_in_force")
    st.subheader("Negotiated discounts (pricing/overrides.yaml)")
    ui.table(queries.overrides(), "discounts")
    st.subheader("Custom models and corrections")
    ui.table(queries.override_prices(), "override_prices")
    st.subheader("Models without a price")
    st.caption("Never priced at $0: add a custom model to pricing/overrides.yaml and the next "
               "run prices them.")
    ui.table(queries.unpriced_models(), "unpriced_models")
