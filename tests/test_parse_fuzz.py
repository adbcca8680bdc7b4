"""Property-based test: mutated exports never crash the parser and lose no valid message."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.exports import export, message
from workbench.core.errors import InputFileError
from workbench.core.settings.ingest import IngestConfig
from workbench.ingest.parse import parse_export

ODD_TEXTS = [
    "ሰላም\u200d👨\u200d👩\u200d👧 ቤተሰብ",  # ZWJ family emoji
    "\u202eየተገለበጠ\u202c",  # right-to-left override
    "e\u0301\u0301\u0301",  # stacked combining marks
    "nul\x00byte",
    "𝕬𝖒𝖍𝖆𝖗𝖎𝖈 \U0001F1EA\U0001F1F9",
    "ሀ" * 100_000,  # a huge value, exactly at the limit the mutation test sets
    "",
]

# mutation name -> (function applied to a valid message, is the message still valid?)
BAD_MUTATIONS = {
    "drop_id": lambda m: {k: v for k, v in m.items() if k != "id"},
    "id_str": lambda m: {**m, "id": str(m["id"])},
    "id_bool": lambda m: {**m, "id": True},
    "id_huge": lambda m: {**m, "id": 2**64 + 1},
    "id_negative": lambda m: {**m, "id": -5},
    "text_int": lambda m: {**m, "text": 12},
    "text_dict": lambda m: {**m, "text": {"a": 1}},
    "text_null": lambda m: {**m, "text": None},
    "piece_without_text": lambda m: {**m, "text": ["a", {"type": "bold"}]},
    "piece_text_int": lambda m: {**m, "text": [{"type": "bold", "text": 3}]},
    "no_dates": lambda m: {k: v for k, v in m.items() if k not in ("date", "date_unixtime")},
    "bad_unixtime": lambda m: {**m, "date_unixtime": "tomorrow"},
    "not_an_object": lambda m: [m["id"]],
    "type_int": lambda m: {**m, "type": 7},
    # A poll's words are kept as its text, so a poll of the wrong shape is a malformed message.
    "poll_answers_int": lambda m: {**m, "poll": {"question": "x", "answers": list(range(1000))}},
}
GOOD_MUTATIONS = {
    "none": lambda m: m,
    # A field the parser does not read (reactions of newer exports), huge and odd: ignored.
    "extra_huge_key": lambda m: {**m, "reactions": {"q": "x" * 50_000, "n": list(range(1000))}},
    "list_text": lambda m: {**m, "text": ["a ", {"type": "link", "text": "t.me/x"}, " b"]},
    "no_from": lambda m: {**m, "from": None},
}

mutation_names = st.sampled_from(sorted(BAD_MUTATIONS) + sorted(GOOD_MUTATIONS))


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    plan=st.lists(st.tuples(mutation_names, st.sampled_from(ODD_TEXTS)), min_size=1, max_size=12)
)
def test_mutated_messages_are_kept_or_quarantined(plan: list[tuple[str, str]]) -> None:
    msgs, good_ids, bad_indices = [], [], []
    for index, (name, text) in enumerate(plan):
        base = message(index + 1, text)
        if name in BAD_MUTATIONS:
            msgs.append(BAD_MUTATIONS[name](base))
            bad_indices.append(index)
        else:
            msgs.append(GOOD_MUTATIONS[name](base))
            good_ids.append(index + 1)
    data = json.dumps(export(msgs), ensure_ascii=False).encode("utf-8")
    out = parse_export(data, "fuzz.json", "h", IngestConfig(max_text_chars=100_000))
    assert out.messages.get_column("message_id").to_list() == good_ids
    assert out.quarantine.get_column("index").to_list() == bad_indices
    assert all(out.quarantine.get_column("reason").str.len_chars() > 0)
    # Kept texts are byte-exact.
    kept = dict(zip(out.messages["message_id"], out.messages["text"], strict=True))
    for mid in good_ids:
        name, text = plan[mid - 1]
        assert kept[mid] == ("a t.me/x b" if name == "list_text" else text)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(cut=st.integers(min_value=0, max_value=10_000), junk=st.binary(max_size=8))
def test_truncated_or_corrupted_file_is_a_user_error(cut: int, junk: bytes) -> None:
    msgs = [message(i, f"መልእክት {i} 🇪🇹") for i in range(1, 20)]
    data = json.dumps(export(msgs), ensure_ascii=False).encode("utf-8")
    damaged = data[: cut % len(data)] + junk
    try:
        out = parse_export(damaged, "cut.json", "h")
    except InputFileError as exc:
        error_text = str(exc)
    else:
        error_text = None
        # Rarely the damage still leaves a valid export: then nothing valid may be lost.
        assert out.messages.height + out.quarantine.height <= len(msgs)
    if error_text is not None:
        assert error_text.startswith("cut.json: ")
        assert "\n" not in error_text
