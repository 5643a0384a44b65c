from __future__ import annotations

import inspect

import warmline.domain.insight as insight


def test_all_is_complete_and_importable() -> None:
    for name in insight.__all__:
        assert getattr(insight, name) is not None, name
    public = {
        name
        for name, value in vars(insight).items()
        if not name.startswith("_") and not inspect.ismodule(value) and name != "annotations"
    }
    assert public == set(insight.__all__)
