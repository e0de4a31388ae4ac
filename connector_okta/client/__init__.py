"""The Okta Management API client: URL safety, auth (SSWS, OAuth private_key_jwt, DPoP), pagination,
rate limits, retries and typed errors. See ``docs/internals.md`` for the surface the rest of the connector uses."""

from .errors import (
    ConfigError,
    CredentialsError,
    FeatureNotAvailable,
    NetworkError,
    NotFound,
    OktaError,
    PermissionDenied,
    RateLimited,
    ResponseError,
    TransientError,
    UnsafeLinkError,
    UnsafeURLError,
)
from .session import OktaClient, OktaResponse

__all__ = [
    "ConfigError",
    "CredentialsError",
    "FeatureNotAvailable",
    "NetworkError",
    "NotFound",
    "OktaClient",
    "OktaError",
    "OktaResponse",
    "PermissionDenied",
    "RateLimited",
    "ResponseError",
    "TransientError",
    "UnsafeLinkError",
    "UnsafeURLError",
]
