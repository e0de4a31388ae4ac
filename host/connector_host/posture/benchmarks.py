"""The benchmarks the Standards view renders as tables: which standard name the findings carry, which of their
requirement strings are the benchmark's rules, and (where the host knows it) the benchmark's own list of rules.

DISA publishes a STIG's rules as data (XCCDF): Vuln ID, STIG ID, title, severity category. The host ships the
list of the STIGs it renders, so the table always has every rule of the benchmark, also those no connector check
covers; a connector's check catalog and its findings add the checks behind each rule. (Titles are abridged from
the rule titles; the STIG itself is the reference.) A benchmark without a rule list (Okta HealthInsight) takes its
rules from the catalog and the findings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rule:
    id: str  # the rule's id as findings carry it in compliance.requirements (a Vuln ID, a HealthInsight item)
    alt_id: str | None = None  # a second id (the STIG ID, OKTA-APP-nnnnnn), when the benchmark has one
    title: str | None = None
    severity: str | None = None  # the benchmark's own (CAT I/II/III), when it has one


@dataclass(frozen=True)
class Benchmark:
    key: str  # as the page and the CLI name it
    label: str
    standard: str  # the standard's name in the findings' compliance.standards
    rule_pattern: str  # a requirement string that is one of this benchmark's rules
    alt_pattern: str | None = None  # a requirement string that is a rule's second id (follows the rule's id)
    rules: tuple[Rule, ...] = field(default_factory=tuple)
    id_label: str = "Rule"
    alt_label: str | None = None
    title_prefix: str = ""  # stripped from a rule id to make its title (HealthInsight: ...)
    cat_severity: dict[str, str] = field(default_factory=dict)  # the benchmark's category -> our severity

    def is_rule(self, text: str) -> bool:
        return bool(re.match(self.rule_pattern, text))

    def is_alt(self, text: str) -> bool:
        return bool(self.alt_pattern and re.match(self.alt_pattern, text))

    def title_of(self, rule_id: str) -> str:
        if self.title_prefix and rule_id.startswith(self.title_prefix):
            return rule_id[len(self.title_prefix):].strip()
        return rule_id


_STIG_RULES = (
    Rule("V-273186", "OKTA-APP-000020", "Okta must log out a session after 15 minutes of inactivity", "CAT II"),
    Rule("V-273187", "OKTA-APP-000025", "The Okta Admin Console must log out a session after 15 minutes of"
         " inactivity", "CAT II"),
    Rule("V-273188", "OKTA-APP-000090", "Okta must automatically disable accounts after 35 days of inactivity",
         "CAT II"),
    Rule("V-273189", "OKTA-APP-000170", "Okta must enforce a limit of three consecutive invalid logon attempts in"
         " 15 minutes", "CAT II"),
    Rule("V-273190", "OKTA-APP-000180", "The Okta Dashboard must allow only phishing-resistant authenticators",
         "CAT II"),
    Rule("V-273191", "OKTA-APP-000190", "The Okta Admin Console must allow only phishing-resistant authenticators",
         "CAT II"),
    Rule("V-273192", None, "Okta must display the DoD Notice and Consent Banner before granting access",
         "CAT II"),
    Rule("V-273193", "OKTA-APP-000560", "The Okta Admin Console must require multifactor authentication",
         "CAT I"),
    Rule("V-273194", "OKTA-APP-000570", "The Okta Dashboard must require multifactor authentication", "CAT I"),
    Rule("V-273195", "OKTA-APP-000650", "Okta must enforce a minimum password length of 15 characters", "CAT II"),
    Rule("V-273196", "OKTA-APP-000670", "Okta passwords must contain at least one uppercase character", "CAT II"),
    Rule("V-273197", "OKTA-APP-000680", "Okta passwords must contain at least one lowercase character", "CAT II"),
    Rule("V-273198", "OKTA-APP-000690", "Okta passwords must contain at least one numeric character", "CAT II"),
    Rule("V-273199", "OKTA-APP-000700", "Okta passwords must contain at least one special character", "CAT II"),
    Rule("V-273200", "OKTA-APP-000740", "Okta must enforce a 24-hour minimum password lifetime", "CAT II"),
    Rule("V-273201", "OKTA-APP-000745", "Okta must enforce a 60-day maximum password lifetime", "CAT II"),
    Rule("V-273202", "OKTA-APP-001430", "Okta must off-load audit records onto a central log server", "CAT I"),
    Rule("V-273203", "OKTA-APP-001665", "Okta must end a global session after 18 hours", "CAT II"),
    Rule("V-273204", "OKTA-APP-001670", "Okta must accept Personal Identity Verification (PIV) credentials",
         "CAT II"),
    Rule("V-273205", "OKTA-APP-001700", "Okta Verify must be restricted to FIPS-compliant devices", "CAT II"),
    Rule("V-273206", "OKTA-APP-001710", "Okta must disable persistent global session cookies", "CAT II"),
    Rule("V-273207", "OKTA-APP-001920", "Okta must accept only DoD-approved certificate authorities for smart"
         " cards", "CAT II"),
    Rule("V-273208", "OKTA-APP-002980", "Okta must check new passwords against a list of commonly used or"
         " compromised passwords", "CAT II"),
    Rule("V-273209", "OKTA-APP-003010", "Okta must prohibit password reuse for a minimum of five generations",
         "CAT II"),
    Rule("V-279689", "OKTA-APP-003240", "Okta API tokens must be restricted to network zones", "CAT II"),
    Rule("V-279690", "OKTA-APP-003241", "Okta API tokens must be created under new dedicated accounts, never a"
         " Super Administrator", "CAT II"),
    Rule("V-279691", None, "The global session policy must allow or deny access by IP address (network zones)",
         "CAT II"),
    Rule("V-279692", None, "Network zones must block anonymizing proxies", "CAT II"),
    Rule("V-279693", None, "Every integrated app's authentication policy must define network zones", "CAT II"),
)

BENCHMARKS: dict[str, Benchmark] = {
    b.key: b
    for b in (
        Benchmark(
            "stig", "DISA Okta IDaaS STIG V1R2", "DISA Okta IDaaS STIG V1R2", r"^V-\d+$", r"^[A-Z]+-[A-Z]+-\d+$",
            _STIG_RULES, id_label="Vuln ID", alt_label="STIG ID",
            cat_severity={"CAT I": "high", "CAT II": "medium", "CAT III": "low"},
        ),
        Benchmark("healthinsight", "Okta HealthInsight", "Okta HealthInsight", r"^HealthInsight: ",
                  id_label="Recommendation", title_prefix="HealthInsight: "),
    )
}
DEFAULT_BENCHMARK = "stig"
