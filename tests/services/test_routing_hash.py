"""The compiled FNV-1a the prediction router uses is the routing domain's FNV-1a."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from galfriday.domain.routing import fnv1a32
from galfriday.services.routing_hash import FAST_FNV1A32


@given(text=st.text(max_size=100))
def test_the_compiled_hash_is_the_domains_fnv1a32(text: str) -> None:
    if FAST_FNV1A32 is None:
        pytest.skip("fnv-hash-fast has no compiled build here; the routing table hashes in Python")
    assert FAST_FNV1A32(text.encode()) == fnv1a32(text)


def test_a_compiled_build_is_installed() -> None:
    assert FAST_FNV1A32 is not None, "fnv-hash-fast fell back to pure Python: split routing is ~1 us slower"
