"""An article as written: Markdown with front matter, checked before it is stored.

Front matter (YAML between ``---`` lines) says what the article is for::

    ---
    title: Card declined at a till or online
    slug: card-declined            # optional: made from the title
    products: [debit card, credit card]
    channels: [voice, chat]        # optional: every channel when left out
    owner: cards-team
    review_date: 2027-06-01
    audience: internal             # internal (agents) or public (customers may see it)
    ---
    Why a card is declined, and what the agent can do...

Every problem is reported with the field it is in and what to do, so an import can say
which file is wrong and how to fix it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import frontmatter
import yaml

MAX_BODY_CHARS = 100_000
MAX_TITLE_CHARS = 300
MAX_LIST_ITEMS = 30
MAX_ITEM_CHARS = 80
AUDIENCES = ("internal", "public")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_KNOWN = frozenset(
    {"title", "slug", "products", "channels", "owner", "review_date", "audience", "status"}
)


class ArticleError(ValueError):
    """What is wrong with an article: each problem as (field, what is wrong and what to do)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{where}: {what}" for where, what in problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Article:
    """An article's content and what it is for, checked."""

    slug: str
    title: str
    body: str
    products: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    owner: str | None = None
    review_date: dt.date | None = None
    audience: str = "internal"
    extra: dict[str, Any] = field(default_factory=dict)

    def meta(self) -> dict[str, Any]:
        """What the front matter says, as plain JSON."""
        return {
            "products": list(self.products),
            "channels": list(self.channels),
            "owner": self.owner,
            "review_date": self.review_date.isoformat() if self.review_date else None,
            "audience": self.audience,
        }

    def content_hash(self) -> str:
        """Changes when anything a reader sees or filters on changes (an import's test for
        'changed')."""
        text = "\n".join([self.title, self.body, repr(sorted(self.meta().items()))])
        return hashlib.sha256(text.encode()).hexdigest()


def slugify(title: str) -> str:
    """'Card declined at a till?' -> 'card-declined-at-a-till'."""
    folded = unicodedata.normalize("NFKD", title.casefold())
    ascii_only = "".join(ch for ch in folded if ch.isascii())
    return "-".join(re.findall(r"[a-z0-9]+", ascii_only))[:120].strip("-")


def parse_markdown(text: str, *, default_slug: str | None = None) -> Article:
    """An article from Markdown with front matter (:class:`ArticleError` if it is not one)."""
    try:
        post = frontmatter.loads(text)
    except (yaml.YAMLError, ValueError) as exc:
        raise ArticleError(
            [
                (
                    "front matter",
                    f"is not valid YAML ({str(exc).splitlines()[0]}); "
                    "write it as key: value lines between two '---' lines",
                )
            ]
        ) from None
    return article_from(dict(post.metadata), post.content, default_slug=default_slug)


def article_from(meta: dict[str, Any], body: str, *, default_slug: str | None = None) -> Article:
    """An article from front matter values and a body, every problem reported at once."""
    problems: list[tuple[str, str]] = []
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.append(("title", "is missing: give the article a title"))
        title = ""
    elif len(title) > MAX_TITLE_CHARS:
        problems.append(("title", f"is over {MAX_TITLE_CHARS} characters: shorten it"))
    slug = meta.get("slug") or default_slug or slugify(title or "")
    if not isinstance(slug, str) or not _SLUG.match(slug) or len(slug) > 120:
        problems.append(
            (
                "slug",
                f"'{str(slug)[:60]}' is not lower-case words joined by '-': e.g. card-declined",
            )
        )
    if not isinstance(body, str) or not body.strip():
        problems.append(("body", "is empty: write the article below the front matter"))
        body = ""
    elif len(body) > MAX_BODY_CHARS:
        problems.append(
            ("body", f"is {len(body):,} characters, over {MAX_BODY_CHARS:,}: split the article")
        )
    products = _words(meta.get("products"), "products", problems)
    channels = _words(meta.get("channels"), "channels", problems)
    owner = meta.get("owner")
    if owner is not None and (not isinstance(owner, str) or len(owner) > 200):
        problems.append(("owner", "must be a name or team of at most 200 characters"))
        owner = None
    review = meta.get("review_date")
    if review is not None and not isinstance(review, dt.date):
        try:
            review = dt.date.fromisoformat(str(review))
        except ValueError:
            problems.append(
                ("review_date", f"'{str(review)[:30]}' is not a date: write 2027-06-01")
            )
            review = None
    audience = meta.get("audience", "internal")
    if audience not in AUDIENCES:
        problems.append(("audience", f"'{str(audience)[:30]}' is not internal or public"))
        audience = "internal"
    unknown = sorted(set(meta) - _KNOWN)
    if problems:
        raise ArticleError(problems)
    return Article(
        slug=slug,
        title=title.strip(),
        body=body.strip(),
        products=products,
        channels=channels,
        owner=owner,
        review_date=review if isinstance(review, dt.date) else None,
        audience=str(audience),
        extra={k: meta[k] for k in unknown},
    )


def _words(value: Any, name: str, problems: list[tuple[str, str]]) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append((name, "must be a list of words, e.g. [debit card, credit card]"))
        return ()
    if len(value) > MAX_LIST_ITEMS or any(len(v) > MAX_ITEM_CHARS for v in value):
        problems.append((name, f"at most {MAX_LIST_ITEMS} items of {MAX_ITEM_CHARS} characters"))
        return ()
    return tuple(dict.fromkeys(v.strip().casefold() for v in value if v.strip()))
