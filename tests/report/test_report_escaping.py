"""Properties of rendering: any user string is text in HTML, one cell in Markdown, and itself again in YAML."""

from __future__ import annotations

from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from flopcast.provenance import Assumption
from flopcast.report.document_render import _md_escape, front_matter, render, yaml_string
from flopcast.report.documents import CardFacts, Figure, Report, RunRow

# user strings: anything printable or not, but no NUL/surrogates (a run name cannot hold them: SQLite text, UTF-8)
NAMES = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=30
)


def project(name: str) -> Report:
    """A project report where the user's string sits in every place a user string can reach."""
    return Report(
        kind="project",
        subject=name,
        title=f"Compute report: project {name!r}",
        figures=(
            Figure("runs", "runs", 1.0, "", "measured", name),
            Figure("hardware", "hardware", name, "", "given", name),
        ),
        assumptions=(Assumption("a", name, "", name),),
        card=CardFacts(1.5, name, name, name),
        runs=(RunRow("r1", name, "completed", 0, None, 1.0, None, None, None, None, True),),
        final_run_id="r1",
        final_share={"energy_kwh": 1.0},
        notes=(name,),
    )


class Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)

    def handle_data(self, data):
        self.text.append(data)


def newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parsed(html: str) -> Collect:
    c = Collect()
    c.feed(html)
    c.close()
    return c


@settings(max_examples=60, deadline=None)
@given(NAMES)
def test_html_shows_any_name_as_text_and_adds_no_tag(name: str) -> None:
    baseline = parsed(render(project("plain"), "html")).tags
    page = parsed(render(project(name), "html"))
    assert page.tags == baseline
    assert newlines(name) in newlines("".join(page.text))


def unescaped_pipes(line: str) -> int:
    n, i = 0, 0
    while i < len(line):
        if line[i] == "\\":
            i += 2
            continue
        n += line[i] == "|"
        i += 1
    return n


@settings(max_examples=60, deadline=None)
@given(NAMES)
def test_markdown_keeps_any_name_in_its_cell(name: str) -> None:
    md = render(project(name), "md")
    rows = [ln for ln in md.splitlines() if ln.startswith("| ")]
    figures = rows[:3]  # header and the two figures (the rule line starts "|---")
    assert len({unescaped_pipes(r) for r in figures}) == 1, figures
    assert "<" not in _md_escape(name).replace("\\<", "") and "\n" not in _md_escape(name)


@settings(max_examples=100, deadline=None)
@given(NAMES)
def test_yaml_strings_read_back(name: str) -> None:
    import yaml

    assert yaml.safe_load("k: " + yaml_string(name))["k"] == name
    meta = yaml.safe_load(front_matter(project(name), "fine-tuning").split("---\n")[1])["co2_eq_emissions"]
    assert meta == {
        "emissions": 1.5,
        "source": name,
        "training_type": "fine-tuning",
        "geographical_location": name,
        "hardware_used": name,
    }
