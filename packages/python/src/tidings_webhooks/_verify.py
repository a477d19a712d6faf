"""Verification of one delivery: Standard Webhooks ``v1`` (HMAC-SHA256) and ``v1a`` (Ed25519) for static
webhooks, and for dynamic ones (``webhook_config``) a JWT or ``v1a`` entries checked against the server's JWKS."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from collections.abc import Sequence
from typing import Any, Union

import jwt
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ._headers import Headers, get_header
from ._jwks import JwksCache, shared_cache
from ._keys import decode_public_key, decode_secret
from .errors import (
    AudienceError,
    InvalidPayloadError,
    InvalidSecretError,
    InvalidSignatureError,
    IssuerError,
    KeySetUnavailableError,
    MissingAudienceError,
    MissingHeaderError,
    TimestampError,
    TokenExpiredError,
    UnknownKeyError,
)

__all__ = ["DEFAULT_TOLERANCE_SECONDS", "JWT_ALGORITHMS", "verify_signature", "verify_webhook"]

#: How far ``webhook-timestamp`` (a JWT's ``iat``) may be from now, either way: Standard Webhooks' five minutes.
DEFAULT_TOLERANCE_SECONDS = 300
#: What a Tidings server signs dynamic webhooks' JWTs with (TIDINGS_JWT_ALG): RS256 by default.
JWT_ALGORITHMS = ("RS256", "ES256", "EdDSA")
#: Clock skew allowed on a JWT's ``exp``, ``iat`` and ``nbf``, as the TypeScript SDK allows.
CLOCK_SKEW_SECONDS = 5

Body = Union[bytes, bytearray, memoryview, str]
Keys = Union[str, Sequence[str]]
Jwks = Union[str, dict, JwksCache]

_TIMESTAMP = re.compile(r"[0-9]{1,15}")
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def verify_webhook(
    body: Body,
    headers: Headers,
    *,
    secret: Keys | None = None,
    public_key: Keys | None = None,
    jwks: Jwks | None = None,
    audience: str | None = None,
    issuer: str | None = None,
    tolerance: float = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> dict[str, Any]:
    """Verifies a Tidings webhook and returns its event (``{"type", "version", "timestamp", "data"}``).

    - Static webhooks: ``secret="whsec_…"`` (``v1``, HMAC) or, for one registered with ``signing_scheme: "v1a"``,
      ``public_key="whpk_…"`` (Ed25519). During a rotation pass both (a list): either one matching is enough.
    - Dynamic webhooks (``webhook_config``): ``jwks`` (the server's ``/.well-known/jwks.json`` URL, a JWKS dict, or
      a :class:`JwksCache`) and ``audience`` (this endpoint's URI exactly as given in ``webhook_config.uris``).
      ``webhook-signature`` says the scheme: a JWT, or ``v1a`` entries (TIDINGS_DYNAMIC_SIGNING=v1a, as Gemini's
      live deliveries), checked against the JWKS's Ed25519 keys. A ``v1a`` signature cannot bind the audience;
      deduplicate by ``webhook-id``.

    ``body`` must be the exact bytes received. ``now`` is Unix seconds (default: the clock). Raises a
    :class:`~tidings_webhooks.WebhookVerificationError` with a stable ``code``, or (configuration mistakes)
    :class:`~tidings_webhooks.MissingAudienceError` / :class:`~tidings_webhooks.InvalidSecretError`.
    """
    if jwks is not None:
        if secret is not None or public_key is not None:
            raise TypeError("give secret, public_key or jwks: one of them")
        if not isinstance(audience, str) or audience == "":
            raise MissingAudienceError("audience is required with jwks: this endpoint's URI exactly as given in webhook_config.uris")
        return _verify_dynamic(_bytes(body), headers, _cache(jwks), audience, issuer, tolerance, _now(now))
    verify_signature(body, headers, secret=secret, public_key=public_key, tolerance=tolerance, now=now)
    return parse_event(body)


def verify_signature(
    body: Body,
    headers: Headers,
    *,
    secret: Keys | None = None,
    public_key: Keys | None = None,
    tolerance: float = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> str:
    """Checks a static webhook's signature alone (not the body's shape); returns its ``webhook-id``."""
    if (secret is None) == (public_key is None):
        raise TypeError("give secret (v1) or public_key (v1a): one of them")
    # Keys first: a configuration mistake is reported as one, whatever the request.
    keys = [decode_secret(s) for s in _listed(secret, "secret")] if secret is not None else []
    public_keys = [decode_public_key(k) for k in _listed(public_key, "public_key")] if public_key is not None else []
    content, signature, webhook_id = _signed(_bytes(body), headers, tolerance, _now(now))
    if secret is not None:
        expected = [base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode("ascii") for key in keys]
        entries = [entry[3:] for entry in _entries(signature) if entry.startswith("v1,")]
        # Every pair is compared, in constant time, so timing says nothing about which came close.
        matched = False
        for candidate in entries:
            for wanted in expected:
                matched |= hmac.compare_digest(candidate.encode("ascii", "replace"), wanted.encode("ascii"))
        if not matched:
            raise InvalidSignatureError(
                "webhook-signature carries v1a (Ed25519) signatures: verify this webhook with public_key"
                if not entries and _v1a_signatures(signature)
                else "no matching signature"
            )
        return webhook_id
    signatures = _v1a_signatures(signature)
    if not signatures:
        raise InvalidSignatureError(
            "webhook-signature carries v1 (HMAC) signatures: verify this webhook with secret"
            if signature.startswith("v1,")
            else "webhook-signature has no v1a entry"
        )
    if not _any_signed(public_keys, signatures, content):
        raise InvalidSignatureError()
    return webhook_id


def parse_event(body: Body) -> dict[str, Any]:
    """The event in an authenticated body; only the envelope is checked (``type``, ``data.id``)."""
    try:
        text = body if isinstance(body, str) else bytes(body).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidPayloadError("body is not valid UTF-8") from None
    try:
        event = json.loads(text)
    except ValueError:
        raise InvalidPayloadError("body is not JSON") from None
    if not isinstance(event, dict):
        raise InvalidPayloadError("body is not a JSON object")
    if not isinstance(event.get("type"), str) or event["type"] == "":
        raise InvalidPayloadError('event has no "type"')
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise InvalidPayloadError('event has no "data.id"')
    return event


def _verify_dynamic(body: bytes, headers: Headers, cache: JwksCache, audience: str, issuer: str | None, tolerance: float, now: float) -> dict[str, Any]:
    webhook_id = get_header(headers, "webhook-id")
    if webhook_id is None:
        raise MissingHeaderError("webhook-id")
    token = get_header(headers, "webhook-signature")
    if token is None:
        raise MissingHeaderError("webhook-signature")
    if token.startswith("v1a,"):
        content, signature, _ = _signed(body, headers, tolerance, now)
        signatures = _v1a_signatures(signature)
        keys = _ed25519_keys(cache)
        verified = _any_signed(keys, signatures, content)
        # The entries name no key: it may be one published since the set was fetched.
        if not verified and cache.refresh():
            keys = _ed25519_keys(cache)
            verified = _any_signed(keys, signatures, content)
        if not verified:
            raise UnknownKeyError("the JWKS has no Ed25519 key to verify v1a signatures with") if not keys else InvalidSignatureError()
        return parse_event(body)
    if not _COMPACT_JWS.fullmatch(token):
        raise InvalidSignatureError(
            "webhook-signature is an HMAC signature; verify static webhooks with secret" if token.startswith("v1,") else "webhook-signature is not a compact JWS"
        )
    claims = _verify_jwt(token, cache, audience, issuer)
    exp, iat, nbf = claims.get("exp"), claims.get("iat"), claims.get("nbf")
    if not isinstance(exp, (int, float)) or not isinstance(iat, (int, float)):
        raise InvalidSignatureError("the token's exp and iat must be numbers")
    if exp <= now - CLOCK_SKEW_SECONDS:
        raise TokenExpiredError("token expired")
    if iat > now + CLOCK_SKEW_SECONDS:
        raise TimestampError("the token's iat is in the future")
    if now - iat > tolerance + CLOCK_SKEW_SECONDS:
        raise TokenExpiredError(f"the token was issued more than {tolerance:g} s ago")
    if isinstance(nbf, (int, float)) and nbf > now + CLOCK_SKEW_SECONDS:
        raise TimestampError("the token is not valid yet (nbf)")
    # A valid token copied onto another delivery (another id or body) must not verify it.
    if claims.get("jti") != webhook_id:
        raise InvalidSignatureError("token jti does not match webhook-id")
    digest = base64.urlsafe_b64encode(hashlib.sha256(body).digest()).rstrip(b"=").decode("ascii")
    if claims.get("body_sha256") != digest:
        raise InvalidSignatureError("body does not match the token's body_sha256")
    return parse_event(body)


def _verify_jwt(token: str, cache: JwksCache, audience: str, issuer: str | None) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise InvalidSignatureError("webhook-signature is not a compact JWS") from None
    alg, kid = header.get("alg"), header.get("kid")
    if alg not in JWT_ALGORITHMS:
        raise InvalidSignatureError(f"the token's alg {alg!r} is not one a Tidings server signs with")
    jwk = cache.key_for(kid)
    if jwk is None:
        raise UnknownKeyError(f"no key in the JWKS matches the token's kid {kid!r}")
    if jwk.get("alg") not in (None, alg):
        raise InvalidSignatureError(f"the token's alg {alg} is not its key's {jwk.get('alg')}")
    try:
        key = jwt.PyJWK(jwk, alg).key
    except jwt.PyJWTError as error:
        raise KeySetUnavailableError(f"the JWKS key {kid!r} cannot be used: {error}") from error
    try:
        # Times are checked by the caller, against its own clock (``now``), with the TypeScript SDK's rules.
        options = {"verify_exp": False, "verify_iat": False, "verify_nbf": False, "require": ["iat", "exp", "jti", "body_sha256"]}
        return jwt.decode(token, key, algorithms=[alg], audience=audience, issuer=issuer, options=options)
    except jwt.InvalidAudienceError as error:
        raise AudienceError(f"unexpected audience: {error}") from None
    except jwt.InvalidIssuerError as error:
        raise IssuerError(f"unexpected issuer: {error}") from None
    except jwt.PyJWTError as error:
        raise InvalidSignatureError(str(error) or "no matching signature") from None


def _signed(body: bytes, headers: Headers, tolerance: float, now: float) -> tuple[bytes, str, str]:
    """The content ``v1`` and ``v1a`` sign (``{id}.{timestamp}.{body}``), the signature header, and the id; the
    timestamp must be within ``tolerance`` of ``now`` either way."""
    webhook_id = get_header(headers, "webhook-id")
    if webhook_id is None:
        raise MissingHeaderError("webhook-id")
    timestamp = get_header(headers, "webhook-timestamp")
    if timestamp is None:
        raise MissingHeaderError("webhook-timestamp")
    signature = get_header(headers, "webhook-signature")
    if signature is None:
        raise MissingHeaderError("webhook-signature")
    if not _TIMESTAMP.fullmatch(timestamp):
        raise TimestampError("webhook-timestamp is not Unix seconds")
    if now - int(timestamp) > tolerance:
        raise TimestampError("webhook-timestamp is too old")
    if int(timestamp) - now > tolerance:
        raise TimestampError("webhook-timestamp is in the future")
    return f"{webhook_id}.{timestamp}.".encode() + body, signature, webhook_id


def _entries(header: str) -> list[str]:
    # A proxy that merged repeated headers leaves "v1,a, v1,b"; base64 never ends in a comma.
    return [token[:-1] if token.endswith(",") else token for token in header.split(" ") if token]


def _v1a_signatures(header: str) -> list[bytes]:
    signatures = []
    for entry in _entries(header):
        if not entry.startswith("v1a,"):
            continue
        try:
            signature = base64.b64decode(entry[4:], validate=True)
        except (binascii.Error, ValueError):
            continue
        if len(signature) == 64:
            signatures.append(signature)
    return signatures


def _any_signed(keys: Sequence[Ed25519PublicKey], signatures: Sequence[bytes], content: bytes) -> bool:
    for key in keys:
        for signature in signatures:
            try:
                key.verify(signature, content)
                return True
            except InvalidSignature:
                continue
    return False


def _ed25519_keys(cache: JwksCache) -> list[Ed25519PublicKey]:
    """The JWKS's Ed25519 keys that may verify signatures (RFC 8037; alg EdDSA, Ed25519 or none)."""
    keys = []
    for jwk in cache.keys():
        if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519" and jwk.get("use") in (None, "sig") and jwk.get("alg") in (None, "EdDSA", "Ed25519"):
            key = jwt.PyJWK(jwk, "EdDSA").key
            if isinstance(key, Ed25519PublicKey):
                keys.append(key)
    return keys


def _cache(jwks: Jwks) -> JwksCache:
    if isinstance(jwks, JwksCache):
        return jwks
    if isinstance(jwks, str):
        if not jwks.startswith(("https://", "http://")):
            raise TypeError(f"jwks is not a URL: {jwks!r}")
        return shared_cache(jwks)
    if isinstance(jwks, dict):
        return JwksCache(keys=jwks)
    raise TypeError("jwks must be the JWKS URL, a JWKS dict or a JwksCache")


def _listed(keys: Keys, name: str) -> list[str]:
    listed = [keys] if isinstance(keys, str) else list(keys)
    if not listed:
        raise InvalidSecretError(f"no {name} given")
    return listed


def _bytes(body: Body) -> bytes:
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


def _now(now: float | None) -> float:
    return time.time() if now is None else now
