"""A deeply nested JSON upload is refused with a message naming the rule, not a RecursionError."""

import pytest

from zhengtong.core.errors import ValidationError
from zhengtong.datastore import engine


@pytest.mark.parametrize(
    ("name", "data", "message", "row"),
    [
        ("deep.json", b"[" * 100_000, "The JSON is nested too deeply to be a table.", None),
        ("deep.ndjson", b'{"a": 1}\n' + b"[" * 100_000, "Line 2 is nested too deeply to be a record.", 2),
    ],
)
def test_deeply_nested_json_is_a_validation_error(tmp_path, name, data, message, row):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ValidationError) as err:
        engine.read_file(str(path))
    assert err.value.message == message
    assert err.value.details.get("rule") == "json" and err.value.details.get("row") == row
