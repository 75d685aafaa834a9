"""`flopcast report --estimate`: planned against measured; a count + estimate card with no run; the Hugging Face
model-card block; estimate files of another kind or schema refused in one line."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from .helpers import Recorded, cli

CONFIG = {"model_type": "gpt2", "n_layer": 2, "n_embd": 64, "n_head": 2, "vocab_size": 128, "n_positions": 32}


def write_cli_json(path: Path, args: list[str]) -> dict:
    code, out, err = cli(args)
    assert code == 0, err
    path.write_text(out)
    return json.loads(out)


@pytest.fixture(scope="module")
def plan(recorded: Recorded) -> tuple[Path, dict]:
    """The estimate sweep-3 could have been planned with: its own compute on the hardware it ran on."""
    rec = recorded.records["sweep-3"]
    path = recorded.dir / "est.json"
    est = write_cli_json(
        path,
        [
            "estimate",
            "--flop",
            str(rec["steps"] * rec["flop_per_step"]),
            "--hardware",
            "h100",
            "--chips",
            "1",
            "--region",
            "FRA",
            "--json",
        ],
    )
    return path, est


@pytest.fixture(scope="module")
def counted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, Path, dict]:
    pytest.importorskip("torch")
    d = tmp_path_factory.mktemp("card")
    (d / "config.json").write_text(json.dumps(CONFIG))
    count = write_cli_json(d / "count.json", ["count", str(d / "config.json"), "--seq-len", "16", "--json"])
    est = write_cli_json(
        d / "est.json",
        [
            "estimate",
            "--params",
            str(count["params"]),
            "--tokens",
            "2e9",
            "--hardware",
            "h100",
            "--chips",
            "8",
            "--region",
            "FRA",
            "--json",
        ],
    )
    return d / "count.json", count, d / "est.json", est


def test_estimate_against_actual_ratios_and_furthest_off(recorded: Recorded, plan: tuple[Path, dict]) -> None:
    path, est = plan
    rec = recorded.records["sweep-3"]
    code, out, err = cli(
        ["report", rec["run_id"], "--ledger", str(recorded.ledger), "--estimate", str(path), "--format", "json"]
    )
    assert code == 0, err
    doc = json.loads(out)
    rows = {r["key"]: r for r in doc["comparison"]["rows"]}
    expected = {
        "wall_seconds": est["wall_hours"] * 3600 / rec["wall_seconds"],
        "energy_kwh": est["energy_kwh"] / rec["energy_kwh"],
        "cost_usd": est["cost_usd"] / rec["cost_usd"],
        "co2e_kg": est["co2e_kg"] / rec["co2e_kg"],
        "chip_hours": est["chip_hours"] / rec["chip_hours"],
        "utilization": est["utilization"] / rec["mfu"],
    }
    for key, ratio in expected.items():
        assert rows[key]["ratio"] == pytest.approx(ratio), key
    assert rows["training_flop"]["ratio"] == pytest.approx(1.0)  # planned with the run's own compute
    assert doc["comparison"]["furthest_off"] == max(expected, key=lambda k: abs(math.log(expected[k])))
    assert f"utilization {est['utilization']}" in rows["wall_seconds"]["driver"]
    assert doc["estimate"] == est
    code, md, _ = cli(["report", rec["run_id"], "--ledger", str(recorded.ledger), "--estimate", str(path)])
    assert "## Estimate against actual" in md and f"Furthest off: {doc['comparison']['furthest_off']} (" in md


def test_project_is_compared_with_its_final_run(recorded: Recorded, plan: tuple[Path, dict]) -> None:
    code, out, err = cli(
        ["report", "sweep-*", "--ledger", str(recorded.ledger), "--estimate", str(plan[0]), "--format", "json"]
    )
    assert code == 0, err
    rows = {r["key"]: r for r in json.loads(out)["comparison"]["rows"]}
    assert rows["energy_kwh"]["measured"] == recorded.records["sweep-3"]["energy_kwh"]


@pytest.mark.parametrize(
    "content, says",
    [
        (None, "a flopcast.run/1 file, not an estimate"),
        ({"schema": "flopcast.estimate/2", "training_flop": 1.0}, "a flopcast.estimate/2 file, not an estimate"),
        ({"forward_flop": 1, "params": 2, "by_operator": {}}, "a flopcast.count/1 file, not an estimate"),
        ({"hello": 1}, "not a flopcast file of any kind"),
        ("{not json", "not JSON"),
    ],
)
def test_estimate_of_another_kind_is_one_line_exit_2(recorded: Recorded, tmp_path: Path, content, says) -> None:
    path = tmp_path / "est.json"
    if content is None:
        path.write_text(json.dumps(recorded.records["sweep-1"]))
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    code, out, err = cli(["report", "sweep-*", "--ledger", str(recorded.ledger), "--estimate", str(path)])
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and says in err and "flopcast estimate" in err, err


def test_card_from_count_and_estimate(counted) -> None:
    count_path, count, est_path, est = counted
    code, out, err = cli(["report", "--count", str(count_path), "--estimate", str(est_path), "--format", "json"])
    assert code == 0, err
    doc = json.loads(out)
    f = {x["key"]: x for x in doc["figures"]}
    assert doc["kind"] == "card" and doc["count"] == count and doc["estimate"] == est
    assert f["forward_flop"]["value"] == count["forward_flop"] and f["params"]["value"] == count["params"]
    assert f["training_flop_counting"]["value"] == pytest.approx(6 * count["params"] * 2e9)  # 6 N D
    # hardware burden at peak: chips × peak × hours = compute / assumed utilization (0.3, Epoch AI's LM convention)
    assert f["training_flop_burden"]["value"] == pytest.approx(est["training_flop"] / est["utilization"])
    for key, value in (
        ("wall_seconds", est["wall_hours"] * 3600),
        ("energy_kwh", est["energy_kwh"]),
        ("co2e_kg", est["co2e_kg"]),
        ("cost_usd", est["cost_usd"]),
        ("chip_hours", est["chip_hours"]),
    ):
        assert f[key]["value"] == pytest.approx(value), key
    assert f["hardware"]["value"] == "8 × H100 SXM5 80GB"
    lo, hi = est["low"]["energy_kwh"], est["high"]["energy_kwh"]
    assert f"range {lo:.4g} – {hi:.4g}" in f["energy_kwh"]["source"]
    assert not any("differ from the count" in n for n in doc["notes"])  # planned with the count's params
    for fmt in ("md", "html"):
        code, text, err = cli(["report", "--count", str(count_path), "--estimate", str(est_path), "--format", fmt])
        assert code == 0 and "operation counting" in text and "hardware burden" in text, err


def test_card_says_when_the_estimate_is_for_another_model_size(counted, tmp_path: Path) -> None:
    count_path, count, _, _ = counted
    other = write_cli_json(
        tmp_path / "other.json",
        [
            "estimate",
            "--params",
            str(3 * count["params"]),
            "--tokens",
            "2e9",
            "--hardware",
            "h100",
            "--chips",
            "8",
            "--json",
        ],
    )
    code, out, err = cli(
        ["report", "--count", str(count_path), "--estimate", str(tmp_path / "other.json"), "--format", "json"]
    )
    assert code == 0, err
    notes = json.loads(out)["notes"]
    assert any(f"({3 * count['params']:.4g}) differ from the count's ({count['params']:.4g})" in n for n in notes)
    assert other["training_flop"] == pytest.approx(6 * 3 * count["params"] * 2e9)


def model_card(counted) -> str:
    count_path, _, est_path, _ = counted
    code, text, err = cli(
        [
            "report",
            "--count",
            str(count_path),
            "--estimate",
            str(est_path),
            "--format",
            "model-card",
            "--training-type",
            "pre-training",
        ]
    )
    assert code == 0, err
    return text


def test_model_card_front_matter_is_the_co2_block(counted) -> None:
    yaml = pytest.importorskip("yaml", reason="PyYAML reads the front matter back")
    text = model_card(counted)
    assert text.startswith("---\nco2_eq_emissions:\n")
    meta = yaml.safe_load(text.split("---\n")[1])["co2_eq_emissions"]
    est = counted[3]
    assert meta["emissions"] == pytest.approx(est["co2e_kg"] * 1000, rel=1e-6)  # grams
    assert meta["training_type"] == "pre-training" and meta["hardware_used"] == "8 × H100 SXM5 80GB"
    assert meta["geographical_location"] == "FRA (France)"
    assert meta["source"].startswith("flopcast estimate (planned, not measured")
    assert "## Compute and emissions" in text


def test_huggingface_hub_parses_and_round_trips_the_card(counted) -> None:
    hub = pytest.importorskip("huggingface_hub", reason="not installed (pip install huggingface_hub)")
    text = model_card(counted)
    card = hub.ModelCard(text)
    block = card.data.to_dict()["co2_eq_emissions"]
    assert block["emissions"] == pytest.approx(counted[3]["co2e_kg"] * 1000, rel=1e-6)
    again = hub.ModelCard(str(card))
    assert again.data.to_dict()["co2_eq_emissions"] == block
    data = hub.ModelCardData(co2_eq_emissions=block)
    assert data.to_dict()["co2_eq_emissions"] == block
    assert "Compute and emissions" in card.text


def test_run_model_card_is_measured(recorded: Recorded) -> None:
    yaml = pytest.importorskip("yaml")
    rec = recorded.records["sweep-1"]
    code, text, err = cli(["report", rec["run_id"], "--ledger", str(recorded.ledger), "--format", "model-card"])
    assert code == 0, err
    meta = yaml.safe_load(text.split("---\n")[1])["co2_eq_emissions"]
    assert meta["emissions"] == pytest.approx(rec["co2e_kg"] * 1000, rel=1e-6)
    assert meta["geographical_location"] == "FRA" and "measured" in meta["source"]
    assert "training_type" not in meta and "--training-type" in text  # not given: left out, and said so


@pytest.mark.parametrize(
    "args, says",
    [
        (["report"], "nothing to report"),
        (["report", "--count", "c.json"], "--count needs --estimate"),
        (["report", "x", "--count", "c.json", "--estimate", "e.json"], "not both"),
        (["report", "x", "--format", "pdf"], "unknown --format"),
        (["report", "x", "--training-type", "pretrain"], "unknown --training-type"),
    ],
)
def test_usage_errors_are_one_line(args, says) -> None:
    code, out, err = cli(args)
    assert code == 2 and out == "" and says in err and len(err.strip().splitlines()) == 1


def test_card_states_the_cost_in_epochs_2023_dollars(counted, tmp_path: Path) -> None:
    import pandas as pd

    from flopcast.data import path as data_path

    count_path, _, est_path, est = counted
    code, out, err = cli(["report", "--count", str(count_path), "--estimate", str(est_path), "--format", "json"])
    assert code == 0, err
    fig = {x["key"]: x for x in json.loads(out)["figures"]}["cost_usd_2023"]
    ppi = pd.read_csv(data_path("epoch/ppi_data_processing_PCU518210518210.csv"), parse_dates=["observation_date"])
    series = ppi.set_index("observation_date")["PCU518210518210"]
    month = pd.Timestamp(est["price_as_of"][:7] + "-01")
    at_price = series[month] if month in series.index else series.iloc[-1]  # after the series: its last month
    factor = series[series.index.year == 2023].mean() / at_price
    assert fig["value"] == pytest.approx(est["cost_usd"] * factor, rel=1e-12) and fig["basis"] == "estimated"
    given = {**est, "price_as_of": None}
    (tmp_path / "given.json").write_text(json.dumps(given))
    code, out, err = cli(
        ["report", "--count", str(count_path), "--estimate", str(tmp_path / "given.json"), "--format", "json"]
    )
    fig = {x["key"]: x for x in json.loads(out)["figures"]}["cost_usd_2023"]
    assert fig["value"] is None and fig["basis"] == "unavailable"


def test_card_location_is_the_estimates_region_field(counted, tmp_path: Path) -> None:
    # a cloud region's code has a colon: the old reading of the grid's source text cut it to "gcp"
    count_path = counted[0]
    for region, extra, location in (
        ("gcp:us-central1", [], "gcp:us-central1 (GCP us-central1 (Council Bluffs, USA))"),
        ("FRA", ["--grid-intensity", "50"], "FRA (France)"),
    ):
        est = tmp_path / "est.json"
        code, out, err = cli(
            [
                "estimate",
                "--params",
                "1e8",
                "--tokens",
                "2e9",
                "--hardware",
                "h100",
                "--chips",
                "8",
                "--region",
                region,
                *extra,
                "--json",
            ]
        )
        assert code == 0, err
        est.write_text(out)
        assert json.loads(out)["region"] == region
        code, out, err = cli(["report", "--count", str(count_path), "--estimate", str(est), "--format", "json"])
        assert code == 0, err
        assert json.loads(out)["co2_eq_emissions"]["geographical_location"] == location


def card_text(counted, fmt: str, *extra: str) -> str:
    count_path, _, est_path, _ = counted
    code, text, err = cli(["report", "--count", str(count_path), "--estimate", str(est_path), "--format", fmt, *extra])
    assert code == 0, err
    return text


def test_card_states_the_dataset_size_given_and_the_epochs_it_implies(counted) -> None:
    # the estimate was made with --tokens 2e9; a 5e8-token dataset read 2e9 / 5e8 = 4 times
    f = {x["key"]: x for x in json.loads(card_text(counted, "json", "--dataset-tokens", "500M"))["figures"]}
    assert f["training_tokens"]["value"] == 2e9 and f["training_tokens"]["basis"] == "given"
    assert f["dataset_tokens"]["value"] == 5e8 and f["dataset_tokens"]["basis"] == "given"
    assert f["dataset_tokens"]["source"] == "given (--dataset-tokens)"
    assert f["epochs"]["value"] == pytest.approx(4.0) and f["epochs"]["basis"] == "estimated"
    for fmt in ("md", "model-card"):
        text = card_text(counted, fmt, "--dataset-tokens", "5e8")
        assert "| training dataset size | 5e+08 tokens | given | given (--dataset-tokens) |" in text
        assert "| epochs | 4 epochs | estimated | training tokens / training dataset size (given) |" in text
    html = card_text(counted, "html", "--dataset-tokens", "5e8")
    assert '<td>epochs</td><td class="n">4 epochs</td>' in html and "5e+08 tokens" in html


def test_card_without_a_dataset_size_says_not_given(counted) -> None:
    f = {x["key"]: x for x in json.loads(card_text(counted, "json"))["figures"]}
    assert f["dataset_tokens"]["value"] is None and f["dataset_tokens"]["basis"] == "unavailable"
    assert f["dataset_tokens"]["source"].startswith("not given")
    assert f["epochs"]["value"] is None and f["epochs"]["source"] == "needs training dataset size"
    md = card_text(counted, "md")
    assert "| training dataset size | n/a | unavailable | not given: pass --dataset-tokens N" in md


def test_card_of_an_estimate_without_tokens_has_no_epochs(counted, plan: tuple[Path, dict]) -> None:
    count_path = counted[0]
    args = ["--count", str(count_path), "--estimate", str(plan[0]), "--dataset-tokens", "1e6", "--format", "json"]
    code, out, err = cli(["report", *args])
    assert code == 0, err
    f = {x["key"]: x for x in json.loads(out)["figures"]}  # plan: an estimate made from --flop
    assert f["training_tokens"]["value"] is None and f["dataset_tokens"]["value"] == 1e6
    assert f["epochs"]["value"] is None and f["epochs"]["source"] == "needs training tokens"


@pytest.mark.parametrize(
    "value, says",
    [
        ("0", "--dataset-tokens must be a number of tokens above 0 (got 0.0)"),
        ("-3B", "--dataset-tokens must be a number of tokens above 0 (got -3000000000.0)"),
        ("1e400", "--dataset-tokens must be a number of tokens above 0 (got inf)"),
        ("lots", "--dataset-tokens: 'lots' is not a number"),
        ("nan", "--dataset-tokens: 'nan' is not a number"),
    ],
)
def test_a_bad_dataset_size_is_one_line_exit_2(counted, value: str, says: str) -> None:
    count_path, _, est_path, _ = counted
    args = ["--count", str(count_path), "--estimate", str(est_path), f"--dataset-tokens={value}"]
    code, out, err = cli(["report", *args])
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and says in err, err


def test_a_dataset_size_is_for_a_card_only(recorded: Recorded) -> None:
    rec = recorded.records["sweep-1"]
    code, out, err = cli(["report", rec["run_id"], "--ledger", str(recorded.ledger), "--dataset-tokens", "1e9"])
    assert code == 2 and out == "" and "--dataset-tokens is for a card" in err


def test_the_library_refuses_a_bad_dataset_size(counted) -> None:
    from flopcast.errors import InputError
    from flopcast.report.document_card import check_dataset_tokens
    from flopcast.report.document_inputs import load_estimate
    from flopcast.report.documents import card_report

    planned = load_estimate(counted[2])
    for bad in (0.0, -1.0, math.inf, math.nan, True):
        with pytest.raises(InputError, match="--dataset-tokens must be a number of tokens above 0"):
            card_report(None, planned, dataset_tokens=bad)
    assert check_dataset_tokens(None) is None and check_dataset_tokens(3) == 3.0


def test_card_of_a_per_example_estimate_states_its_examples_and_epochs(counted, tmp_path: Path) -> None:
    count_path = counted[0]
    config = count_path.parent / "config.json"
    args = ["--model", str(config), "--seq-len", "16", "--examples", "1000", "--epochs", "3", "--hardware", "h100"]
    write_cli_json(tmp_path / "est.json", ["estimate", *args, "--json"])
    code, out, err = cli(
        ["report", "--count", str(count_path), "--estimate", str(tmp_path / "est.json"), "--format", "json"]
    )
    assert code == 0, err
    f = {x["key"]: x for x in json.loads(out)["figures"]}
    size = f["dataset_examples"]
    assert (size["value"], size["unit"], size["basis"]) == (1000, "examples", "given")
    assert f["epochs"]["value"] == 3 and f["epochs"]["basis"] == "given" and "dataset_tokens" not in f
