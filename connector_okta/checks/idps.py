"""Identity provider checks."""

from __future__ import annotations

from collections.abc import Iterator

from .context import CheckContext, Json
from .registry import check
from .results import dig, org_res, res, result

NO_LINKING_TYPES = ("X509",)


def _external(ctx: CheckContext) -> list[Json]:
    return [i for i in ctx.collection("idps").items if i.get("status") == "ACTIVE"]


@check("okta-idp-auto-link")
def auto_link(ctx: CheckContext) -> Iterator[dict]:
    idps = [i for i in _external(ctx) if i.get("type") not in NO_LINKING_TYPES]
    if not idps:
        yield result("pass", org_res(ctx), "No ACTIVE identity provider links accounts.", {"idps": 0})
        return
    for i in idps:
        action, flt = dig(i, "policy.accountLink.action"), dig(i, "policy.accountLink.filter")
        ev = {"accountLink.action": action, "accountLink.filter": flt, "type": i.get("type")}
        if action == "AUTO" and not flt:
            yield result("fail", res("idp", i), f"IdP {i.get('name')!r} links any matching Okta account "
                         "automatically, with no group or user filter.", ev)
        elif action in ("AUTO", "DISABLED"):
            yield result("pass", res("idp", i), "Account linking is disabled or restricted by a filter.", ev)
        else:
            yield result("unknown", res("idp", i), "The IdP states no account link policy.", ev)


@check("okta-idp-trust-claims")
def trust_claims(ctx: CheckContext) -> Iterator[dict]:
    idps = _external(ctx)
    if not idps:
        yield result("pass", org_res(ctx), "No ACTIVE identity provider.", {"idps": 0})
        return
    for i in idps:
        tc, amr = dig(i, "policy.trustClaims"), dig(i, "policy.mapAMRClaims")
        ev = {"trustClaims": tc, "mapAMRClaims": amr}
        if tc is True or amr is True:
            yield result("warning", res("idp", i), f"Okta trusts the MFA claims of IdP {i.get('name')!r}.", ev)
            continue
        # absent trustClaims: the spec documents its default, false (IdentityProviderPolicy.trustClaims). The spec
        # documents no default for mapAMRClaims (an Identity Engine feature): absent there, it cannot be told
        if tc not in (False, None) or amr not in (False, None) or (amr is None and ctx.org.pipeline != "v1"):
            yield result("unknown", res("idp", i), f"IdP {i.get('name')!r} does not state mapAMRClaims (or states "
                         "an unknown value), and Okta documents no default for it.", ev)
        else:
            yield result("pass", res("idp", i), "The IdP's authentication claims are not trusted"
                         + (" (trustClaims absent: Okta's documented default is false)." if tc is None else "."), ev)


@check("okta-idp-jit-provisioning")
def jit(ctx: CheckContext) -> Iterator[dict]:
    idps = _external(ctx)
    if not idps:
        yield result("pass", org_res(ctx), "No ACTIVE identity provider.", {"idps": 0})
        return
    for i in idps:
        action = dig(i, "policy.provisioning.action")
        ev = {"provisioning.action": action}
        if action == "AUTO":
            yield result("warning", res("idp", i), f"IdP {i.get('name')!r} creates Okta users just in time.", ev)
        elif action == "DISABLED":
            yield result("pass", res("idp", i), "Just-in-time provisioning is disabled.", ev)
        else:
            yield result("unknown", res("idp", i), "The IdP states no provisioning action.", ev)


@check("okta-smart-card-idp-dod-ca")
def smart_card_ca(ctx: CheckContext) -> Iterator[dict]:
    x509 = [i for i in _external(ctx) if i.get("type") == "X509"]
    if not x509:
        yield result("fail", org_res(ctx), "No ACTIVE Smart Card (X509) identity provider exists.", {"x509_idps": 0}, absence=True)
        return
    for i in x509:
        issuer = dig(i, "protocol.credentials.trust.issuer")
        yield result("manual", res("idp", i), f"Confirm the certificate chain of {i.get('name')!r} (issuer {issuer}) "
                     "is issued by DoD-approved CAs: Security > Identity Providers > (IdP) > Edit > Certificate chain.",
                     {"issuer": issuer, "revocation": dig(i, "protocol.credentials.trust.revocation")})
