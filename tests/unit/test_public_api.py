from __future__ import annotations

import inspect

import warmline


def test_all_is_complete_and_importable() -> None:
    for name in warmline.__all__:
        assert getattr(warmline, name) is not None, name
    public = {
        name
        for name, value in vars(warmline).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert public <= set(warmline.__all__)


def test_create_app_is_lazy_but_available() -> None:
    assert callable(warmline.create_app)
