"""The configured forms are read again when their file changes, looked at once a second at
most (not once a card)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from warmline.config import Settings
from warmline.serving import profile_config as pc

DEMO_FORM = Path(pc.__file__).parents[1] / "demo" / "forms" / "change_of_address.yaml"


def test_a_changed_form_file_is_seen_after_the_recheck_interval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    form = tmp_path / "change_of_address.yaml"
    shutil.copy(DEMO_FORM, form)
    settings = Settings(forms_dir=str(tmp_path), database_url="sqlite://")
    clock = [1000.0]
    monkeypatch.setattr(pc.time, "monotonic", lambda: clock[0])

    assert pc.profile_config(settings).form("change_of_address").title == "Change of address"
    form.write_text(DEMO_FORM.read_text().replace("Change of address", "Moving house"))
    os.utime(form, (1, 2_000_000_000))  # a clearly different time, whatever the file system
    clock[0] += pc.RECHECK_SECONDS / 2  # within the interval: the files are not looked at
    assert pc.profile_config(settings).form("change_of_address").title == "Change of address"
    clock[0] += pc.RECHECK_SECONDS  # past it: the change is read
    assert pc.profile_config(settings).form("change_of_address").title == "Moving house"
