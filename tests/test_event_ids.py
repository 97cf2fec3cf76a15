"""core.event_ids.normalize_event_id: the one reading of an event id, for every caller."""

import uuid

import pytest

from core.event_ids import normalize_event_id

HEX = "5ec2c82c95d14a638d79a68099c14a32"
DASHED = "5ec2c82c-95d1-4a63-8d79-a68099c14a32"


@pytest.mark.parametrize(
    "value",
    [HEX, HEX.upper(), DASHED, DASHED.upper(), "5EC2c82c-95D1-4a63-8d79-A68099c14a32"],
)
def test_plain_dashed_and_any_case_become_32_lowercase_hex(value):
    assert normalize_event_id(value) == HEX


def test_a_uuid_round_trips_in_both_of_its_spellings():
    event_id = uuid.uuid4()
    assert normalize_event_id(event_id.hex) == event_id.hex
    assert normalize_event_id(str(event_id)) == event_id.hex


@pytest.mark.parametrize(
    "value",
    [
        "",
        "nothex",
        HEX[:-1],  # 31
        HEX + "0",  # 33
        "g" * 32,
        HEX + "\n",  # `$` in a regex would let a trailing newline through
        f" {HEX}",
        f"{HEX} ",
        "5ec2c82c95d1-4a63-8d79-a68099c14a32-",  # 36 characters, dashes in the wrong places
        "5ec2c82c-95d14a63-8d79a-68099c14a32",
        "----" + HEX,
        f"{{{DASHED}}}",  # braces: uuid.UUID takes them, SDKs never send them
        f"urn:uuid:{DASHED}",
        "٥" * 32,  # Arabic-Indic digits are \d, but not hex
        "０" * 32,  # fullwidth zero
        "0x" + HEX[2:],
        "+" + HEX[1:],
        "_".join([HEX[:16], HEX[17:]]),  # int(..., 16) accepts underscores
    ],
)
def test_anything_else_is_none(value):
    assert normalize_event_id(value) is None


@pytest.mark.parametrize(
    "value", [None, 42, 1.5, b"5ec2c82c95d14a638d79a68099c14a32", [HEX], uuid.UUID(HEX)]
)
def test_non_strings_are_none(value):
    assert normalize_event_id(value) is None
