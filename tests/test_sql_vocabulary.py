"""One home for the warning rules' words and for the database SQL (issue 11 items 1-2).

The .sql files of every app's sql/ folder say states, roles, colours, units and levels only through
{{placeholders}} filled from gridgov.alerts.vocabulary (the Python enums); gridgov.dbsql applies them after
migrate, idempotently; migrations never import live SQL.
"""
import re
from pathlib import Path

import pytest
from django.db import connection

from gridgov import dbsql
from gridgov.alerts import vocabulary
from gridgov.cases.models import Status, WarningColour
from gridgov.departments.models import Kind
from gridgov.dispatch.models import Role, State
from gridgov.workcal.models import LimitUnit

ROOT = Path(__file__).resolve().parent.parent
ENUM_WORDS = ({m.value for e in (State, Role, Kind, LimitUnit, Status, WarningColour) for m in e}
              | set(vocabulary.LEVELS))
LITERAL = re.compile(r"'([^']*)'")


def sql_files():
    return sorted(p for _, folder in dbsql.sql_folders() for p in folder.glob("*.sql"))


def code_of(text):
    """The SQL without its -- comments."""
    return "\n".join(line.split("--", 1)[0] for line in text.splitlines())


def test_it_finds_the_sql_folders_of_alerts_and_maps_in_that_order():
    labels = [label for label, _ in dbsql.sql_folders()]
    assert labels.index("alerts") < labels.index("maps")
    assert len(sql_files()) >= 4


@pytest.mark.parametrize("path", sql_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_it_writes_no_enum_value_as_a_quoted_literal(path):
    retyped = sorted({w for w in LITERAL.findall(code_of(path.read_text())) if w in ENUM_WORDS})
    assert retyped == [], f"{path.name} retypes {retyped}: write {{{{PLACEHOLDER}}}} from gridgov.alerts.vocabulary"


def test_it_renders_every_placeholder_of_every_file():
    drops, creates = dbsql.statements()
    for text in drops + creates:
        assert "{{" not in text and "}}" not in text


def test_it_refuses_an_unknown_placeholder_naming_it():
    with pytest.raises(KeyError, match="NO_SUCH_WORD"):
        dbsql.render("SELECT {{NO_SUCH_WORD}}")


def test_its_sets_are_made_of_the_enum_values():
    words = vocabulary.sql_vocabulary()
    assert words["STATE_WHISTLED"] == f"'{State.WHISTLED.value}'"
    assert set(LITERAL.findall(words["FEEDBACK_STATES"])) <= set(State.values)
    assert set(LITERAL.findall(words["RELEASED_STATES"])) == {State.RETURNED.value, State.REROUTED.value}
    assert set(LITERAL.findall(words["HANDLER_ROLES"])) == {Role.LEAD.value, Role.ASSIST.value}
    assert LITERAL.findall(words["COLOURS"]) == list(vocabulary.COLOURS)
    assert set(vocabulary.COLOURS) == set(WarningColour.values)


def test_migrations_import_no_live_sql_or_other_migrations():
    for path in sorted(ROOT.glob("gridgov/*/migrations/*.py")) + sorted(ROOT.glob("maps/migrations/*.py")):
        text = path.read_text()
        assert "import_module" not in text, path
        # Django's own references to model callables (`import gridgov.cases.models`) are allowed.
        assert not re.search(r"^from (gridgov|maps|geodata)\b", text, re.MULTILINE), path


@pytest.mark.django_db
def test_the_database_levels_and_colours_rank_as_the_python_ones():
    with connection.cursor() as cur:
        for rank, level in enumerate(vocabulary.LEVELS):
            cur.execute("SELECT alerts_level_rank(%s), alerts_level_name(%s)", [level, rank])
            assert cur.fetchone() == (rank, level)
        for rank, colour in enumerate(vocabulary.COLOURS, start=1):
            cur.execute("SELECT alerts_colour_rank(%s)", [colour])
            assert cur.fetchone() == (rank,)
        cur.execute("SELECT alerts_level_rank('unheard-of'), alerts_colour_rank(NULL)")
        assert cur.fetchone() == (0, 0)


@pytest.mark.django_db(transaction=True)
def test_it_applies_once_and_again_only_when_something_changed():
    assert dbsql.apply_sql() is False  # post_migrate / flush already did
    with connection.cursor() as cur:
        cur.execute("DROP VIEW maps_case_warning")
    assert dbsql.apply_sql() is True  # a managed view missing
    assert dbsql.apply_sql() is False
    with connection.cursor() as cur:
        cur.execute("UPDATE gridgov_sql_applied SET sha256 = 'stale'")
    assert dbsql.apply_sql() is True  # the files changed since
    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass('maps_case_warning') IS NOT NULL, "
                    "to_regprocedure('alerts_case_warnings(timestamptz)') IS NOT NULL")
        assert cur.fetchone() == (True, True)
