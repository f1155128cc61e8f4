"""The front door holds: every relative link in README.md and docs/ resolves (file and heading), the README
stays short with its two commands near the top, tests/ holds tests while scripts/ holds the measurements, and
no script or stage reads a name it never binds."""

import ast
import builtins
import symtable
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped (CJK kept), spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    return {slug(h) for h in re.findall(r"^#{1,6} (.+)$", text, re.M)}


def relative_links(page: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    return [target for target in LINK.findall(text) if not re.match(r"[a-z]+:", target)]


def broken(page: Path) -> list[str]:
    found = []
    for target in relative_links(page):
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            found.append(f"{target} (no such file)")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            found.append(f"{target} (no such heading in {file.name})")
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page):
    assert relative_links(page) or page.name != "README.md"
    assert broken(page) == []


def test_the_link_check_catches_a_broken_link(tmp_path):
    (tmp_path / "a.md").write_text("# A\n\n## Two words\n", encoding="utf-8")
    page = tmp_path / "b.md"
    page.write_text("[ok](a.md#two-words) [x](a.md#three) [y](missing.md) [z](#here)\n", encoding="utf-8")
    assert broken(page) == ["a.md#three (no such heading in a.md)", "missing.md (no such file)",
                            "#here (no such heading in b.md)"]


def test_readme_is_a_front_door():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 300
    head = "\n".join(lines[:40])
    assert "make repro" in head and "make test" in head
    assert all(len(p.read_text(encoding="utf-8").splitlines()) <= 400 for p in PAGES[1:])
    assert (ROOT / "docs" / "README.md") in PAGES


def test_tests_hold_tests_and_scripts_say_what_they_measure():
    assert not list((ROOT / "tests").glob("*_report.py"))
    scripts = sorted((ROOT / "scripts").glob("*.py"))
    assert scripts
    for script in scripts:
        doc = ast.get_docstring(ast.parse(script.read_text(encoding="utf-8")))
        assert doc, f"{script.name} has no docstring"
        first = doc.split("\n")[0]
        assert re.search(r"\d+(\.\d+)? ?(s|min|h)\b|seconds?|minutes?|hours?", first), f"{script.name}: how long?"


def unbound_names(source: str, name: str) -> set[str]:
    """Names a module reads (at its top or as globals of its functions) that it never binds: a NameError waiting
    for its first run, which nothing else catches in a script no test imports."""
    top = symtable.symtable(source, name, "exec")
    bound = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported() or s.is_namespace()}
    read: set[str] = set()
    tables = [top]
    while tables:
        table = tables.pop()
        read |= {s.get_name() for s in table.get_symbols() if s.is_referenced() and (table is top or s.is_global())}
        tables += table.get_children()
    return read - bound - set(dir(builtins)) - {"__file__", "__name__"}


def test_scripts_and_stages_read_no_name_they_never_bind():
    assert unbound_names("import sys\nprint(sys.argv, os.sep)\ndef f():\n    return path\n", "t") == {"os", "path"}
    for script in sorted((ROOT / "scripts").glob("*.py")) + sorted((ROOT / "stages").glob("*.py")):
        assert not unbound_names(script.read_text(encoding="utf-8"), script.name), script.name
