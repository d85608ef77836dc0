import pytest

from masking.keys import TOKEN_PATTERN, MissingKeyError, domain_key, normalise, token


def test_same_value_same_token_within_a_domain():
    key = domain_key("shared_services")
    assert token(key, "CN_RESIDENT_ID", "11010519491231002X") == token(key, "CN_RESIDENT_ID", " 11010519491231002x ")


def test_domains_are_unlinkable():
    a, b = domain_key("shared_services"), domain_key("health_research")
    assert token(a, "CN_RESIDENT_ID", "11010519491231002X") != token(b, "CN_RESIDENT_ID", "11010519491231002X")


def test_entity_type_separates_tokens():
    key = domain_key("d")
    assert token(key, "CN_RESIDENT_ID", "13800001111") != token(key, "PHONE_NUMBER", "13800001111")


def test_token_carries_key_version(monkeypatch):
    monkeypatch.setenv("GOVLAKE_PSEUDONYM_KEY_VERSION", "7")
    t = token(domain_key("d"), "CN_USCC", "91110000802100433B")
    assert t.startswith("pk7_") and TOKEN_PATTERN.match(t)


def test_rotated_key_gives_other_tokens(monkeypatch):
    before = token(domain_key("d"), "CN_USCC", "91110000802100433B")
    monkeypatch.setenv("GOVLAKE_PSEUDONYM_KEY", "another-secret-key-for-rotation")
    monkeypatch.setenv("GOVLAKE_PSEUDONYM_KEY_VERSION", "2")
    after = token(domain_key("d"), "CN_USCC", "91110000802100433B")
    assert before != after and after.startswith("pk2_")


def test_phone_forms_normalise_to_one_token():
    key = domain_key("d")
    forms = ["13812345678", "138-1234-5678", "+86 138 1234 5678", "(+86)13812345678"]
    assert {token(key, "PHONE_NUMBER", f) for f in forms} == {token(key, "PHONE_NUMBER", forms[0])}
    assert normalise("PHONE_NUMBER", "+86 138 1234 5678") == "13812345678"


def test_key_material_is_never_shown(monkeypatch):
    key = domain_key("d")
    assert "secret=<hidden>" in repr(key)
    import os
    assert os.environ["GOVLAKE_PSEUDONYM_KEY"] not in repr(key)


def test_missing_or_weak_key_is_refused(monkeypatch):
    monkeypatch.delenv("GOVLAKE_PSEUDONYM_KEY")
    with pytest.raises(MissingKeyError, match="GOVLAKE_PSEUDONYM_KEY"):
        domain_key("d")
    monkeypatch.setenv("GOVLAKE_PSEUDONYM_KEY", "short")
    with pytest.raises(MissingKeyError, match="too short"):
        domain_key("d")


def test_key_from_an_airflow_connection(monkeypatch):
    """In Airflow the secret comes from the connection `govlake_pseudonym` (here via Airflow's
    environment-variable secrets backend); its extra carries the key version."""
    import json

    monkeypatch.delenv("GOVLAKE_PSEUDONYM_KEY")
    monkeypatch.setenv("AIRFLOW_CONN_GOVLAKE_PSEUDONYM", json.dumps(
        {"conn_type": "generic", "password": "secret-held-by-airflow-0123456789", "extra": {"version": "3"}}))
    key = domain_key("shared_services")
    assert key.version == "3"
    assert token(key, "CN_USCC", "91110000802100433B").startswith("pk3_")


def test_token_is_hmac_sha256_in_base32_as_published_tokens_were():
    """The fast encoding must give exactly the tokens earlier releases carry, or joins across releases break."""
    import base64
    import hashlib
    import hmac

    key = domain_key("gov.cn/shared")
    for value in ["440305199001011234", "91440300MA5ABCDE1X", "", "李雷", *(str(n) * 7 for n in range(50))]:
        for entity in ("CN_RESIDENT_ID", "PERSON"):
            mac = hmac.new(key.secret, f"{entity}\0{normalise(entity, value)}".encode(), hashlib.sha256).digest()
            assert token(key, entity, value) == f"pk{key.version}_" + base64.b32encode(mac[:16]).decode().rstrip("=")
