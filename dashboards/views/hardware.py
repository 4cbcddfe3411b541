import polars as pl
import streamlit as st

from dashboards import charts, queries, ui

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
    memory, fp4 = st.columns(2)
    with memory:
        st.subheader("Memory per chip (GB)")
        charts.bar(generations.filter(pl.col("memory_gb").is_not_null()), "name",
                   "memory_gb", color="vendor", value_title="GB", keep_order=True)
    with fp4:
        st.subheader("Dense FP4 throughput (TFLOPS)")
        charts.bar(generations.filter(pl.col("fp4_dense_tflops").is_not_null()), "name",
                   "fp4_dense_tflops", value_title="TFLOPS", keep_order=True)
    st.subheader("Claimed improvement against the generation named")
    claims = generations.filter(pl.col("claim_factor").is_not_null())
    charts.bar(claims.with_columns((pl.col("name") + " vs " + pl.col("claim_versus"))
                                   .alias("claim")),
               "claim", "claim_factor", horizontal=True, value_title="x (see basis)")
    st.subheader("Sources")
    ui.table(queries.hardware_sources(), "hardware_sources")
