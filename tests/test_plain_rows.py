"""A new row as a plain object: the values given, the model's own defaults for the rest."""
from datetime import datetime

import pytest

from domain.models import Tip
from services.plain_rows import new_row


def test_new_row_fills_the_model_defaults():
    first, second = new_row(Tip, number="JB2026-00001"), new_row(Tip, number="JB2026-00002", version=3)
    assert (first.status, first.version, first.extension_count, first.id) == ("registered", 1, 0, None)
    assert second.version == 3
    assert isinstance(first.registered_at, datetime) and first.registered_at.tzinfo is not None
    first.evidence.append("a.pdf")
    assert second.evidence == []  # a default factory's value is each row's own
    assert set(vars(first)) == set(Tip.model_fields)


def test_new_row_refuses_a_column_the_model_lacks():
    with pytest.raises(TypeError, match="numbr"):
        new_row(Tip, numbr="JB2026-00001")
