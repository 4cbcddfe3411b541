-- Hardware generations for the projections, loaded from seeds/hardware_generations.yaml
-- (pipelines/hardware.py). Every figure names its source; NULL where no source gives one.
CREATE TABLE IF NOT EXISTS hardware_sources (
    source_key VARCHAR NOT NULL,
    title      VARCHAR NOT NULL,
    url        VARCHAR
);
COMMENT ON TABLE hardware_sources IS 'Sources cited by dim_hardware_generation. Grain: one row per source key.';
COMMENT ON COLUMN hardware_sources.source_key IS 'Key cited in the *_source columns of dim_hardware_generation.';
COMMENT ON COLUMN hardware_sources.title IS 'What the source is (publication, page).';
COMMENT ON COLUMN hardware_sources.url IS 'Address of the source, NULL where the reference gives none.';

CREATE TABLE IF NOT EXISTS dim_hardware_generation (
    generation_id             VARCHAR NOT NULL,
    name                      VARCHAR NOT NULL,
    vendor                    VARCHAR NOT NULL,
    architecture              VARCHAR NOT NULL,
    predecessor_id            VARCHAR,
    sequence                  INTEGER NOT NULL,
    memory_gb                 DECIMAL(9, 1),
    memory_gb_source          VARCHAR,
    memory_type               VARCHAR,
    memory_type_source        VARCHAR,
    bandwidth_tb_s            DECIMAL(9, 3),
    bandwidth_tb_s_source     VARCHAR,
    bf16_dense_tflops         DECIMAL(12, 1),
    bf16_dense_tflops_source  VARCHAR,
    fp8_dense_tflops          DECIMAL(12, 1),
    fp8_dense_tflops_source   VARCHAR,
    fp4_dense_tflops          DECIMAL(12, 1),
    fp4_dense_tflops_source   VARCHAR,
    announced                 DATE,
    announced_precision       VARCHAR,
    announced_source          VARCHAR,
    first_shipped             DATE,
    first_shipped_precision   VARCHAR,
    first_shipped_source      VARCHAR,
    cloud_available           DATE,
    cloud_available_precision VARCHAR,
    cloud_available_source    VARCHAR,
    claim_factor              DECIMAL(8, 2),
    claim_basis               VARCHAR,
    claim_versus              VARCHAR,
    claim_quote               VARCHAR,
    claim_source              VARCHAR,
    notes                     VARCHAR,
    seed_version              VARCHAR NOT NULL
);
COMMENT ON TABLE dim_hardware_generation IS 'Inference hardware generations (GPUs, TPUs) from the reviewed seed seeds/hardware_generations.yaml. Grain: one row per generation. Vendor figures are claims; a NULL figure means no source gives it, never zero. Every figure has a *_source column naming a hardware_sources key.';
COMMENT ON COLUMN dim_hardware_generation.generation_id IS 'Slug of the generation, e.g. h100-sxm, vera-rubin.';
COMMENT ON COLUMN dim_hardware_generation.name IS 'Display name.';
COMMENT ON COLUMN dim_hardware_generation.vendor IS 'NVIDIA, AMD or Google.';
COMMENT ON COLUMN dim_hardware_generation.architecture IS 'Architecture family (Ampere, Hopper, Blackwell, Rubin, CDNA, TPU …).';
COMMENT ON COLUMN dim_hardware_generation.predecessor_id IS 'Previous generation of the same vendor line.';
COMMENT ON COLUMN dim_hardware_generation.sequence IS 'Order within the vendor line, 1 = oldest.';
COMMENT ON COLUMN dim_hardware_generation.memory_gb IS 'Accelerator memory per chip, GB.';
COMMENT ON COLUMN dim_hardware_generation.memory_gb_source IS 'Source of memory_gb.';
COMMENT ON COLUMN dim_hardware_generation.memory_type IS 'Memory technology (HBM3e, HBM4, GDDR7 …).';
COMMENT ON COLUMN dim_hardware_generation.memory_type_source IS 'Source of memory_type.';
COMMENT ON COLUMN dim_hardware_generation.bandwidth_tb_s IS 'Memory bandwidth per chip, TB/s.';
COMMENT ON COLUMN dim_hardware_generation.bandwidth_tb_s_source IS 'Source of bandwidth_tb_s.';
COMMENT ON COLUMN dim_hardware_generation.bf16_dense_tflops IS 'Dense BF16 throughput, TFLOPS (headline sparse figures halved).';
COMMENT ON COLUMN dim_hardware_generation.bf16_dense_tflops_source IS 'Source of bf16_dense_tflops.';
COMMENT ON COLUMN dim_hardware_generation.fp8_dense_tflops IS 'Dense FP8 throughput, TFLOPS.';
COMMENT ON COLUMN dim_hardware_generation.fp8_dense_tflops_source IS 'Source of fp8_dense_tflops.';
COMMENT ON COLUMN dim_hardware_generation.fp4_dense_tflops IS 'Dense FP4 throughput, TFLOPS; NULL where sources disagree whether a figure is dense (see notes).';
COMMENT ON COLUMN dim_hardware_generation.fp4_dense_tflops_source IS 'Source of fp4_dense_tflops.';
COMMENT ON COLUMN dim_hardware_generation.announced IS 'Announcement date (first day of the period when only a month, quarter, half or year is known).';
COMMENT ON COLUMN dim_hardware_generation.announced_precision IS 'day, month, quarter, half or year: how precise announced is.';
COMMENT ON COLUMN dim_hardware_generation.announced_source IS 'Source of announced.';
COMMENT ON COLUMN dim_hardware_generation.first_shipped IS 'First shipments (a planned date for unreleased parts, see notes).';
COMMENT ON COLUMN dim_hardware_generation.first_shipped_precision IS 'Precision of first_shipped.';
COMMENT ON COLUMN dim_hardware_generation.first_shipped_source IS 'Source of first_shipped.';
COMMENT ON COLUMN dim_hardware_generation.cloud_available IS 'First availability from a cloud provider.';
COMMENT ON COLUMN dim_hardware_generation.cloud_available_precision IS 'Precision of cloud_available.';
COMMENT ON COLUMN dim_hardware_generation.cloud_available_source IS 'Source of cloud_available.';
COMMENT ON COLUMN dim_hardware_generation.claim_factor IS 'Claimed improvement against claim_versus, as a factor (10 = ten times lower cost per token, or ten times the measure in claim_basis).';
COMMENT ON COLUMN dim_hardware_generation.claim_basis IS 'What the claim measures: cost per token, throughput per GPU, tokens per dollar …';
COMMENT ON COLUMN dim_hardware_generation.claim_versus IS 'Generation the claim compares against.';
COMMENT ON COLUMN dim_hardware_generation.claim_quote IS 'The claim in its source''s words.';
COMMENT ON COLUMN dim_hardware_generation.claim_source IS 'Source of the claim.';
COMMENT ON COLUMN dim_hardware_generation.notes IS 'Uncertainties and conflicts between sources (marked ⚠).';
COMMENT ON COLUMN dim_hardware_generation.seed_version IS 'Hash of the seed file the row was loaded from.';
