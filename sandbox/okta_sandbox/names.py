"""Name pools for generated people, groups and apps (fictional, deterministic)."""

FIRST_NAMES = (
    "Alice Bob Carol Dave Erin Frank Grace Heidi Ivan Judy Karl Laura Mallory Niaj Olivia Peggy Quentin Rupert "
    "Sybil Trent Uma Victor Wendy Xavier Yvonne Zoe Aaron Bianca Caleb Delia Ethan Fatima Gustavo Hana Isaac "
    "Jonas Keiko Liam Maya Noah Omar Priya Rosa Samuel Tara Ulrich Vera Wei Yusuf Zara Amir Beatriz Chen Dmitri "
    "Elena Felix Gita Hugo Ines Jamal Kofi Lena Marco Nadia Oscar Paula Ravi Sofia Tomas Ursula Viktor Yara"
).split()

LAST_NAMES = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson "
    "Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis "
    "Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera "
    "Campbell Mitchell Carter Roberts Kim Patel Schmidt Muller Rossi Silva Santos Kowalski Novak Ivanov Tanaka "
    "Sato Suzuki Okafor Mensah Haddad Cohen Larsen Berg Dubois Moreau Fischer Weber"
).split()

DEPARTMENTS = (
    "Engineering Sales Marketing Finance Legal Support Operations Security Research Design Product HR "
    "Procurement Facilities IT Data Analytics Partnerships Training Compliance"
).split()

LOCATIONS = (
    "Berlin London Paris Madrid Rome Amsterdam Dublin Lisbon Warsaw Prague Vienna Zurich Stockholm Oslo "
    "Helsinki Copenhagen Boston Austin Seattle Denver Chicago Toronto Sydney Tokyo Singapore Bangalore"
).split()

APP_CATALOG = (
    # (label, signOnMode, name); mixed early so that even a 5-app org has every kind
    ("Salesforce", "SAML_2_0", "salesforce"),
    ("Internal Portal", "OPENID_CONNECT", "oidc_client"),
    ("Slack", "SAML_2_0", "slack"),
    ("Expense Tool", "OPENID_CONNECT", "oidc_client"),
    ("HR Handbook", "BOOKMARK", "bookmark"),
    ("Zoom", "SAML_2_0", "zoomus"),
    ("GitHub Enterprise", "SAML_2_0", "githubcloud"),
    ("Legacy Intranet", "AUTO_LOGIN", "legacy_intranet"),
    ("Atlassian Cloud", "SAML_2_0", "atlassian"),
    ("Workday", "SAML_2_0", "workday"),
    ("Box", "SAML_2_0", "boxnet"),
    ("AWS IAM Identity Center", "SAML_2_0", "amazon_aws_sso"),
    ("ServiceNow", "SAML_2_0", "servicenow_app2"),
)
