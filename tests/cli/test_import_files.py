"""``warmline import`` on what organisations export: CSV by a mapping (BOM, another
delimiter, mixed encodings), interactions CSV, mbox archives, Zendesk exports; dry runs
and resuming by running again."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from tests.cli.test_cli import import_counts
from warmline.cli import app
from warmline.storage import schema as t
from warmline.storage.engine import make_engine

runner = CliRunner()

CUSTOMERS_MAPPING = """
kind: customers
source: legacy-crm
columns:
  "Customer No": {identifier: customer_number, verified: true}
  "E-mail": identifier.email
  "Full name": trait.name
  "Born": {trait: date_of_birth, format: "%d/%m/%Y"}
"""


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> sa.Engine:
    url = f"sqlite:///{tmp_path / 'import.db'}"
    monkeypatch.setenv("WARMLINE_DATABASE_URL", url)
    monkeypatch.setenv("WARMLINE_SQLITE_SYNCHRONOUS", "OFF")
    monkeypatch.setenv("WARMLINE_INSIGHT", "false")
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    return make_engine(url)


def count(engine: sa.Engine, table: sa.Table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def customers_csv(path: Path) -> Path:
    rows = [
        "Customer No;E-mail;Full name;Born",
        "C-1001;ada@example.net;Ada Lovell;02/04/1980",
        "C-1002;not-an-email;Bram Okoye;31/12/1975",
        ";;Nobody Here;",
        "C-1003;cleo@example.org;Cleo Marsh;1990-01-01;extra",
    ]
    body = ("\ufeff" + "\n".join(rows[:3])).encode() + b"\n"
    body += "C-1004;zoe@example.org;Zo\xeb Hart;05/05/1985\n".encode("cp1252")  # not UTF-8
    body += ("\n".join(rows[3:]) + "\n").encode()
    path.write_bytes(body)
    return path


def test_a_customer_csv_by_its_mapping_dry_run_then_for_real_then_resumed(
    db: sa.Engine, tmp_path: Path
) -> None:
    mapping = write(tmp_path / "mapping.yaml", CUSTOMERS_MAPPING)
    data = customers_csv(tmp_path / "customers.csv")
    args = ["import", str(data), "--mapping", str(mapping)]

    dry = runner.invoke(app, [*args, "--dry-run"])
    assert dry.exit_code == 1, dry.output  # two rows would be rejected
    assert import_counts(dry.output) == {
        "accepted": 3,
        "pending": 0,
        "duplicates": 0,
        "rejected": 2,
        "warned": 0,
    }
    assert "new customers" in dry.output and "nothing was kept" in dry.output
    assert "row_without_identifier" in dry.output and "csv_row_width" in dry.output
    assert "line 5" in dry.output  # the row with no identifier, by its line in the file
    assert "invalid_identifier" in dry.output  # Bram's email left out, Bram kept
    assert "mixed_encoding" in dry.output and "cp1252" in dry.output
    assert count(db, t.customers) == 0 and count(db, t.raw_events) == 0

    real = runner.invoke(app, args)
    assert import_counts(real.output)["accepted"] == 3
    with db.connect() as conn:
        names = set(conn.execute(sa.select(t.customers.c.name)).scalars())
        born = (
            conn.execute(sa.select(t.facts.c.value).where(t.facts.c.key == "date_of_birth"))
            .scalars()
            .all()
        )
    assert names == {"Ada Lovell", "Bram Okoye", "Zoë Hart"}  # the cp1252 line read right
    assert "1980-04-02" in born

    again = runner.invoke(app, args)
    assert import_counts(again.output) == {
        "accepted": 0,
        "pending": 0,
        "duplicates": 3,
        "rejected": 2,
        "warned": 0,
    }


def test_a_stopped_import_resumes_by_running_it_again(db: sa.Engine, tmp_path: Path) -> None:
    mapping = write(tmp_path / "mapping.yaml", CUSTOMERS_MAPPING)
    rows = ["Customer No,E-mail,Full name,Born"] + [
        f"C-{n},person{n}@example.net,Person {n},01/01/1970" for n in range(40)
    ]
    whole = write(tmp_path / "all.csv", "\n".join(rows) + "\n")
    half = write(tmp_path / "half.csv", "\n".join(rows[:21]) + "\n")  # as far as it got
    first = runner.invoke(
        app, ["import", str(half), "--mapping", str(mapping), "--batch-size", "7"]
    )
    assert import_counts(first.output)["accepted"] == 20
    resumed = runner.invoke(app, ["import", str(whole), "--mapping", str(mapping)])
    assert import_counts(resumed.output) == {
        "accepted": 20,
        "pending": 0,
        "duplicates": 20,
        "rejected": 0,
        "warned": 0,
    }
    assert count(db, t.customers) == 40


def test_a_mapping_that_does_not_fit_the_file_stops_before_anything(
    db: sa.Engine, tmp_path: Path
) -> None:
    data = customers_csv(tmp_path / "customers.csv")
    wrong = write(tmp_path / "wrong.yaml", CUSTOMERS_MAPPING.replace('"E-mail"', '"Email"'))
    missing = runner.invoke(app, ["import", str(data), "--mapping", str(wrong)])
    assert missing.exit_code == 2
    assert "mapping_column_missing" in missing.output and "'Email'" in missing.output
    mapping = write(tmp_path / "mapping.yaml", CUSTOMERS_MAPPING)
    comma = runner.invoke(app, ["import", str(data), "--mapping", str(mapping), "--delimiter", ","])
    assert comma.exit_code == 2 and "csv_wrong_delimiter" in comma.output
    assert "--delimiter ';'" in comma.output
    no_mapping = runner.invoke(app, ["import", str(data)])
    assert no_mapping.exit_code == 2 and "mapping_required" in no_mapping.output
    bad_yaml = write(tmp_path / "bad.yaml", "columns: [unclosed")
    assert (
        "invalid_mapping"
        in runner.invoke(app, ["import", str(data), "--mapping", str(bad_yaml)]).output
    )
    assert count(db, t.raw_events) == 0


def test_an_interactions_csv_becomes_conversations(db: sa.Engine, tmp_path: Path) -> None:
    mapping = write(
        tmp_path / "chats.yaml",
        """
        kind: interactions
        source: old-chat
        timezone: Europe/London
        columns:
          Chat: interaction_id
          When: {field: time, format: "%d/%m/%Y %H:%M"}
          Who: speaker
          Said: text
          Email: identifier.email
          Via: channel
          Result: outcome
        values:
          speaker: {client: customer, staff: agent}
          channel: {webchat: chat}
        """,
    )
    data = write(
        tmp_path / "chats.csv",
        """
        Chat,When,Who,Said,Email,Via,Result
        c-1,01/07/2025 10:00,client,"My card, again, was declined",ada@example.net,webchat,
        c-1,01/07/2025 10:01,staff,Let me check that.,,webchat,
        c-1,01/07/2025 10:05,staff,Block lifted.,,webchat,resolved
        c-2,02/07/2025 09:00,robot,Hello?,bram@example.org,webchat,
        """,
    )
    result = runner.invoke(app, ["import", str(data), "--mapping", str(mapping)])
    assert result.exit_code == 1 and "invalid_speaker" in result.output
    with db.connect() as conn:
        rows = conn.execute(
            sa.select(t.messages.c.speaker, t.messages.c.text, t.messages.c.sent_at).order_by(
                t.messages.c.sent_at
            )
        ).all()
        status = conn.execute(sa.select(t.interactions.c.status)).scalars().all()
    assert [r.speaker for r in rows] == ["customer", "agent", "agent"]
    assert rows[0].text == "My card, again, was declined"
    assert rows[0].sent_at.hour == 9  # 10:00 in London in July is 09:00 UTC
    assert status == ["ended"]


MBOX = """\
From ada@example.net Tue Mar  3 10:00:00 2026
From: Ada Lovell <ada@example.net>
To: help@bank.example
Subject: Card declined
Date: Tue, 03 Mar 2026 10:00:00 +0000
Message-ID: <m1@example.net>

My card was declined twice today.

From help@bank.example Tue Mar  3 10:30:00 2026
From: Bank Help <help@bank.example>
To: ada@example.net
Subject: Re: Card declined
Date: Tue, 03 Mar 2026 10:30:00 +0000
Message-ID: <m2@bank.example>
In-Reply-To: <m1@example.net>
References: <m1@example.net>

We lifted the block; please try again.

On Tue, 3 Mar 2026 at 10:00, Ada Lovell <ada@example.net> wrote:
> My card was declined twice today.

From MAILER-DAEMON Tue Mar  3 10:40:00 2026
\x00\x01garbage without any headers at all

From ada@example.net Tue Mar  3 11:00:00 2026
From: Ada Lovell <ada@example.net>
To: help@bank.example
Subject: Re: Card declined
Date: Tue, 03 Mar 2026 11:00:00 +0000
Message-ID: <m3@example.net>
In-Reply-To: <m2@bank.example>
References: <m1@example.net> <m2@bank.example>

It works now, thanks!

> We lifted the block; please try again.

From bram@example.org Wed Mar  4 09:00:00 2026
From: bram@example.org
To: help@bank.example
Subject: =?utf-8?q?Address_change?=
Date: Wed, 04 Mar 2026 09:00:00 +0000
Message-ID: <m4@example.org>
Content-Type: text/html; charset=utf-8

<p>I moved to <b>Leeds</b> &amp; need new statements.</p>
"""


def test_an_mbox_becomes_threads_with_quotes_stripped_and_the_broken_message_reported(
    db: sa.Engine, tmp_path: Path
) -> None:
    archive = tmp_path / "support.mbox"
    archive.write_bytes(MBOX.encode())
    result = runner.invoke(app, ["import", str(archive), "--ours", "bank.example"])
    assert result.exit_code == 1, result.output
    assert "message 3 (byte" in result.output and "malformed_message" in result.output
    with db.connect() as conn:
        threads = conn.execute(sa.select(t.interactions.c.id, t.interactions.c.subject)).all()
        said = conn.execute(
            sa.select(t.messages.c.speaker, t.messages.c.text).order_by(t.messages.c.sent_at)
        ).all()
        emails = set(
            conn.execute(
                sa.select(t.identifiers.c.value).where(t.identifiers.c.kind == "email")
            ).scalars()
        )
    assert len(threads) == 2 and {s for _, s in threads} == {"Card declined", "Address change"}
    assert [s.speaker for s in said] == ["customer", "agent", "customer", "customer"]
    assert said[1].text == "We lifted the block; please try again."  # the quote is gone
    assert said[2].text == "It works now, thanks!"
    assert said[3].text == "I moved to Leeds & need new statements."
    assert emails == {"ada@example.net", "bram@example.org"}
    again = runner.invoke(app, ["import", str(archive), "--ours", "bank.example"])
    assert import_counts(again.output)["accepted"] == 0


def test_a_zendesk_export_imports_users_tickets_and_comments(db: sa.Engine, tmp_path: Path) -> None:
    export = {
        "users": [
            {"id": 1, "name": "Sam Agent", "email": "sam@acme.example", "role": "agent"},
            {"id": 9001, "name": "Bram Okoye", "email": "bram@example.org", "role": "end-user"},
        ],
        "tickets": [
            {
                "id": 35001,
                "subject": "Refund",
                "status": "solved",
                "requester_id": 9001,
                "via": {"channel": "web"},
                "created_at": "2025-11-20T09:00:00Z",
                "updated_at": "2025-11-21T09:00:00Z",
                "comments": [
                    {
                        "id": 1,
                        "author_id": 9001,
                        "body": "Where is my refund?",
                        "public": True,
                        "created_at": "2025-11-20T09:00:00Z",
                    },
                    {
                        "id": 2,
                        "author_id": 1,
                        "body": "Checking with the warehouse.",
                        "public": False,
                        "created_at": "2025-11-20T09:10:00Z",
                    },
                ],
            },
            {"subject": "no id"},
        ],
    }
    path = tmp_path / "zendesk.json"
    path.write_text(json.dumps(export))
    result = runner.invoke(app, ["import", str(path), "--account", "acme"])
    assert (
        result.exit_code == 1
        and "ticket 2" in result.output
        and "zendesk_missing_id" in result.output
    )
    with db.connect() as conn:
        said = conn.execute(
            sa.select(t.messages.c.speaker, t.messages.c.private).order_by(t.messages.c.sent_at)
        ).all()
        interaction = conn.execute(
            sa.select(t.interactions.c.status, t.interactions.c.customer_id)
        ).one()
        customers = conn.execute(sa.select(t.customers.c.name)).scalars().all()
    assert [tuple(s) for s in said] == [("customer", False), ("agent", True)]
    assert interaction.status == "ended"
    assert customers == ["Bram Okoye"]  # the agent is not a customer


def test_a_zendesk_export_in_pages_with_comments_from_ticket_events(
    db: sa.Engine, tmp_path: Path
) -> None:
    """The incremental exports as Zendesk pages them, written one after another: users,
    tickets (no comments), and ticket events with the comment_events side-load."""
    pages = [
        {"users": [{"id": 1, "name": "Sam Agent", "role": "agent"}], "end_of_stream": True},
        {"users": [{"id": 9001, "name": "Bram Okoye", "email": "bram@example.org"}]},
        {"tickets": [{"id": 35002, "subject": "Card", "status": "open", "requester_id": 9001,
                      "via": {"channel": "email"}, "created_at": "2025-11-20T09:00:00Z"}],
         "after_cursor": "abc", "end_of_stream": True},
        {"ticket_events": [
            {"id": 501, "ticket_id": 35002, "updater_id": 9001, "timestamp": 1763629200,
             "event_type": "Audit",
             "child_events": [{"id": 7001, "event_type": "Comment", "body": "My card is stuck.",
                               "public": True},
                              {"id": 7002, "event_type": "Change", "field_name": "status",
                               "value": "open"}]},
            {"id": 502, "ticket_id": 35002, "updater_id": 1,
             "created_at": "2025-11-20T09:30:00Z",
             "child_events": [{"id": 7003, "event_type": "Comment", "body": "Unstuck it.",
                               "public": False}]},
            {"id": 503, "child_events": []},
        ]},
    ]  # fmt: skip
    path = tmp_path / "pages.json"
    path.write_text("\n".join(json.dumps(page) for page in pages))
    result = runner.invoke(app, ["import", str(path), "--account", "acme"])
    assert result.exit_code == 1 and "ticket event 3" in result.output, result.output
    with db.connect() as conn:
        said = conn.execute(
            sa.select(t.messages.c.speaker, t.messages.c.text, t.messages.c.private).order_by(
                t.messages.c.sent_at
            )
        ).all()
        channel = conn.execute(sa.select(t.interactions.c.channel)).scalar_one()
    assert [tuple(s) for s in said] == [
        ("customer", "My card is stuck.", False),
        ("agent", "Unstuck it.", True),
    ]
    assert channel == "email"
    again = runner.invoke(app, ["import", str(path), "--account", "acme"])
    assert import_counts(again.output)["accepted"] == 0
