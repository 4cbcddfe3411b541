import streamlit as st

from dashboards import queries, ui

st.title("Hardware generations")
if not ui.empty_warehouse():
    st.caption("From the reviewed seed seeds/hardware_generations.yaml: every figure names its "
               "source; a blank means no source gives it. Vendor figures are claims.")
    generations = queries.hardware_generations()
    ui.table(generations.select(
        "name", "vendor", "architecture", "memory_gb", "memory_type", "bandwidth_tb_s",
        "bf16_dense_tflops", "fp8_dense_tflops", "fp4_dense_tflops", "announced",
        "first_shipped", "cloud_available", "claim_factor", "claim_basis", "claim_versus",
        "claim_quote", "claim_source", "memory_gb_source", "fp4_dense_tflops_source", "notes"),
        "hardware_generations")
    charts = ui.chart_frame(generations)
    memory, fp4 = st.columns(2)
    with memory:
        st.subheader("Memory per chip (GB)")
        st.bar_chart(charts.filter(charts["memory_gb"].is_not_null()), x="name",
                     y="memory_gb", color="vendor", x_label="", y_label="GB", sort=False)
    with fp4:
        st.subheader("Dense FP4 throughput (TFLOPS)")
        st.bar_chart(charts.filter(charts["fp4_dense_tflops"].is_not_null()), x="name",
                     y="fp4_dense_tflops", x_label="", y_label="TFLOPS", sort=False)
    st.subheader("Claimed improvement against the generation named")
    claims = charts.filter(charts["claim_factor"].is_not_null())
    st.bar_chart(claims.with_columns((claims["name"] + " vs " + claims["claim_versus"])
                                     .alias("claim")),
                 x="claim", y="claim_factor", horizontal=True, x_label="x (see basis)",
                 y_label="")
    st.subheader("Sources")
    ui.table(queries.hardware_sources(), "hardware_sources")
