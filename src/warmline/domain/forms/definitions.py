"""Form definitions: which facts a form asks for, how old each may be, and who may change it.

A form is YAML (one file per form, in the folder ``WARMLINE_FORMS_DIR`` names)::

    id: change_of_address
    title: Change of address
    reasons: [edit_personal_details]   # contacts about these reasons are about this form
    sections:
      - title: Where you live
        fields:
          - field: address             # the field's name on this form
            label: Home address
            fact: address              # a fact path (domain/forms/catalogue.py)
            max_age_days: 365          # older than this (since confirmed) is stale
            verified: true             # changed only from a verified session
            sensitive: true            # masked on the customer's page (default: the fact's)

Every problem is reported with the file, where in it, and what to do, all at once.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import process

from warmline.domain.forms.catalogue import FACTS, FactPath

_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_FIELDS = 100
MAX_MAX_AGE_DAYS = 36_500
_FORM_KEYS = {"id", "title", "reasons", "sections", "description"}
_SECTION_KEYS = {"title", "fields"}
_FIELD_KEYS = {"field", "label", "fact", "max_age_days", "verified", "sensitive", "help"}


class FormError(ValueError):
    """What is wrong with a form file: each problem as (where, what is wrong and what to do)."""

    def __init__(self, file: str, problems: list[tuple[str, str]]) -> None:
        self.file = file
        self.problems = problems
        super().__init__(f"{file}: " + "; ".join(f"{where}: {what}" for where, what in problems))


@dataclass(frozen=True, slots=True)
class FormField:
    name: str
    label: str
    fact: FactPath
    section: str
    max_age_days: int
    verified: bool
    sensitive: bool
    help: str | None = None
    max_age: dt.timedelta = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "max_age", dt.timedelta(days=self.max_age_days))


@dataclass(frozen=True, slots=True)
class Form:
    id: str
    title: str
    fields: tuple[FormField, ...]
    reasons: frozenset[str] = frozenset()
    description: str | None = None

    def field(self, name: str) -> FormField | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def sections(self) -> list[tuple[str, list[FormField]]]:
        """The fields grouped by section, in order."""
        out: list[tuple[str, list[FormField]]] = []
        for f in self.fields:
            if not out or out[-1][0] != f.section:
                out.append((f.section, []))
            out[-1][1].append(f)
        return out


def _suggest(name: str, known: list[str]) -> str:
    found = process.extractOne(name, known, score_cutoff=70)
    return f"did you mean '{found[0]}'? " if found else ""


def parse_form(data: Any, file: str) -> Form:
    """A checked :class:`Form` from a parsed YAML document, or :class:`FormError`."""
    problems: list[tuple[str, str]] = []
    if not isinstance(data, dict):
        raise FormError(file, [("(top)", "a form is a mapping with id, title and sections")])
    for key in sorted(set(data) - _FORM_KEYS):
        problems.append((str(key)[:40], f"unknown key: use {', '.join(sorted(_FORM_KEYS))}"))
    form_id = data.get("id")
    if not isinstance(form_id, str) or not _ID.match(form_id):
        problems.append(
            ("id", "give an id of lower-case letters, digits and _, e.g. loan_application")
        )
        form_id = "?"
    title = data.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > 200:
        problems.append(("title", "give a title of at most 200 characters"))
        title = form_id
    reasons = data.get("reasons") or []
    if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
        problems.append(("reasons", "give a list of reason names, e.g. [edit_personal_details]"))
        reasons = []
    sections = data.get("sections")
    if not isinstance(sections, list) or not sections:
        problems.append(("sections", "give at least one section with fields"))
        sections = []
    fields: list[FormField] = []
    seen: dict[str, str] = {}
    for s, section in enumerate(sections):
        where = f"sections[{s}]"
        if not isinstance(section, dict):
            problems.append((where, "a section is a mapping with a title and fields"))
            continue
        for key in sorted(set(section) - _SECTION_KEYS):
            problems.append((f"{where}.{str(key)[:40]}", "unknown key: use title, fields"))
        heading = section.get("title")
        if not isinstance(heading, str) or not heading.strip():
            problems.append((f"{where}.title", "give the section a title"))
            heading = ""
        items = section.get("fields")
        if not isinstance(items, list) or not items:
            problems.append((f"{where}.fields", "give the section at least one field"))
            continue
        for n, item in enumerate(items):
            here = f"{where}.fields[{n}]"
            name = item.get("field") if isinstance(item, dict) else None
            if isinstance(name, str) and name in seen:
                problems.append(
                    (
                        f"{here}.field",
                        f"duplicate field '{name[:64]}' (also at {seen[name]}): "
                        "give each field its own name",
                    )
                )
                continue
            if isinstance(name, str):
                seen[name] = here
            parsed = _field(item, here, heading, problems)
            if parsed is not None:
                fields.append(parsed)
    if len(fields) > MAX_FIELDS:
        problems.append(("sections", f"at most {MAX_FIELDS} fields a form"))
    if problems:
        raise FormError(file, problems)
    return Form(
        form_id,
        title.strip(),
        tuple(fields),
        frozenset(reasons),
        data.get("description") if isinstance(data.get("description"), str) else None,
    )


def _field(
    item: Any, where: str, section: str, problems: list[tuple[str, str]]
) -> FormField | None:
    if not isinstance(item, dict):
        problems.append((where, "a field is a mapping with field, label and fact"))
        return None
    before = len(problems)
    for key in sorted(set(item) - _FIELD_KEYS):
        problems.append(
            (f"{where}.{str(key)[:40]}", f"unknown key: use {', '.join(sorted(_FIELD_KEYS))}")
        )
    name = item.get("field")
    if not isinstance(name, str) or not _ID.match(name):
        problems.append(
            (f"{where}.field", "give the field a name of lower-case letters, digits and _")
        )
    label = item.get("label")
    if not isinstance(label, str) or not label.strip() or len(label) > 200:
        problems.append((f"{where}.label", "give a label of at most 200 characters"))
    fact_name = item.get("fact")
    fact = FACTS.get(fact_name) if isinstance(fact_name, str) else None
    if fact is None:
        known = sorted(FACTS)
        problems.append(
            (
                f"{where}.fact",
                f"unknown fact path '{str(fact_name)[:60]}': {_suggest(str(fact_name), known)}"
                f"known paths are {', '.join(known)}",
            )
        )
    age = item.get("max_age_days", 365)
    if isinstance(age, bool) or not isinstance(age, int) or not 1 <= age <= MAX_MAX_AGE_DAYS:
        problems.append(
            (
                f"{where}.max_age_days",
                f"give the days (1 to {MAX_MAX_AGE_DAYS:,}) after which a value must be "
                f"confirmed again; got {str(age)[:20]}",
            )
        )
    for flag in ("verified", "sensitive"):
        if flag in item and not isinstance(item[flag], bool):
            problems.append((f"{where}.{flag}", "write true or false"))
    help_text = item.get("help")
    if help_text is not None and (not isinstance(help_text, str) or len(help_text) > 300):
        problems.append((f"{where}.help", "help is text of at most 300 characters"))
    if len(problems) > before or fact is None:
        return None
    sensitive = bool(item.get("sensitive", fact.sensitive))
    return FormField(
        name=str(name),
        label=str(label).strip(),
        fact=fact,
        section=section,
        max_age_days=int(age),
        # A sensitive value is only ever changed from a verified session.
        verified=bool(item.get("verified", False)) or sensitive,
        sensitive=sensitive,
        help=help_text,
    )
