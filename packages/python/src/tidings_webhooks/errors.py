"""Typed verification errors. ``code`` is stable and safe to switch on or to return to the sender (the same
codes as ``@tidings/sdk``); class names and messages are for humans and may change."""

from __future__ import annotations

__all__ = [
    "AudienceError",
    "InvalidPayloadError",
    "InvalidSecretError",
    "InvalidSignatureError",
    "IssuerError",
    "KeySetUnavailableError",
    "MissingAudienceError",
    "MissingHeaderError",
    "TimestampError",
    "TokenExpiredError",
    "UnknownKeyError",
    "WebhookVerificationError",
]


class WebhookVerificationError(Exception):
    """A delivery that does not verify. Answer it with a 4xx (a ``jwks_unavailable`` one with a 5xx)."""

    code = "invalid_signature"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class MissingHeaderError(WebhookVerificationError):
    """A required header (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``) is absent or empty."""

    code = "missing_header"

    def __init__(self, header: str) -> None:
        super().__init__(f'missing required header "{header}"')
        self.header = header


class InvalidSignatureError(WebhookVerificationError):
    """No signature matches: wrong secret or key, changed body, malformed token, or jti other than webhook-id."""

    code = "invalid_signature"

    def __init__(self, message: str = "no matching signature") -> None:
        super().__init__(message)


class TimestampError(WebhookVerificationError):
    """The timestamp is malformed or outside the tolerance (stale: a possible replay; future: clock skew)."""

    code = "invalid_timestamp"


class TokenExpiredError(TimestampError):
    """The JWT's ``exp`` has passed, or it was issued longer ago than the tolerance."""

    code = "token_expired"


class AudienceError(WebhookVerificationError):
    """The JWT was minted for another endpoint: a token replayed across receivers."""

    code = "invalid_audience"


class IssuerError(WebhookVerificationError):
    code = "invalid_issuer"


class UnknownKeyError(WebhookVerificationError):
    """No key of the JWKS can have signed it, even after fetching the JWKS again."""

    code = "unknown_key"


class KeySetUnavailableError(WebhookVerificationError):
    """The JWKS could not be fetched or read: not the sender's fault, so answer 5xx and let it retry."""

    code = "jwks_unavailable"


class InvalidPayloadError(WebhookVerificationError):
    """Authentic, but the body is not a JSON event (not UTF-8, not JSON, or no ``type``/``data.id``)."""

    code = "invalid_payload"


class MissingAudienceError(ValueError):
    """``jwks`` without ``audience``: a token captured for one endpoint would verify at any other. A configuration
    mistake, never answered to the sender."""

    code = "missing_audience"


class InvalidSecretError(ValueError):
    """An unusable secret or public key (empty, not base64, not 32 bytes): a configuration mistake."""

    code = "invalid_secret"
