"""`flopcast trends --report FILE.html|FILE.md`: the trends analysis as one page. Every fit row `trends --json`
prints is a row of the page (same order, same figures); the HTML's plots are inline SVG and the page fetches
nothing; the Markdown links the plot files `--plots` wrote; a bad page path is refused before the work."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from flopcast.report.document_render import show
from flopcast.report.trends_page import ci_text, inline_svg

from .helpers import cli

BROWSER = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)


class Tables(HTMLParser):
    """The cell texts of each ``<table id=...>``'s body rows, and every element id."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.ids: list[str] = []
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._in_body = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "table":
            self._table = a.get("id")
            self.tables[self._table] = []
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self._row = []
        elif tag == "td" and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "tbody":
            self._in_body = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def fit_cells(f: dict) -> list[str]:
    return [
        f["benchmark"],
        f["measure"],
        f["form"],
        "yes" if f["frontier"] else "no",
        f["window"],
        str(f["n"]),
        show(f["slope"]),
        ci_text(f.get("slope_ci")),
        show(f["r2"]),
        show(f.get("exponent")),
        ci_text(f.get("exponent_ci")),
        ci_text(f.get("bootstrap_slope_ci")),
        ci_text(f.get("loo_slope_range")),
    ]


@pytest.fixture(scope="module")
def html_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, str]:
    d = tmp_path_factory.mktemp("trends-page")
    page = d / "trends.html"
    code, out, err = cli(["trends", "-b", "imagenet", "--no-plots", "--json", "--report", str(page)])
    assert code == 0, err
    assert f"wrote {page}" in err  # the note goes to stderr: stdout stays one JSON document
    return page, json.loads(out), page.read_text(encoding="utf-8")


def test_html_has_every_fit_row_of_the_json(html_page: tuple[Path, dict, str]) -> None:
    _, data, text = html_page
    t = Tables()
    t.feed(text)
    assert len(data["fits"]) == 16  # imagenet: 2 measures x 2 forms x all/frontier x all-data/paper-era
    assert t.tables["fits"] == [fit_cells(f) for f in data["fits"]]
    assert len(t.tables["projections"]) == len(data["projections"])
    assert [[*r[:3], r[6]] for r in t.tables["projections"]] == [
        [p["benchmark"], p["measure"], p["form"], show(p["target_error"], "%")] for p in data["projections"]
    ]
    assert len(t.tables["compute-trend"]) == len(data["compute_trend"]["eras"])
    # the paper-era claim: k as the JSON has it
    k = data["paper_claim"]["paper_era"]["training"]["exponent"]
    assert ["paper-era", "training", show(k)] in [r[:3] for r in t.tables["claim"]]
    assert len(set(t.ids)) == len(t.ids)  # each plot's ids prefixed: no two elements share one


def test_html_plots_are_inline_and_nothing_is_fetched(html_page: tuple[Path, dict, str]) -> None:
    page, _, text = html_page
    # --no-plots writes no files, yet the page has its three plots: the benchmark, the projections, compute trend
    assert not (page.parent / "flopcast-plots").exists()
    assert text.count("<svg") == 3 and "<path" in text
    assert not re.search(r"<(img|script|link|iframe|object|embed)\b", text, re.IGNORECASE)
    assert all(v.startswith("#") for v in re.findall(r'(?:href|src)="([^"]*)"', text))
    assert "url(#" in text and not re.search(r"url\((?!#)", text) and "@import" not in text
    assert "default-src 'none'" in text and "<metadata>" not in text and "<!DOCTYPE svg" not in text


def test_markdown_links_the_written_plots(tmp_path: Path) -> None:
    page = tmp_path / "out" / "trends.md"
    page.parent.mkdir()
    code, out, err = cli(
        ["trends", "-b", "imagenet", "--plots", str(tmp_path / "plots"), "--json", "--report", str(page)]
    )
    assert code == 0, err
    data, text = json.loads(out), page.read_text(encoding="utf-8")
    for f in data["fits"]:
        assert "| " + " | ".join(c.replace("[", "\\[").replace("]", "\\]") for c in fit_cells(f)) + " |" in text
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    svgs = [p for p in data["plots"] if p.endswith(".svg")]
    assert len(links) == len(svgs) == 3
    assert all((page.parent / link).resolve() == Path(p).resolve() for link, p in zip(links, svgs, strict=True))


def test_markdown_without_plots_says_so(tmp_path: Path) -> None:
    page = tmp_path / "t.md"
    code, _, err = cli(["trends", "-b", "imagenet", "--no-plots", "--report", str(page)])
    assert code == 0, err
    assert "no plots linked" in page.read_text(encoding="utf-8")


@pytest.mark.parametrize("bad", ["page.txt", "nodir/page.html", "/proc/flopcast/page.html", "."])
def test_bad_page_path_is_refused_before_the_work(tmp_path: Path, bad: str, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    import flopcast.trends as trends

    def boom(*a, **k):
        raise AssertionError("the analysis ran before the page path was checked")

    monkeypatch.setattr(trends, "analyze", boom)
    code, out, err = cli(["trends", "-b", "imagenet", "--no-plots", "--report", bad])
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("flopcast: error: ") and "--report" in lines[0]


def test_inline_svg_prefixes_ids_and_references() -> None:
    svg = (
        '<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://x/svg11.dtd">\n'
        '<svg xmlns="http://www.w3.org/2000/svg"><metadata><rdf:RDF/></metadata><defs><path id="g1"/>'
        '<clipPath id="c1"/></defs><use xlink:href="#g1"/><g clip-path="url(#c1)"/></svg>'
    )
    out = inline_svg(svg, "plot3")
    assert out.startswith("<svg") and "DOCTYPE" not in out and "metadata" not in out
    assert 'id="plot3-g1"' in out and 'href="#plot3-g1"' in out and "url(#plot3-c1)" in out


@pytest.mark.skipif(BROWSER is None, reason="no headless Chromium (apt-get install chromium)")
def test_chromium_draws_the_trends_page(html_page: tuple[Path, dict, str]) -> None:
    import numpy as np
    from matplotlib import image

    page = html_page[0]
    shot = page.parent / "shot.png"
    cmd = [
        str(BROWSER),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--enable-logging=stderr",
        "--v=0",
        f"--user-data-dir={page.parent / 'profile'}",
        f"--screenshot={shot}",
        "--window-size=1100,9000",
        "--hide-scrollbars",
        page.as_uri(),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=page.parent, check=False)
    assert shot.is_file(), done.stderr[-2000:]
    px = (image.imread(str(shot))[..., :3] * 255).astype(int)
    blue = int((np.abs(px - np.array((31, 119, 180))).max(axis=-1) <= 40).sum())  # matplotlib's first colour
    assert blue > 500, blue
    console = [ln for ln in done.stderr.splitlines() if "CONSOLE" in ln or "Refused to" in ln or "Uncaught" in ln]
    assert console == [], console


def test_project_report_holds_the_affordability_table_of_its_json(tmp_path: Path) -> None:
    argv = ["project", "imagenet", "--target", "5", "--budget-usd", "1e6", "--budget-co2-t", "100"]
    code, out, err = cli([*argv, "--json"])
    assert code == 0, err
    affs = json.loads(out)["affordability"]
    for page in ("p.md", "p.html"):
        code, _, err = cli([*argv, "--report", str(tmp_path / page)])
        assert code == 0, err
        text = (tmp_path / page).read_text().replace("\\", "")  # Markdown escapes [ and ]
        assert "What makes the target affordable" in text
        for a in affs:
            for g in a["gaps"]:
                need = f"{show(g['efficiency_needed'])}x"
                years = ci_text(g["year_interval"], 4)
                assert need in text and years in text
    rows = (tmp_path / "p.html").read_text().count('class="gap"')
    assert rows == sum(len(a["gaps"]) for a in affs) == 4  # two forms x ($, CO2)
    code, _, err = cli(["project", "imagenet", "--target", "5", "--report", str(tmp_path / "n.md")])
    assert code == 0 and "affordable" not in (tmp_path / "n.md").read_text()
