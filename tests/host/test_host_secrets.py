"""Secrets in configs: references, encryption at rest, redaction."""

from __future__ import annotations

import pytest
from connector_host.config_secrets import (
    Redactor,
    SecretError,
    encrypt_ref,
    env_ref,
    file_ref,
    mask_config,
    resolve_config,
    secret_paths,
)
from cryptography.fernet import Fernet


def test_references_resolve(tmp_path):
    f = tmp_path / "tok"
    f.write_text("from-a-file\n")
    key = Fernet.generate_key().decode()
    env = {"TOK": "from-env", "CONNECTOR_HOST_SECRET_KEY": key}
    stored = {"a": env_ref("TOK"), "b": {"c": file_ref(str(f))}, "d": encrypt_ref("encrypted!", env), "e": 1}
    assert "encrypted!" not in str(stored)
    assert resolve_config(stored, env) == {"a": "from-env", "b": {"c": "from-a-file"}, "d": "encrypted!", "e": 1}


def test_unresolvable_references_say_what_to_do(tmp_path):
    with pytest.raises(SecretError, match="TOK is not set"):
        resolve_config({"a": env_ref("TOK")}, {})
    with pytest.raises(SecretError, match="cannot read the secret file"):
        resolve_config({"a": file_ref(str(tmp_path / "none"))}, {})
    ref = encrypt_ref("x", {"CONNECTOR_HOST_SECRET_KEY": Fernet.generate_key().decode()})
    with pytest.raises(SecretError, match="CONNECTOR_HOST_SECRET_KEY"):
        resolve_config({"a": ref}, {})
    with pytest.raises(SecretError, match="another key"):
        resolve_config({"a": ref}, {"CONNECTOR_HOST_SECRET_KEY": Fernet.generate_key().decode()})
    with pytest.raises(SecretError, match="not a Fernet key"):
        encrypt_ref("x", {"CONNECTOR_HOST_SECRET_KEY": "hunter2"})


def test_key_file(tmp_path):
    kf = tmp_path / "key"
    kf.write_text(Fernet.generate_key().decode() + "\n")
    env = {"CONNECTOR_HOST_SECRET_KEY_FILE": str(kf)}
    assert resolve_config({"a": encrypt_ref("s3cret-value", env)}, env) == {"a": "s3cret-value"}


def test_secret_paths_and_mask():
    schema = {"properties": {"a": {"type": "string", "writeOnly": True}, "b": {"format": "password"},
                             "c": {"properties": {"d": {"secret": True}}}, "e": {"type": "string"}}}
    assert sorted(secret_paths(schema)) == [("a",), ("b",), ("c", "d")]
    masked = mask_config({"a": env_ref("X"), "c": {"d": {"$secret": "fernet", "token": "zz"}}, "e": "v"}, secret_paths(schema))
    assert masked == {"a": "<secret: from env $X>", "c": {"d": "<secret: encrypted>"}, "e": "v"}


def test_redactor_handles_escapes_and_pem_lines():
    pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n"
    r = Redactor(["tok-123456", pem, "ab"])
    assert r.text("x tok-123456 y") == "x [redacted] y"
    import json

    assert "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" not in r.text(json.dumps({"k": pem}))
    assert "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" not in r.text("line: MIIEvQIBADANBgkqhkiG9w0BAQEFAASC")
    assert r.text("ab stays") == "ab stays"  # too short to redact safely
    assert r.obj({"a": ["tok-123456"]}) == {"a": ["[redacted]"]}


def test_redactor_finds_a_secret_in_the_store_s_json_as_in_the_standard_library_s():
    """The store writes staged objects with orjson, which keeps non-ASCII characters as they are; a secret with
    one and a character JSON escapes (a quote) is still found in that text, as in json.dumps' own."""
    import json

    from connector_host import store_codec

    secret = 'pässwörd"with-quote'
    r = Redactor([secret])
    for text in (store_codec.json_text({"k": secret}), json.dumps({"k": secret})):
        assert "pässwörd" not in r.text(text) and "p\\u00e4ssw" not in r.text(text), text
