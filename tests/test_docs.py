"""The README and the documentation site: short README, current CLI reference, and every
checklist shown in them loads."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from relcheck.checklist.load import load_checklist
from relcheck.errors import ChecklistError

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").rglob("*.md"))]
NOT_A_CHECKLIST = "<!-- not a checklist -->"


def _checklist_blocks() -> list[tuple[str, str]]:
    """(where, text) of every ```yaml block that is a checklist (has `steps:`), unless the
    line before it says it is not."""
    found = []
    for page in PAGES:
        text = page.read_text()
        for match in re.finditer(r"^```yaml\n(.*?)^```", text, re.MULTILINE | re.DOTALL):
            body = match.group(1)
            before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
            if not re.search(r"^steps:", body, re.MULTILINE) or before == NOT_A_CHECKLIST:
                continue
            line = text.count("\n", 0, match.start()) + 2
            found.append((f"{page.relative_to(ROOT)}:{line}", body))
    return found


SNIPPETS = _checklist_blocks()


def test_the_docs_show_checklists() -> None:
    assert len(SNIPPETS) >= 5
    assert any(where.startswith("README.md") for where, _ in SNIPPETS)


@pytest.mark.parametrize(("where", "body"), SNIPPETS, ids=[w for w, _ in SNIPPETS])
def test_every_checklist_in_the_docs_loads(where: str, body: str, tmp_path: Path) -> None:
    path = tmp_path / "relcheck.yaml"
    path.write_text(body)
    try:
        checklist = load_checklist(str(path))
    except ChecklistError as exc:
        pytest.fail(f"{where}: the checklist shown does not load:\n{exc}")
    assert checklist.steps


def test_readme_is_at_most_250_lines() -> None:
    assert len(README.read_text().splitlines()) <= 250


def test_readme_links_to_files_that_exist() -> None:
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README.read_text()):
        if not target.startswith(("http://", "https://")):
            assert (ROOT / target).exists(), target


def test_the_command_line_reference_is_current() -> None:
    spec = importlib.util.spec_from_file_location("cli_reference", ROOT / "tools/cli_reference.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.PAGE.read_text() == module.cli_markdown(), (
        f"docs/reference/cli.md is out of date; regenerate it with: {module.REGENERATE}"
    )
