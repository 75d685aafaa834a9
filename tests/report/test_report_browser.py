"""The HTML report in a real browser: headless Chromium (Debian package `chromium`) renders it, the power plot
is drawn, nothing is fetched or logged as an error, and a run named like a script shows as text.

Skipped with a reason where no Chromium is installed (CI installs it).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from .helpers import XSS, Recorded, cli

BROWSER = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
pytestmark = pytest.mark.skipif(BROWSER is None, reason="no headless Chromium (apt-get install chromium)")
TAB_BLUE, TAB_GREEN = (31, 119, 180), (44, 160, 44)  # matplotlib's first and third colours: plot lines only


def chromium(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert BROWSER is not None
    cmd = [
        BROWSER,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--enable-logging=stderr",
        "--v=0",
        f"--user-data-dir={cwd / 'profile'}",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=cwd, check=False)


@pytest.fixture(scope="module")
def page(recorded: Recorded, tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("browser")
    out = d / "report.html"
    code, _, err = cli(
        [
            "report",
            recorded.records[XSS]["run_id"],
            "--ledger",
            str(recorded.ledger),
            "--format",
            "html",
            "-o",
            str(out),
        ]
    )
    assert code == 0, err
    return out


def colour_pixels(png: Path, rgb: tuple[int, int, int], tol: int = 40) -> int:
    import numpy as np
    from matplotlib import image

    px = (image.imread(str(png))[..., :3] * 255).astype(int)
    return int((np.abs(px - np.array(rgb)).max(axis=-1) <= tol).sum())


def test_chromium_draws_the_plot_without_errors(page: Path) -> None:
    shot = page.parent / "shot.png"
    done = chromium(
        f"--screenshot={shot}", "--window-size=1000,2400", "--hide-scrollbars", page.as_uri(), cwd=page.parent
    )
    assert shot.is_file(), done.stderr[-2000:]
    assert colour_pixels(shot, TAB_BLUE) > 200 and colour_pixels(shot, TAB_GREEN) > 200  # both panels drawn
    console = [ln for ln in done.stderr.splitlines() if "CONSOLE" in ln or "Refused to" in ln or "Uncaught" in ln]
    assert console == [], console


def test_chromium_dom_shows_the_script_name_as_text(page: Path) -> None:
    done = chromium("--dump-dom", page.as_uri(), cwd=page.parent)
    dom = done.stdout
    assert "<svg" in dom and "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert "<script" not in dom.lower()


def test_chromium_prints_the_page(page: Path) -> None:
    pdf = page.parent / "report.pdf"
    done = chromium(f"--print-to-pdf={pdf}", "--no-pdf-header-footer", page.as_uri(), cwd=page.parent)
    assert pdf.is_file(), done.stderr[-2000:]
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and data.count(b"/Type /Page") + data.count(b"/Type/Page") >= 1
