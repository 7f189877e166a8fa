import base64
import hashlib
import hmac

from provider_fakes.twilio_protocol import num_segments, request_signature


def test_signature_is_hmac_sha1_of_url_and_sorted_params() -> None:
    url = "https://clinic.example/webhooks/twilio/inbound?x=1"
    params = [("To", "+15005550006"), ("Body", "STOP"), ("From", "+15551230001")]

    signature = request_signature("12345", url, params)

    # written out as Twilio's docs describe it: URL, then each name+value by name
    payload = url + "Body" + "STOP" + "From" + "+15551230001" + "To" + "+15005550006"
    expected = hmac.new(b"12345", payload.encode(), hashlib.sha1).digest()
    assert signature == base64.b64encode(expected).decode()


def test_gsm7_message_fits_160_characters_in_one_segment() -> None:
    assert num_segments("a" * 160) == 1
    assert num_segments("a" * 161) == 2
    assert num_segments("a" * 306) == 2
    assert num_segments("a" * 307) == 3


def test_gsm7_extension_characters_cost_two() -> None:
    assert num_segments("€" * 80) == 1
    assert num_segments("€" * 81) == 2


def test_a_character_outside_gsm7_switches_to_ucs2() -> None:
    assert num_segments("ą" * 70) == 1
    assert num_segments("ą" * 71) == 2
    assert num_segments("😀" * 35) == 1  # two UTF-16 units each
    assert num_segments("😀" * 36) == 2
