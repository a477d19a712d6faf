"""The signing vectors shared with @tidings/sdk (packages/sdk/test/fixtures): both verifiers must give the same
answer for every case, and accept the official Standard Webhooks and Svix vectors."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import pytest

from tidings_webhooks import (
    InvalidSecretError,
    InvalidSignatureError,
    JwksCache,
    MissingAudienceError,
    MissingHeaderError,
    TimestampError,
    WebhookVerificationError,
    verify_signature,
    verify_webhook,
)


def headers_of(case: dict[str, Any], signature: str | None = None) -> dict[str, str]:
    return {"webhook-id": case["msg_id"], "webhook-timestamp": str(case["timestamp"]), "webhook-signature": signature if signature is not None else case["signature"]}


def outcome(call: Any) -> str:
    try:
        call()
        return "ok"
    except WebhookVerificationError as error:
        return error.code


def test_static_v1a_cases(signing_vectors: dict[str, Any]) -> None:
    at = signing_vectors["verify_at"]
    for case in signing_vectors["static_v1a"]["cases"]:
        got = outcome(lambda: verify_webhook(case["payload"], headers_of(case), public_key=case["public_keys"], now=at))
        assert got == case["expect"], case["name"]


def test_dynamic_cases(signing_vectors: dict[str, Any]) -> None:
    dynamic = signing_vectors["dynamic"]
    for case in dynamic["cases"]:
        # A JWKS given as a dict: the unknown-kid case cannot be fetched again.
        got = outcome(
            lambda: verify_webhook(
                case["payload"], headers_of(case), jwks=dynamic["jwks"], audience=dynamic["audience"], issuer=dynamic["issuer"], now=signing_vectors["verify_at"]
            )
        )
        assert got == case["expect"], case["name"]


def test_official_v1_vectors(standard_vectors: dict[str, Any]) -> None:
    for v in standard_vectors["sign"]:
        assert verify_signature(v["payload"], headers_of(v), secret=v["secret"], now=v["timestamp"]) == v["msg_id"]
    first = standard_vectors["sign"][0]
    for header in standard_vectors["reject_signature_headers_for_first_sign_vector"]:
        expected = MissingHeaderError if header == "" else InvalidSignatureError
        with pytest.raises(expected):
            verify_signature(first["payload"], headers_of(first, header), secret=first["secret"], now=first["timestamp"])
    decoys = " ".join(standard_vectors["accept_when_a_valid_entry_is_among_others"])
    with pytest.raises(InvalidSignatureError):
        verify_signature(first["payload"], headers_of(first, decoys), secret=first["secret"], now=first["timestamp"])
    assert verify_signature(first["payload"], headers_of(first, f"{decoys} {first['signature']}"), secret=first["secret"], now=first["timestamp"])
    for secret in standard_vectors["reject_secrets_at_construction"]:
        with pytest.raises(InvalidSecretError):
            verify_signature(first["payload"], headers_of(first), secret=secret, now=first["timestamp"])


def test_the_timestamp_must_be_within_five_minutes(standard_vectors: dict[str, Any]) -> None:
    first = standard_vectors["sign"][0]
    secret, tolerance = first["secret"], standard_vectors["tolerance_seconds"]
    key = base64.b64decode(secret.removeprefix("whsec_"))

    def signed_at(ts: int) -> dict[str, str]:
        digest = hmac.new(key, f"{first['msg_id']}.{ts}.{first['payload']}".encode(), hashlib.sha256).digest()
        return {"webhook-id": first["msg_id"], "webhook-timestamp": str(ts), "webhook-signature": "v1," + base64.b64encode(digest).decode()}

    now = first["timestamp"]
    for ts in (now - tolerance, now + tolerance):
        verify_signature(first["payload"], signed_at(ts), secret=secret, now=now)
    for ts in (now - tolerance - 1, now + tolerance + 1):
        with pytest.raises(TimestampError):
            verify_signature(first["payload"], signed_at(ts), secret=secret, now=now)
    with pytest.raises(TimestampError):
        verify_signature(first["payload"], {**signed_at(now), "webhook-timestamp": "hello"}, secret=secret, now=now)


def test_svix_ed25519_vector(standard_vectors: dict[str, Any]) -> None:
    for v in standard_vectors["sign_ed25519"]:
        assert verify_signature(v["payload"], headers_of(v), public_key=v["public_key"], now=v["timestamp"]) == v["msg_id"]


def test_says_which_option_fits_a_delivery(signing_vectors: dict[str, Any]) -> None:
    case = signing_vectors["static_v1a"]["cases"][0]
    with pytest.raises(InvalidSignatureError, match="public_key"):
        verify_webhook(case["payload"], headers_of(case), secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", now=signing_vectors["verify_at"])


def test_configuration_mistakes_are_not_verification_errors(signing_vectors: dict[str, Any]) -> None:
    case = signing_vectors["dynamic"]["cases"][0]
    with pytest.raises(MissingAudienceError):
        verify_webhook(case["payload"], headers_of(case), jwks=signing_vectors["dynamic"]["jwks"])
    for bad in ("", "whpk_", "whpk_AAAA", "whpk_not base64!"):
        with pytest.raises(InvalidSecretError):
            verify_webhook(case["payload"], headers_of(case), public_key=bad)
    with pytest.raises(TypeError):
        verify_webhook(case["payload"], headers_of(case), secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", public_key="whpk_x")
    assert not issubclass(MissingAudienceError, WebhookVerificationError)


def test_headers_are_found_whatever_their_case(signing_vectors: dict[str, Any]) -> None:
    case = signing_vectors["static_v1a"]["cases"][0]
    shouted = {k.title(): v for k, v in headers_of(case).items()}
    assert verify_webhook(case["payload"].encode(), shouted, public_key=case["public_keys"], now=signing_vectors["verify_at"])["type"] == "export.succeeded"


def test_a_jwks_dict_is_never_fetched(signing_vectors: dict[str, Any]) -> None:
    cache = JwksCache(keys=signing_vectors["dynamic"]["jwks"])
    assert cache.refresh() is False
    assert cache.key_for("not-in-the-jwks") is None
    assert cache.fetch_count == 0
