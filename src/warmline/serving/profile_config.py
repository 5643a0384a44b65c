"""Forms and moment rules as the operator configured them: read from their files, checked,
and kept until a file changes.

``WARMLINE_FORMS_DIR`` holds one YAML file a form (``sources.yaml`` names sources to
customers); ``WARMLINE_MOMENTS_FILE`` the moment rules (empty: the shipped ones). A file
with a problem stops the server at start (``warmline serve`` reports every problem with
the file, where and what to do) and is refused by ``warmline forms check``.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from warmline.config import Settings
from warmline.domain.forms.definitions import Form, FormError, parse_form
from warmline.domain.moments.rules import MomentRules, RulesError, parse_rules
from warmline.errors import NotFound

SHIPPED_MOMENTS = Path(__file__).parents[1] / "defaults" / "moments.yaml"
SOURCES_FILE = "sources.yaml"
MAX_FILE_BYTES = 1_000_000


class ConfigFileError(ValueError):
    """A configuration file that cannot be used, with every problem in it."""

    def __init__(self, file: str, problems: list[tuple[str, str]]) -> None:
        self.file = file
        self.problems = problems
        super().__init__(f"{file}: " + "; ".join(f"{w}: {p}" for w, p in problems))


@dataclass(frozen=True)
class ProfileConfig:
    forms: dict[str, Form] = field(default_factory=dict)
    source_labels: dict[str, str] = field(default_factory=dict)
    moments: MomentRules | None = None

    def form(self, form_id: str) -> Form:
        found = self.forms.get(form_id)
        if found is None:
            known = ", ".join(sorted(self.forms)) or "none: set WARMLINE_FORMS_DIR"
            raise NotFound(
                "form_not_found", f"no form '{form_id[:64]}'", hint=f"forms here: {known}"
            )
        return found

    def forms_for(self, reasons: set[str]) -> list[Form]:
        """The forms a contact about any of ``reasons`` is about."""
        return [f for f in self.forms.values() if f.reasons & reasons]


def _read_yaml(path: Path) -> Any:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ConfigFileError(str(path), [("(file)", "over 1 MB: is this the right file?")])
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigFileError(str(path), [("(yaml)", f"not valid YAML: {exc}"[:300])]) from None


def load_profile_config(forms_dir: str, moments_file: str, today: dt.date) -> ProfileConfig:
    """Read and check every form and the moment rules, or :class:`ConfigFileError` naming
    the first file with problems (all of its problems)."""
    forms: dict[str, Form] = {}
    labels: dict[str, str] = {}
    if forms_dir:
        folder = Path(forms_dir)
        if not folder.is_dir():
            raise ConfigFileError(
                forms_dir,
                [
                    (
                        "(folder)",
                        "not a folder: set WARMLINE_FORMS_DIR to the folder of your form files",
                    )
                ],
            )
        for path in sorted(folder.glob("*.y*ml")):
            if path.name == SOURCES_FILE:
                data = _read_yaml(path) or {}
                if not isinstance(data, dict) or not all(
                    isinstance(k, str) and isinstance(v, str) and len(v) <= 100
                    for k, v in data.items()
                ):
                    raise ConfigFileError(
                        str(path),
                        [
                            (
                                "(top)",
                                "map each source to the words a customer reads, "
                                "e.g. app: your app profile",
                            )
                        ],
                    )
                labels = dict(data)
                continue
            try:
                form = parse_form(_read_yaml(path), str(path))
            except FormError as exc:
                raise ConfigFileError(exc.file, exc.problems) from None
            if form.id in forms:
                raise ConfigFileError(
                    str(path), [("id", f"form id '{form.id}' is also used by another file")]
                )
            forms[form.id] = form
    rules_path = Path(moments_file) if moments_file else SHIPPED_MOMENTS
    if not rules_path.is_file():
        raise ConfigFileError(
            str(rules_path),
            [
                (
                    "(file)",
                    "no such file: set WARMLINE_MOMENTS_FILE to your rules, or leave it empty",
                )
            ],
        )
    try:
        moments = parse_rules(_read_yaml(rules_path), str(rules_path), today)
    except RulesError as exc:
        raise ConfigFileError(exc.file, exc.problems) from None
    return ProfileConfig(forms, labels, moments)


#: How long the files' times, once looked at, are trusted: a busy server reads many cards
#: a second, and each would otherwise stat every form file.
RECHECK_SECONDS = 1.0

_lock = threading.Lock()
_cache: dict[tuple[str, str], tuple[tuple[float, ...], ProfileConfig]] = {}
_checked: dict[tuple[str, str], float] = {}


def _stamps(forms_dir: str, moments_file: str) -> tuple[float, ...]:
    paths = sorted(Path(forms_dir).glob("*.y*ml")) if forms_dir and Path(forms_dir).is_dir() else []
    paths.append(Path(moments_file) if moments_file else SHIPPED_MOMENTS)
    return (*(p.stat().st_mtime if p.exists() else 0.0 for p in paths), len(paths))


def profile_config(settings: Settings) -> ProfileConfig:
    """The configured forms and rules, read again when a file changes (seen within
    :data:`RECHECK_SECONDS`). A file changed into one with problems keeps the last good
    configuration (the server already started)."""
    key = (settings.forms_dir, settings.moments_file)
    now = time.monotonic()
    with _lock:
        cached = _cache.get(key)
        if cached is not None and now - _checked.get(key, float("-inf")) < RECHECK_SECONDS:
            return cached[1]
    stamps = _stamps(*key)
    with _lock:
        _checked[key] = now
        cached = _cache.get(key)
        if cached is not None and cached[0] == stamps:
            return cached[1]
        try:
            config = load_profile_config(*key, dt.datetime.now(dt.UTC).date())
        except ConfigFileError:
            if cached is None:
                raise
            config = cached[1]
        _cache[key] = (stamps, config)
        return config
