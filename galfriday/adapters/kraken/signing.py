"""Kraken REST request signing: the `API-Sign` header.

API-Sign = base64(HMAC-SHA512(key=base64decode(secret), msg=url_path + SHA256(nonce + post_data)))

`url_path` starts at `/0/private` (no host); `post_data` is the exact body sent, which itself holds `nonce=`.
Secrets never appear in errors raised here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from galfriday.config import Secret
from galfriday.errors import ConfigurationError

__all__ = ["sign", "verify"]


def _bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode()


def _secret_key(secret: Secret | str) -> bytes:
    raw = secret.reveal() if isinstance(secret, Secret) else secret
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigurationError(
            "kraken api_secret", raw, "the base64 private key Kraken issued", secret=True
        ) from None


def sign(url_path: str, body: bytes | str, nonce: int | str, secret: Secret | str) -> str:
    """The API-Sign value for one private request (`body` is the exact encoded POST data)."""
    digest = hashlib.sha256(str(nonce).encode() + _bytes(body)).digest()
    mac = hmac.new(_secret_key(secret), url_path.encode() + digest, hashlib.sha512)
    return base64.b64encode(mac.digest()).decode()


def verify(
    url_path: str, body: bytes | str, nonce: int | str, secret: Secret | str, signature: bytes | str
) -> bool:
    """Whether `signature` is the API-Sign for this request; compared in constant time."""
    expected = sign(url_path, body, nonce, secret).encode()
    try:
        given = _bytes(signature)
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(expected, given)
