from __future__ import annotations

import warmline


def test_all_is_complete_and_importable() -> None:
    for name in warmline.__all__:
        assert getattr(warmline, name) is not None, name
    public = {n for n in dir(warmline) if not n.startswith("_")}
    modules = {"actions", "api", "config", "domain", "errors", "events", "storage"}
    assert public - modules <= set(warmline.__all__)


def test_create_app_is_lazy_but_available() -> None:
    assert callable(warmline.create_app)
