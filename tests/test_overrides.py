"""pricing/overrides.yaml: validated with line and field; custom models price what the price
book lacks on the next run; corrections apply from their date; discounts to what they name."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipelines.jobs import run_ingest
from pipelines.pricing.overrides import OverridesError, load
from tests.conftest import query


@pytest.mark.parametrize(("text", "line", "message"), [
    ("discounts:\n  - provider: openai\n    percent: 120\n    from: 2026-01-01\n", 3,
     "field 'percent': must be between 0 and 100"),
    ("discounts:\n  - provider: openai\n    percent: 10\n", 2, "field 'from': is required"),
    ("discounts:\n  - provider: openai\n    percent: 10\n    from: 2026-13-01\n", 4,
     "field 'from': must be a date"),
    ("custom_models:\n  - provider: openai\n    model: ft:x\n    prices:\n"
     "      input_mtk: 1\n", 5, "field 'prices.input_mtk': unknown price key"),
    ("custom_models:\n  - provider: openai\n    prices: {input_mtok: 1}\n", 2,
     "give exactly one of 'model' or 'model_starts_with'"),
    ("corrections:\n  - provider: anthropic\n    model: m\n    from: 2026-01-01\n"
     "    prices: {output_mtok: -3}\n", 5, "must be at least 0"),
    ("discount:\n  - provider: openai\n", 1, "unknown section"),
    ("discounts:\n  - provider: openai\n    percent: 5\n    from: 2026-01-01\n    colour: red\n",
     5, "field 'colour': is not a known field"),
])
def test_a_bad_entry_names_its_line_and_field(tmp_path, text, line, message):
    path = tmp_path / "overrides.yaml"
    path.write_text(text)
    with pytest.raises(OverridesError) as caught:
        load(path)
    assert f"{path} line {line}" in str(caught.value)
    assert message in str(caught.value)


def priced(wh, key):
    """The costs of the call with this provider id or dedup_key."""
    return query(wh, "SELECT c.is_priced, c.total_cost, c.list_cost, c.discount_percent, "
                     "c.input_cost, c.output_cost FROM fct_costs c JOIN fct_requests f "
                     "USING (call_id) WHERE ? IN (f.request_id, f.dedup_key)", [key])[0]


def test_custom_models_corrections_and_discounts(fixture_landing, tmp_path):
    wh, overrides = tmp_path / "wh.ducklake", tmp_path / "overrides.yaml"
    run_ingest(fixture_landing, wh, workers=1, price_overrides=overrides)
    # the fixture envelopes name a model "m" that no price book knows
    provider = query(wh, "SELECT min(provider) FROM unpriced_models WHERE model = 'm'")[0][0]
    custom_id, inp, read, write, out = query(
        wh, "SELECT dedup_key, input_tokens, cache_read_tokens, "
            "cache_write_tokens + cache_write_1h_tokens, output_tokens "
            "FROM fct_requests WHERE model = 'm' AND status = 'ok' AND provider = ? "
            "ORDER BY dedup_key LIMIT 1",  # the lake returns rows in no fixed order
        [provider])[0]
    assert priced(wh, custom_id)[:2] == (False, None)
    sonnet = "msg_01KPaKTJSqAKoZri7Ujrny58"  # claude-sonnet-4-5: 3 in, 1111 read, 418 write, 33 out
    before = priced(wh, sonnet)

    overrides.write_text(
        "custom_models:\n"
        f"  - provider: {provider}\n    model: m\n"
        "    prices: {input_mtok: 0.5, cache_read_mtok: 0.1, output_mtok: 2}\n"
        "corrections:\n"
        "  - provider: anthropic\n    model: claude-sonnet-4-5\n    from: 2000-01-01\n"
        "    prices: {output_mtok: 30}\n"
        "discounts:\n"
        "  - provider: anthropic\n    percent: 10\n    from: 2000-01-01\n")
    summary = run_ingest(fixture_landing, wh, workers=1, price_overrides=overrides)
    assert summary.files_new == 0  # nothing new to read: the new price book alone re-priced

    assert provider not in {row[0] for row in query(
        wh, "SELECT provider FROM unpriced_models WHERE model = 'm'")}
    is_priced, total, *_ = priced(wh, custom_id)
    # a cache write without a price of its own is priced as input
    assert is_priced and total == (inp * Decimal("0.5") + read * Decimal("0.1")
                                   + write * Decimal("0.5") + out * Decimal(2)) / 1_000_000

    is_priced, total, list_cost, discount, input_cost, output_cost = priced(wh, sonnet)
    assert discount == 10 and list_cost == before[2] + 33 * Decimal(15) / 1_000_000
    assert output_cost == Decimal(33) * 30 / 1_000_000 * Decimal("0.9")
    assert input_cost == before[4] * Decimal("0.9")
    assert total == list_cost * Decimal("0.9")
    versions = {row[0] for row in query(wh, "SELECT DISTINCT pricebook_version FROM fct_costs")}
    assert len(versions) == 1 and "overrides" in versions.pop()


def test_a_request_fee_is_charged_for_successful_calls_only(fixture_landing, tmp_path):
    wh, overrides = tmp_path / "wh.ducklake", tmp_path / "overrides.yaml"
    overrides.write_text("custom_models:\n" + "".join(
        f"  - provider: {p}\n    model: m\n    prices: {{input_mtok: 1, requests_kcount: 5}}\n"
        for p in ("anthropic", "aws", "google", "openai")))
    run_ingest(fixture_landing, wh, workers=1, price_overrides=overrides)
    fees = dict(query(wh, "SELECT status, max(request_cost) FROM fct_request_costs "
                          "WHERE model = 'm' AND is_priced GROUP BY 1"))
    assert fees["ok"] == Decimal("0.005")  # $5 per 1,000 requests
    assert fees["error"] == 0  # deliberate: a failed call is not billed (docs/pricing.md)
