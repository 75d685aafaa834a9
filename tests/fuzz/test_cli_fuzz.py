"""CLI fuzz: every command and every option, with values people mistype and files that are not what they should be.

The commands and their options are read from the typer app, so a new option is fuzzed the day it is added. Each drawn
command line runs in-process through :func:`flopcast.cli.main` (the real error boundary) and must end in a result
(exit 0) or a one-line error (exit 2): never another exit code, a traceback, an ``internal error``, an empty message,
a RuntimeWarning (pytest turns warnings into errors), or a nan/inf/negative physical quantity in ``--json`` output.

Draws are derandomized so CI is reproducible; ``FLOPCAST_FUZZ_EXAMPLES=N`` and ``FLOPCAST_FUZZ_RANDOM=1`` run a
larger, random campaign locally. Complexity: O(examples) command runs, each on files of a few rows.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import re
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flopcast.cli import app, main

EXAMPLES = int(os.environ.get("FLOPCAST_FUZZ_EXAMPLES", "12"))
RANDOM = os.environ.get("FLOPCAST_FUZZ_RANDOM", "") not in ("", "0")
SECONDS_PER_RUN = 60

INTS = ["-5", "-1", "0", "1", "2", "3", "8", "1.5", "abc", "nan", ""]
FLOATS = ["nan", "inf", "-inf", "-1", "0", "1e-300", "0.5", "1", "2.5", "1e300", "abc", ""]
QUANTITIES = ["7e9", "7B", "1.5T", "-1", "0", "nan", "inf", "2.5", "abc", "1e400", "1e-30", ""]
WORDS = ["", " ", "garbage", "é", "--", "a" * 300]

# Option name -> values a user might type for it (besides WORDS). Unlisted string options get WORDS only.
VOCABULARY: dict[str, list[str]] = {
    "hardware": ["H100 SXM", "h100", "H1OO", "A10", "A100 PCIe 40GB", "TPU v4", "nosuchchip"],
    "name": ["H100 SXM", "Titan Black", "run-1", "nosuchchip"],
    "region": ["USA", "aws:us-east-1", "gcp:us-central1", "fr", "nowhere"],
    "code": ["USA", "aws:us-east-1", "gcp:us-central1", "nowhere"],
    "precision": ["bf16", "fp32", "tf32", "fp8", "int4"],
    "burden_precision": ["bf16", "fp32", "fp16"],
    "pricing": ["on-demand", "spot", "reserved"],
    "provider": ["aws", "gcp", "azure", "lambda"],
    "conversion": ["thompson2020", "hardware"],
    "measure": ["per-pass", "training"],
    "mode": ["forward", "train", "inference"],
    "dtype": ["float32", "bfloat16", "float16", "int8"],
    "attention": ["eager", "sdpa"],
    "optimizer": ["adam", "adamw", "sgd", "none"],
    "device": ["meta", "cpu", "cuda"],
    "architecture": ["decoder", "encoder", "encoder-decoder"],
    "law": ["chinchilla", "kaplan", "power"],
    "format": ["csv", "json", "jsonl", "md", "html", "model-card"],
    "training_type": ["pre-training", "fine-tuning", "pretraining"],
    "target": ["demo", "dem*", "261", "nosuch", "<script>alert(1)</script>"],
    "project": ["demo", "dem*", "*", "nosuch", "<script>alert(1)</script>"],
    "kind": ["country", "cloud"],
    "vendor": ["nvidia", "NVIDIA", "nvidiaa", "google", "amd"],
    "search": ["h100", "a100", "zzz"],
    "input_shape": ["1,8", "2x8", "1,3,8,8", "-1,8", "0,8", "abc"],
    "benchmark": ["imagenet", "coco", "squad11", "wmt14_en_de", "nosuch"],
    "sizes": ["8,12", "8", "0", "-5,10", "12,8", "abc"],
    "scheduler": ["garbage", "tcp:/", "local"],
    "run_id": ["1", "nosuch", "0"],
    "params_col": ["N", "params", "nosuchcol"],
    "tokens_col": ["D", "tokens", "nosuchcol"],
    "flop_col": ["C", "flop", "nosuchcol"],
    "loss_col": ["loss", "nosuchcol"],
    "run_col": ["run", "nosuchcol"],
}
QUANTITY_OPTIONS = {"params", "tokens", "flop", "examples", "chips", "hours", "target_loss"}
FILE_OPTIONS = {"data", "runs", "fit", "ledger", "plot", "plots", "output", "model", "estimate", "count", "report"}
# Heavy commands get small defaults (a fuzzed value replaces them) so a run takes well under a second.
BASELINE: dict[str, dict[str, str]] = {
    "simulate": {"--sims": "2", "--features": "6", "--relevant": "2", "--sizes": "8,12", "--reference-n": "8"},
    "trends": {"--no-plots": ""},
    "track": {"--interval": "0.05"},
    "scaling fit": {"--bootstrap": "20"},
    "scaling plan": {"--bootstrap": "20"},
}
UNIT_KEY = re.compile(r"(^|_)(flop|flops|seconds|hours|kwh|kg_co2e|co2e_kg|usd|watts|params|tokens|bytes|joules)($|_)")
NONFINITE_WORD = re.compile(r"(?<![\w.])[-+]?(nan|inf|infinity)(?![\w])", re.IGNORECASE)


def _commands() -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []

    def walk(cmd: Any, path: list[str]) -> None:
        if hasattr(cmd, "commands"):
            for name, sub in cmd.commands.items():
                if not name.startswith("_"):
                    walk(sub, [*path, name])
        else:
            found.append((" ".join(path), cmd))

    walk(typer.main.get_command(app), [])
    return found


COMMANDS = dict(_commands())


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """Input files of every kind a user can hand over, and output destinations good and impossible."""
    d = tmp_path_factory.mktemp("fuzz")
    (d / "adir").mkdir()
    runs = d / "runs.csv"
    lines = ["N,D,loss"] + [
        f"{n:g},{20 * n:g},{1.69 + 406.4 / n**0.34 + 410.7 / (20 * n) ** 0.28:.6f}"
        for n in (1e6, 3e6, 1e7, 3e7, 1e8, 3e8, 1e9, 3e9)
    ]  # Hoffmann et al. (2022) eq. 10 form
    runs.write_text("\n".join(lines) + "\n")
    (d / "few.csv").write_text("N,D,loss\n1e6,2e7,3.1\n2e6,4e7,3.0\n")
    (d / "header.csv").write_text("N,D,loss\n")
    (d / "empty.csv").write_text("")
    (d / "latin1.csv").write_bytes(b"N,D,loss\n1e6,2e7,3.1\xff\xfe\n")
    (d / "binary.bin").write_bytes(bytes(range(256)) * 4)
    (d / "garbage.json").write_text("{not json")
    (d / "empty.json").write_text("{}")
    (d / "nan.json").write_text('{"schema": "flopcast.scaling_fit/1", "E": NaN}')
    (d / "tiny.py").write_text(
        "import torch\n\ndef build():\n    return torch.nn.Sequential(torch.nn.Linear(8, 4))\n\n"
        "def exits():\n    raise SystemExit(7)\n\ndef boom():\n    raise RuntimeError('x')\n"
    )
    (d / "config.json").write_text(
        json.dumps({"model_type": "gpt2", "n_layer": 1, "n_embd": 16, "n_head": 2, "vocab_size": 64, "n_positions": 32})
    )
    (d / "damaged.sqlite").write_bytes(b"SQLite format 3\x00" + bytes(4096))
    fit = d / "fit.json"
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(["scaling", "fit", str(runs), "--bootstrap", "20", "--json"])
    fit.write_text(out.getvalue() if code == 0 else "{}")
    plans = _plan_files(d)
    bundled = Path(__file__).resolve().parents[2] / "src" / "flopcast" / "data" / "benchmarks" / "imagenet.csv"
    inputs = [
        str(d / n)
        for n in (
            "runs.csv",
            "few.csv",
            "header.csv",
            "empty.csv",
            "latin1.csv",
            "binary.bin",
            "adir",
            "missing.csv",
            "garbage.json",
            "empty.json",
            "nan.json",
            "fit.json",
        )
    ]
    inputs += [str(bundled), "/proc/flopcast/none.csv", "/dev/null"]
    models = [
        "gpt2",
        "nosuchpreset",
        str(d / "config.json"),
        f"{d / 'tiny.py'}:build",
        f"{d / 'tiny.py'}:exits",
        f"{d / 'tiny.py'}:boom",
        f"{d / 'tiny.py'}:missing",
        str(d / "adir"),
        str(d / "garbage.json"),
        str(d / "empty.json"),
    ]
    plots = [
        str(d / "out.png"),
        str(d / "out.svg"),
        str(d / "out.txt"),
        str(d / "nodir" / "x.png"),
        str(d / "empty.csv" / "x.png"),
        "/proc/flopcast/x.png",
        str(d / "adir"),
    ]
    folders = [str(d / "plots"), str(d / "empty.csv"), "/proc/flopcast", str(d / "new" / "deeper")]
    ledgers = [
        str(d / "ledger.sqlite"),
        str(d / "damaged.sqlite"),
        str(d / "adir"),
        str(d / "empty.csv"),
        "/proc/flopcast/l.sqlite",
        str(d / "nodir" / "l.sqlite"),
        plans["ledger"][0],
    ]
    exports = [str(d / "export.csv"), str(d / "adir"), "/proc/flopcast/e.csv", str(d / "nodir" / "e.csv")]
    pages = [
        str(d / "page.html"),
        str(d / "page.md"),
        str(d / "page.txt"),
        str(d / "adir"),
        "/proc/flopcast/p.html",
        str(d / "nodir" / "p.md"),
    ]
    return {
        "data": inputs,
        "runs": inputs,
        "fit": inputs,
        "model": models,
        "plot": plots,
        "plots": folders,
        "ledger": ledgers,
        "output": exports,
        "report": pages,
        "estimate": plans["estimate"],
        "count": plans["count"],
        "_dir": [str(d)],
    }


def _quiet_main(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(argv)
    return code, out.getvalue()


def _plan_files(d: Path) -> dict[str, list[str]]:
    """`report` inputs: a real estimate and count, files of the wrong kind or schema, a ledger with one run."""
    estimate, count, record = d / "estimate.json", d / "count.json", d / "record.json"
    code, text = _quiet_main(
        ["estimate", "--params", "7B", "--tokens", "1T", "--hardware", "h100", "--chips", "8", "--json"]
    )
    estimate.write_text(text if code == 0 else "{}")
    project = d / "project-estimate.json"
    code, text = _quiet_main(
        ["estimate", "--params", "7B", "--tokens", "1T", "--hardware", "h100", "--chips", "8", "--project", "--json"]
    )
    project.write_text(text if code == 0 else "{}")
    code, text = _quiet_main(["count", str(d / "config.json"), "--seq-len", "8", "--json"])
    count.write_text(text if code == 0 else "{}")
    ledger = d / "report-ledger.sqlite"
    code, text = _quiet_main(
        [
            "track",
            "--ledger",
            str(ledger),
            "--name",
            "demo",
            "--interval",
            "0.05",
            "--json",
            "--",
            sys.executable,
            "-c",
            "pass",
        ]
    )
    record.write_text(text if code == 0 else "{}")
    (d / "estimate-v2.json").write_text(json.dumps({"schema": "flopcast.estimate/2", "training_flop": 1.0}))
    wrong = [
        str(d / n)
        for n in (
            "fit.json",
            "garbage.json",
            "empty.json",
            "nan.json",
            "estimate-v2.json",
            "record.json",
            "runs.csv",
            "adir",
            "missing.json",
        )
    ]
    return {
        "estimate": [str(estimate), str(project), str(count), *wrong],
        "count": [str(count), str(estimate), *wrong],
        "ledger": [str(ledger)],
    }


def _values(param: Any, files: dict[str, list[str]]) -> list[str]:
    name = param.name
    if name in FILE_OPTIONS:
        return files[name] + ["", "a" * 300]
    annotation = getattr(param.type_descriptor, "annotation", str)
    text = repr(annotation)
    if name in QUANTITY_OPTIONS:
        return QUANTITIES
    if "int" in text and "str" not in text:
        return INTS
    if "float" in text and "str" not in text:
        return FLOATS
    return VOCABULARY.get(name, []) + WORDS + QUANTITIES[:4]


def _is_flag(param: Any) -> bool:
    return bool(getattr(param, "is_flag", False)) or param.name in ("as_json", "json")


@st.composite
def command_lines(draw: st.DrawFn, path: str, files: dict[str, list[str]]) -> list[str]:
    cmd = COMMANDS[path]
    chosen: dict[str, str | None] = dict(BASELINE.get(path, {}))
    positional: list[str] = []
    trailing: list[str] = []
    for param in cmd.params:
        if param.param_type_name == "argument":
            if param.name == "command":
                trailing = draw(
                    st.sampled_from([["true"], ["false"], ["no-such-program-xyz"], [sys.executable, "-c", "print(1)"]])
                )
            else:
                positional.append(draw(st.sampled_from(_values(param, files))))
    options = [p for p in cmd.params if p.param_type_name == "option" and p.name != "help"]
    for param in draw(st.lists(st.sampled_from(options), max_size=4, unique_by=lambda p: p.name)) if options else []:
        flag = param.opts[0]
        if _is_flag(param):
            chosen[flag] = None
        else:
            chosen[flag] = draw(st.sampled_from(_values(param, files)))
            if path == "trends" and flag == "--plots":
                chosen.pop("--no-plots", None)
    argv = [*path.split(), *positional]
    for flag, value in chosen.items():
        argv += [flag] if value is None or (value == "" and flag == "--no-plots") else [flag, value]
    return [*argv, "--", *trailing] if trailing else argv


class _Slow(Exception):
    pass


@contextlib.contextmanager
def _deadline(seconds: int) -> Iterator[None]:
    def fire(signum: int, frame: Any) -> None:
        raise _Slow(f"no answer within {seconds} s")

    old = signal.signal(signal.SIGALRM, fire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with _deadline(SECONDS_PER_RUN), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def _reject_constant(token: str) -> float:
    raise AssertionError(f"non-finite JSON number {token}")


def physical_problems(obj: Any, key: str = "") -> list[str]:
    """Negative or non-finite numbers under keys that carry a physical unit."""
    if isinstance(obj, dict):
        return [p for k, v in obj.items() for p in physical_problems(v, str(k))]
    if isinstance(obj, list):
        return [p for v in obj for p in physical_problems(v, key)]
    if isinstance(obj, float) and not math.isfinite(obj):
        return [f"{key}={obj}"]
    if isinstance(obj, (int, float)) and not isinstance(obj, bool) and obj < 0 and UNIT_KEY.search(key.lower()):
        return [f"{key}={obj}"]
    return []


def allowed_codes(argv: list[str]) -> set[int]:
    """0 and 2 everywhere; ``track`` also passes on its command's own exit code (1 from ``false``, and 127 for a
    program not on PATH, as ``env`` and ``time`` do)."""
    if argv[:1] == ["track"]:
        program = argv[-1]
        return {0, 2, 1} if program == "false" else {0, 2, 127} if program.startswith("no-such") else {0, 2}
    return {0, 2}


def check_outcome(argv: list[str], code: int, out: str, err: str) -> None:
    shown = " ".join(argv)
    assert code in allowed_codes(argv), f"exit {code}: flopcast {shown}\n{err[-2000:]}"
    assert "Traceback" not in out + err, f"traceback: flopcast {shown}\n{err[-2000:]}"
    assert "internal error" not in err, f"internal error: flopcast {shown}\n{err}"
    lines = [ln for ln in err.splitlines() if ln.startswith("flopcast: error:")]
    if code == 2:
        assert lines, f"exit 2 without a 'flopcast: error:' line: flopcast {shown}\n{err}"
    for line in lines:
        message = re.sub(r"\(try '[^']*'\)$", "", line.removeprefix("flopcast: error:"))
        assert message.strip(), f"empty error message: flopcast {shown}"
    if code != 0:
        return
    if "--json" in argv:
        data = json.loads(out, parse_constant=_reject_constant)
        problems = physical_problems(data)
        assert not problems, f"nonsense physical quantities {problems[:5]}: flopcast {shown}"
    else:
        found = NONFINITE_WORD.search(out)
        word = found.group(0) if found else ""
        assert found is None, f"'{word}' printed as a result: flopcast {shown}\n{out[-1500:]}"


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FLOPCAST_LEDGER", str(tmp_path / "default-ledger.sqlite"))
    monkeypatch.setenv("MPLBACKEND", "Agg")


@pytest.mark.parametrize("path", sorted(COMMANDS))
def test_every_command_line_ends_in_a_result_or_one_line_error(path: str, files: dict[str, list[str]]) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=not RANDOM,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(argv=command_lines(path, files))
    def fuzz(argv: list[str]) -> None:
        code, out, err = run_cli(argv)
        check_outcome(argv, code, out, err)

    fuzz()


def test_checker_catches_what_it_promises() -> None:
    """The oracle itself: each failure the suite exists to catch is caught."""
    with pytest.raises(AssertionError, match="exit 1"):
        check_outcome(["x"], 1, "", "flopcast: internal error\n")
    with pytest.raises(AssertionError, match="empty error message"):
        check_outcome(["x"], 2, "", "flopcast: error:  (try 'flopcast --help')\n")
    with pytest.raises(AssertionError, match="non-finite"):
        check_outcome(["x", "--json"], 0, '{"flop": NaN}', "")
    with pytest.raises(AssertionError, match="nonsense"):
        check_outcome(["x", "--json"], 0, '{"energy_kwh": -3.0}', "")
    with pytest.raises(AssertionError, match="printed as a result"):
        check_outcome(["x"], 0, "params  inf\n", "")
    check_outcome(["x"], 0, "inference on H100: 3.2 s\n", "")
    check_outcome(["x", "--json"], 0, '{"slope": -0.5, "flop": 3e21}', "")
