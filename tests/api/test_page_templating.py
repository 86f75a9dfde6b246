"""The pages' Jinja environment reads a dict's keys at once but otherwise as Jinja does:
an attribute of the object first, a missing name undefined, and globals set before a
template loads seen by it, included and imported templates too."""

from __future__ import annotations

import enum

import jinja2
import markupsafe
import pytest

from app.pages.templating import PageEnvironment


@pytest.fixture
def env() -> PageEnvironment:
    return PageEnvironment(
        loader=jinja2.DictLoader({
            "page.html": '{% from "macros.html" import tag %}{{ tag(v.phase) }}|{% include "part.html" %}',
            "macros.html": "{% macro tag(text) %}<b>{{ text }}</b>{% endmacro %}",
            "part.html": "{{ greeting }} {{ v.deadline.due_at }}",
        }),
        autoescape=True,
    )  # fmt: skip


class Record:
    phase = "pilot"


def test_a_dict_s_key_is_read_and_its_own_attributes_stay_methods(env):
    template = env.from_string("{{ v.phase }} {{ v.items is callable }} {{ v.missing is undefined }} {{ r.phase }}")
    assert template.render(v={"phase": "team", "items": "not this"}, r=Record()) == "team True True pilot"


def test_a_key_of_a_dict_subclass_and_a_missing_one_read_as_jinja_reads_them(env):
    class Ordered(dict):
        pass

    assert env.from_string("{{ v.phase }}|{{ v.nothing }}").render(v=Ordered(phase="need")) == "need|"
    strict = PageEnvironment(undefined=jinja2.StrictUndefined)
    with pytest.raises(jinja2.UndefinedError):
        strict.from_string("{{ v.nothing }}").render(v={"phase": "need"})


def test_globals_set_before_a_template_loads_are_seen_by_it_and_by_what_it_includes(env):
    env.globals["greeting"] = "Hej"
    page = env.get_template("page.html").render(v={"phase": "<team>", "deadline": {"due_at": "i morgen"}})
    assert page == "<b>&lt;team&gt;</b>|Hej i morgen"
    assert env.get_template("part.html").globals["greeting"] == "Hej"


class Shown:
    def __html__(self) -> str:
        return "<i>kept</i>"


class Phase(enum.StrEnum):
    PILOT = "pilot <&>"


def test_what_a_page_outputs_is_escaped_to_the_same_bytes_as_jinja_escapes_it():
    source = (
        "{% macro tag(text) %}<b>{{ text }}</b>{% endmacro %}"
        "{% set block %}<p>{{ hostile }}</p>{% endset %}"
        "{{ hostile }}|{{ hostile|e }}|{{ safe }}|{{ number }}|{{ nothing }}|{{ missing }}|{{ shown }}|"
        "{{ phase }}|{{ tag(hostile) }}|{{ block }}|{{ hostile ~ number }}|{{ [hostile] }}|{{ {'k': hostile} }}"
    )
    values = {"hostile": "<script>alert('x') & \"y\"</script>", "safe": markupsafe.Markup("<em>ok</em>"),
              "number": 3.5, "nothing": None, "shown": Shown(), "phase": Phase.PILOT}  # fmt: skip

    ours = PageEnvironment(autoescape=True).from_string(source).render(**values)
    jinja = jinja2.Environment(autoescape=True).from_string(source).render(**values)

    assert ours == jinja
    assert "<script>" not in ours and "&lt;script&gt;" in ours and "<i>kept</i>" in ours
