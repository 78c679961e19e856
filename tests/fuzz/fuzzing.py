"""Strategies shared by the importer fuzz tests: a valid file mutated a few bytes at a time, or
random bytes; and the row counts that tell whether a refused import wrote anything."""
from __future__ import annotations

import os

from hypothesis import strategies as st

# Locally every run draws new inputs and may find something new; CI replays one fixed draw per
# test (derandomized), so a submission is judged on the same inputs every time and a finding is
# made and fixed on a developer's machine rather than failing someone else's merge at random.
DERANDOMIZE = bool(os.environ.get("CI"))


@st.composite
def mutated(draw, seed: bytes) -> bytes:
    """`seed` with 1–4 edits: a byte changed, a span cut or repeated, bytes inserted, or cut short."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        edit = draw(st.sampled_from(("flip", "cut", "repeat", "insert", "truncate")))
        if edit == "flip":
            data[at] = draw(st.integers(0, 255))
        elif edit == "cut":
            del data[at:at + draw(st.integers(1, 16))]
        elif edit == "repeat":
            data[at:at] = data[at:at + draw(st.integers(1, 32))]
        elif edit == "insert":
            data[at:at] = draw(st.sampled_from((b",", b"\n", b"\"", b"\x00", b"-", b"9" * 20, b"NaN", b"\xff\xfe", "井".encode(), b"{", b"]")))
        else:
            del data[at:]
    return bytes(data)


def files_like(seed: bytes):
    return st.one_of(mutated(seed), st.binary(max_size=400))


def row_counts(*app_labels: str) -> dict[str, int]:
    """Rows in every table of these apps (and the audit log): a refused import leaves them all."""
    from django.apps import apps

    counts = {}
    for label in (*app_labels, "core"):
        for model in apps.get_app_config(label).get_models():
            counts[model._meta.label] = model._default_manager.count()
    return counts
