"""Loading the OAuth service app's private key (PEM or JWK JSON; RSA or EC) and choosing its algorithm."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from .errors import ConfigError

_EC_ALGS = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}


@dataclass(frozen=True)
class SigningKey:
    key: Any = field(repr=False)  # a cryptography private key object
    alg: str
    kid: str | None

    def __repr__(self) -> str:
        return f"SigningKey(alg={self.alg!r}, kid={self.kid!r}, key=<private>)"


def load_private_key(text: str, key_id: str | None = None) -> SigningKey:
    """Parse ``text`` (a PEM private key or a private JWK as JSON); raise :class:`ConfigError` if it is not one.

    The message never quotes the key.
    """
    if not isinstance(text, str) or not text.strip():
        raise ConfigError("auth.private_key is empty: paste the service app's private key (PEM or JWK JSON).")
    text = text.strip()
    jwk_alg = None
    jwk_kid = None
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            raise ConfigError("auth.private_key looks like JSON but does not parse; paste the whole private JWK.") from None
        if isinstance(data, dict) and isinstance(data.get("keys"), list) and len(data["keys"]) == 1:
            data = data["keys"][0]
        if not isinstance(data, dict) or "d" not in data:
            raise ConfigError(
                "auth.private_key is a JWK without the private part ('d'); paste the private key, not the public one."
            )
        try:
            key = jwt.PyJWK(data).key
        except Exception:  # noqa: BLE001 - PyJWT raises several types; never echo the key
            raise ConfigError("auth.private_key is not a usable RSA or EC private JWK.") from None
        jwk_alg = data.get("alg") if isinstance(data.get("alg"), str) else None
        jwk_kid = data.get("kid") if isinstance(data.get("kid"), str) else None
    else:
        try:
            key = serialization.load_pem_private_key(text.encode(), password=None)
        except TypeError:
            raise ConfigError("auth.private_key is encrypted; paste an unencrypted PEM private key.") from None
        except Exception:  # noqa: BLE001
            raise ConfigError(
                "auth.private_key is not a PEM private key or a JWK: paste the key that begins with "
                "'-----BEGIN PRIVATE KEY-----' or the private JWK JSON."
            ) from None
    if isinstance(key, rsa.RSAPrivateKey):
        alg = jwk_alg if jwk_alg in ("RS256", "RS384", "RS512") else "RS256"
        if key.key_size < 2048:
            raise ConfigError("auth.private_key: Okta requires RSA keys of at least 2048 bits.")
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        alg = _EC_ALGS.get(key.curve.name)
        if alg is None:
            raise ConfigError(f"auth.private_key: EC curve {key.curve.name} is not supported (use P-256, P-384 or P-521).")
    else:
        raise ConfigError("auth.private_key must be an RSA or EC private key.")
    return SigningKey(key=key, alg=alg, kid=key_id or jwk_kid)
