"""Deliveries from a running Tidings server, verified with the installed package: static v1 and v1a webhooks,
and dynamic ones signed with a JWT and with v1a (TIDINGS_DYNAMIC_SIGNING=v1a)."""

from __future__ import annotations

import pytest
from conftest import ADMIN_KEY, Recorder, Tidings, complete_operation

from tidings_webhooks import AudienceError, InvalidSignatureError, JwksCache, verify_webhook


def changed(body: bytes) -> bytes:
    return body.replace(b'"v1"', b'"v2"')


def test_a_static_v1_delivery_verifies_and_a_changed_body_does_not(tidings: Tidings, recorder: Recorder) -> None:
    hook = tidings.api("POST", "/v1/webhooks", {"uri": recorder.url, "subscribed_events": ["export.*"]})
    name = complete_operation(tidings, output_file_uri="files/report")
    [delivery] = recorder.wait_for(1)
    event = verify_webhook(delivery.body, delivery.headers, secret=hook["new_signing_secret"])
    assert event["type"] == "export.succeeded"
    assert event["data"] == {"id": name, "output_file_uri": "files/report"}
    with pytest.raises(InvalidSignatureError) as refused:
        verify_webhook(changed(delivery.body), delivery.headers, secret=hook["new_signing_secret"])
    assert refused.value.code == "invalid_signature"


def test_a_static_v1a_delivery_verifies_with_its_public_key_and_both_keys_after_a_rotation(tidings: Tidings, recorder: Recorder) -> None:
    hook = tidings.api("POST", "/v1/webhooks", {"uri": recorder.url, "subscribed_events": ["export.*"], "signing_scheme": "v1a"})
    first_key = hook["public_key"]
    complete_operation(tidings)
    [delivery] = recorder.wait_for(1)
    assert verify_webhook(delivery.body, delivery.headers, public_key=first_key)["type"] == "export.succeeded"
    with pytest.raises(InvalidSignatureError):
        verify_webhook(changed(delivery.body), delivery.headers, public_key=first_key)

    second_key = tidings.api("POST", f"/v1/webhooks/{hook['id']}:rotateSigningSecret", {})["public_key"]
    complete_operation(tidings)
    rotated = recorder.wait_for(2)[1]
    assert len(rotated.headers["webhook-signature"].split(" ")) == 2
    for key in (first_key, second_key):
        assert verify_webhook(rotated.body, rotated.headers, public_key=key)["type"] == "export.succeeded"


def test_a_dynamic_jwt_delivery_verifies_for_its_audience_alone(tidings: Tidings, recorder: Recorder) -> None:
    complete_operation(tidings, "render", {"uris": [recorder.url], "user_metadata": {"order": "o-42"}})
    [delivery] = recorder.wait_for(1)
    assert delivery.headers["webhook-signature"].count(".") == 2
    event = verify_webhook(delivery.body, delivery.headers, jwks=tidings.jwks_url, audience=recorder.url, issuer=tidings.url)
    assert event["type"] == "render.succeeded"
    assert event["data"]["user_metadata"] == {"order": "o-42"}
    with pytest.raises(AudienceError) as elsewhere:
        verify_webhook(delivery.body, delivery.headers, jwks=tidings.jwks_url, audience="https://another.example/hook")
    assert elsewhere.value.code == "invalid_audience"
    with pytest.raises(InvalidSignatureError):
        verify_webhook(changed(delivery.body), delivery.headers, jwks=tidings.jwks_url, audience=recorder.url)


def test_a_dynamic_v1a_delivery_verifies_against_the_jwks(tidings_v1a: Tidings, recorder: Recorder) -> None:
    complete_operation(tidings_v1a, "render", {"uris": [recorder.url]})
    [delivery] = recorder.wait_for(1)
    assert delivery.headers["webhook-signature"].startswith("v1a,")
    assert verify_webhook(delivery.body, delivery.headers, jwks=tidings_v1a.jwks_url, audience=recorder.url)["type"] == "render.succeeded"
    with pytest.raises(InvalidSignatureError):
        verify_webhook(changed(delivery.body), delivery.headers, jwks=tidings_v1a.jwks_url, audience=recorder.url)


@pytest.mark.parametrize("server", ["tidings", "tidings_v1a"])
def test_the_jwks_is_fetched_once_and_again_for_a_key_it_lacks(server: str, request: pytest.FixtureRequest, recorder: Recorder) -> None:
    tidings: Tidings = request.getfixturevalue(server)
    jwks = JwksCache(tidings.jwks_url, cooldown=0)
    complete_operation(tidings, "job", {"uris": [recorder.url]})
    complete_operation(tidings, "job", {"uris": [recorder.url]})
    for delivery in recorder.wait_for(2):
        verify_webhook(delivery.body, delivery.headers, jwks=jwks, audience=recorder.url)
    assert jwks.fetch_count == 1
    # A rotation whose key signs at once (TIDINGS_JWKS_PROPAGATION_S=0): the cached set lacks it.
    tidings.api("POST", "/v1/signingKeys:rotate", {}, key=ADMIN_KEY)
    complete_operation(tidings, "job", {"uris": [recorder.url]})
    fresh = recorder.wait_for(3)[2]
    assert verify_webhook(fresh.body, fresh.headers, jwks=jwks, audience=recorder.url)["type"] == "job.succeeded"
    assert jwks.fetch_count == 2
