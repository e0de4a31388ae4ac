"""A local Okta-compatible Management API server: generated orgs, rate limits, fault injection."""

from .faults import Fault, Faults
from .model import ApiTokenGrant, OAuthClient, Org
from .ratelimit import RateLimits
from .server import Sandbox

__all__ = ["ApiTokenGrant", "Fault", "Faults", "OAuthClient", "Org", "RateLimits", "Sandbox"]
