"""``warmline knowledge import``: a folder of articles in, what changed said, bad files named."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tests.cli.test_cli import (
    env,  # noqa: F401  (fixture)
    import_counts,
)
from warmline.cli import app

runner = CliRunner()


GOOD = """---
title: Cancel a direct debit
products: [current account]
owner: payments
review_date: 2027-05-01
audience: public
---
Cancel it in the app under Payments.
"""


def test_import_is_idempotent_and_names_each_bad_file(env: str, tmp_path: Path) -> None:  # noqa: F811
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    folder = tmp_path / "faq"
    folder.mkdir()
    (folder / "direct-debit.md").write_text(GOOD)
    (folder / "broken.md").write_text("---\ntitle: [unclosed\n---\nbody\n")
    (folder / "copy.md").write_text(GOOD.replace("title:", "slug: direct-debit\ntitle:"))
    (folder / "huge.md").write_text("---\ntitle: Huge\n---\n" + "x" * 500_000)
    (folder / "no-title.md").write_text("---\nowner: me\n---\nA body without a title.\n")
    first = runner.invoke(app, ["knowledge", "import", str(folder)])
    assert first.exit_code == 1  # some files had problems; the good one is in
    said = " ".join(first.output.split())
    assert "broken.md: front matter: is not valid YAML" in said
    # Two files with one slug: the second in name order is refused and names the first.
    assert "direct-debit.md: slug: 'direct-debit' is also copy.md's" in said
    assert "huge.md: file: is over 400,000 bytes" in said
    assert "no-title.md: title: is missing" in said
    counts = import_counts(first.output, "added")
    assert (counts["added"], counts["changed"], counts["unchanged"]) == (1, 0, 0)
    for name in ("broken.md", "copy.md", "huge.md", "no-title.md"):
        (folder / name).unlink()
    again = runner.invoke(app, ["knowledge", "import", str(folder)])
    assert again.exit_code == 0, again.output
    assert import_counts(again.output, "added")["unchanged"] == 1
    (folder / "direct-debit.md").write_text(GOOD.replace("in the app", "in the app or by phone"))
    changed = runner.invoke(app, ["knowledge", "import", str(folder)])
    assert import_counts(changed.output, "added")["changed"] == 1
