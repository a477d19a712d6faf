"""The key material a receiver holds: ``whsec_`` secrets (v1) and ``whpk_`` public keys (v1a)."""

from __future__ import annotations

import base64
import binascii

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .errors import InvalidSecretError

SECRET_PREFIX = "whsec_"
PUBLIC_KEY_PREFIX = "whpk_"


def decode_secret(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret (raw base64 is accepted too)."""
    if not isinstance(secret, str):
        raise InvalidSecretError("secret must be a string")
    encoded = secret[len(SECRET_PREFIX) :] if secret.startswith(SECRET_PREFIX) else secret
    try:
        key = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidSecretError("secret is not base64 (expected whsec_ followed by base64)") from None
    if not key:
        raise InvalidSecretError("secret is empty")
    return key


def decode_public_key(public_key: str) -> Ed25519PublicKey:
    """The Ed25519 key of a ``whpk_`` public key: base64 of its raw 32 bytes."""
    if not isinstance(public_key, str):
        raise InvalidSecretError("public_key must be a string")
    encoded = public_key[len(PUBLIC_KEY_PREFIX) :] if public_key.startswith(PUBLIC_KEY_PREFIX) else public_key
    try:
        raw = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidSecretError("public_key is not base64 (expected whpk_ followed by base64 of 32 bytes)") from None
    if len(raw) != 32:
        raise InvalidSecretError(f"public_key is {len(raw)} bytes; an Ed25519 public key is 32")
    return Ed25519PublicKey.from_public_bytes(raw)
