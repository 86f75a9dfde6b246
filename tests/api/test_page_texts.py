"""Every form a person fills in is in Danish and has no JSON box: each command has a title,
each field a Danish label, each choice a Danish text; input errors come back in Danish."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.pages.forms import FormContext, build
from app.pages.present import People, read_text
from app.pages.routes import COMMANDS
from app.pages.texts import FIELD_LABELS, READ_REFUSED, READ_WHAT, validation_text
from eventlog.access_log import SHOWN_PREFIX


@pytest.mark.parametrize("command_type", sorted(COMMANDS))
def test_every_field_of_every_form_has_a_danish_label_and_no_json(command_type):
    assert COMMANDS[command_type].label
    widgets = build(COMMANDS[command_type], FormContext(command_type, "K-1", {}, People(None, {})))
    for top in widgets:
        for w in top.walk():
            assert w.kind != "json"
            if w.kind == "hidden":
                continue
            own = COMMANDS[command_type].field_texts  # the command's own, where the shared label does not fit
            assert w.path in FIELD_LABELS or w.path.rsplit(".", 1)[-1] in FIELD_LABELS or w.path in own, w.path
            for value, text in w.options:
                assert text != value or not value.isidentifier() or value.isupper(), (w.path, value)


def test_input_errors_are_told_in_danish():
    command = COMMANDS["give_consent"]
    with pytest.raises(ValidationError) as error:
        command.model_validate({"actor": {"id": "x", "role": "citizen"}, "person_id": "", "categories": ["nonsense"],
                                "purpose": "kort", "valid_until": "i morgen"})  # fmt: skip
    texts = [validation_text(e) for e in error.value.errors()]
    assert "Skriv mindst 10 tegn." in texts and "Skriv en dato." in texts and "Vælg en af mulighederne." in texts
    assert not any("should" in t or "Field" in t for t in texts)


def test_the_access_log_tab_tells_each_row_by_its_kind():
    assert read_text(f"{SHOWN_PREFIX}read_case:{'0' * 64}") == READ_WHAT["read_case"]
    assert read_text(f"{SHOWN_PREFIX}list_cases:{'0' * 64}") == READ_WHAT["list_cases"]
    assert read_text("refused:read_case") == READ_REFUSED
    assert read_text("read_access_log") == READ_WHAT["read_access_log"]
