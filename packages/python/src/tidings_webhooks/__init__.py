"""Verify and receive Tidings webhooks (and Gemini's): Standard Webhooks ``v1`` (HMAC-SHA256) and ``v1a``
(Ed25519) for static webhooks, and the JWT or ``v1a`` signatures of dynamic ones (``webhook_config``), against
the server's JWKS. FastAPI and Flask helpers live in ``tidings_webhooks.fastapi`` and ``tidings_webhooks.flask``."""

from ._dedup import DedupStore, MemoryDedupStore
from ._jwks import JwksCache
from ._receiver import HandlerContext, WebhookReceiver
from ._verify import DEFAULT_TOLERANCE_SECONDS, JWT_ALGORITHMS, parse_event, verify_signature, verify_webhook
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
    WebhookVerificationError,
)

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_TOLERANCE_SECONDS",
    "JWT_ALGORITHMS",
    "AudienceError",
    "DedupStore",
    "HandlerContext",
    "InvalidPayloadError",
    "InvalidSecretError",
    "InvalidSignatureError",
    "IssuerError",
    "JwksCache",
    "KeySetUnavailableError",
    "MemoryDedupStore",
    "MissingAudienceError",
    "MissingHeaderError",
    "TimestampError",
    "TokenExpiredError",
    "UnknownKeyError",
    "WebhookReceiver",
    "WebhookVerificationError",
    "parse_event",
    "verify_signature",
    "verify_webhook",
]
