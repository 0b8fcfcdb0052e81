"""API-Sign: Kraken's published example (docs.kraken.com spot-rest-auth) reproduced exactly."""

from __future__ import annotations

import pytest

from galfriday.adapters.kraken.signing import sign, verify
from galfriday.config import Secret
from galfriday.errors import ConfigurationError

# Kraken's documented example (not a real key): buy 1.25 XBTUSD at 37500.
SECRET = "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg=="
NONCE = "1616492376594"
BODY = "nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25"
PATH = "/0/private/AddOrder"
EXPECTED = "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ=="


def test_sign_reproduces_krakens_documented_example() -> None:
    assert sign(PATH, BODY, NONCE, SECRET) == EXPECTED


def test_sign_accepts_bytes_body_int_nonce_and_secret_object() -> None:
    assert sign(PATH, BODY.encode(), int(NONCE), Secret(SECRET)) == EXPECTED


def test_verify_accepts_the_documented_signature() -> None:
    assert verify(PATH, BODY, NONCE, Secret(SECRET), EXPECTED)
    assert verify(PATH, BODY, NONCE, SECRET, EXPECTED.encode())


@pytest.mark.parametrize(
    ("path", "body", "nonce"),
    [
        ("/0/private/Balance", BODY, NONCE),
        (PATH, BODY.replace("1.25", "1.26"), NONCE),
        (PATH, BODY, "1616492376595"),
    ],
)
def test_verify_rejects_any_change_to_path_body_or_nonce(path: str, body: str, nonce: str) -> None:
    assert not verify(path, body, nonce, SECRET, EXPECTED)


def test_verify_rejects_garbage_signatures() -> None:
    assert not verify(PATH, BODY, NONCE, SECRET, "")
    assert not verify(PATH, BODY, NONCE, SECRET, "é" * 88)


def test_a_secret_that_is_not_base64_is_a_configuration_error_that_hides_it() -> None:
    with pytest.raises(ConfigurationError) as caught:
        sign(PATH, BODY, NONCE, Secret("not base64 !!! hunter2"))
    assert "hunter2" not in str(caught.value)
    assert caught.value.__cause__ is None
