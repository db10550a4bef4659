"""The reasoning of verdicts on promises, in English and Dutch: one message table.

Every code is rendered with ``str.format`` from a verdict's params; ``{claim}`` and ``{claim_nl}``
are the statement's quoted words (or the baseline's description in either language), so that the
reasoning always says which sentence a finding proves or disproves.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..core import messages
from ..core.messages import Message
from ..core.model import Fulfilment

# What a kind that cannot be verified from outside is, in both languages.
UNVERIFIABLE: Mapping[str, tuple[str, str]] = {
    "2fa": ("Two-factor authentication", "Tweestapsverificatie"),
    "firewall": ("A firewall", "Een firewall"),
    "antivirus": ("Virus scanning", "Virusscanning"),
    "backup": ("Backups", "Back-ups"),
    "encryption-at-rest": ("Encryption of stored data", "Versleuteling van opgeslagen gegevens"),
    "audit": ("Regular checks of the measures", "Regelmatige controle van de maatregelen"),
    "access-control": ("Access control", "Toegangsbeheer"),
    "pseudonymisation": ("Pseudonymisation", "Pseudonimisering"),
    "training": ("Staff training and confidentiality", "Training en geheimhouding van medewerkers"),
    "monitoring": ("Logging and monitoring", "Logging en monitoring"),
    "security-measures": ("Organisational and technical measures", "Organisatorische en technische maatregelen"),
}

# The verdicts' names in both languages, for renderers.
FULFILMENT_TEXT: Mapping[Fulfilment, tuple[str, str]] = {
    Fulfilment.UPHELD: ("upheld", "nagekomen"),
    Fulfilment.PARTLY: ("partly upheld", "gedeeltelijk nagekomen"),
    Fulfilment.NOT_UPHELD: ("not upheld", "niet nagekomen"),
    Fulfilment.NOT_VERIFIABLE: ("not verifiable", "niet te controleren"),
    Fulfilment.NOT_TESTED: ("not tested", "niet getest"),
}

M = Message
MESSAGES: Mapping[str, Message] = {
    "PROMISE-NOT-VERIFIABLE": M(
        "{what_en} cannot be seen from outside: ask for evidence (a policy, a settings screen, an audit report)",
        "{what_nl}: van buitenaf niet te zien; vraag om bewijs (een beleid, een schermafdruk van de "
        "instellingen, een auditrapport)"),
    "PROMISE-PROCESSORS-SCOPE": M(
        "{claim} is about the processors' systems, which this scan does not cover",
        "{claim_nl} gaat over de systemen van de verwerkers, die deze scan niet controleert"),
    "PROMISE-MEASURE-MISSING": M(
        "measure not available: this mailguard has no {measures} measure, so {claim} was not tested",
        "maatregel niet beschikbaar: deze mailguard heeft geen {measures}-meting, dus {claim_nl} is niet getest"),
    "PROMISE-NOT-OBSERVED": M(
        "{measure} could not be observed ({why}), so {claim} is not verifiable in this report",
        "{measure} kon niet worden waargenomen ({why}), dus {claim_nl} is in dit rapport niet te controleren"),
    "PROMISE-NO-EVIDENCE": M(
        "no check that could prove {claim} was made ({why}), so it is not verifiable; it is not upheld "
        "either: nothing failed",
        "er is geen controle gedaan die {claim_nl} kon aantonen ({why_nl}), dus het is niet te controleren; "
        "het is ook niet geschonden: niets faalde"),
    "PROMISE-UNSCANNABLE": M(
        "the domain could not be scanned ({error}), so {claim} is not verifiable in this report",
        "het domein kon niet worden gescand ({error}), dus {claim_nl} is in dit rapport niet te controleren"),
    "PROMISE-DKIM-NO-MAIL": M(
        "the domain sends no mail (null MX, RFC 7505): DKIM signing does not apply, so {claim} is not "
        "verifiable (SPF -all and DMARC reject still protect its name)",
        "het domein verstuurt geen mail (null-MX, RFC 7505): DKIM-ondertekening is niet van toepassing, "
        "dus {claim_nl} is niet te controleren (SPF -all en DMARC reject beschermen de naam wel)"),
    "PROMISE-FINDINGS-PASS": M(
        "{measure}: all {count} check(s) passed, so {claim} is upheld",
        "{measure}: alle {count} controle(s) geslaagd, dus {claim_nl} wordt nagekomen"),
    "PROMISE-FINDINGS-WARN": M(
        "{measure}: {problems_en}; so {claim} is only partly upheld",
        "{measure}: {problems_nl}; {claim_nl} wordt dus maar gedeeltelijk nagekomen"),
    "PROMISE-FINDINGS-FAIL": M(
        "{measure}: {problems_en}; so {claim} is not upheld",
        "{measure}: {problems_nl}; {claim_nl} wordt dus niet nagekomen"),
    "PROMISE-FINDINGS-UNTESTED": M(
        "{measure}: {problems_en}; until that can be observed, {claim} is not tested",
        "{measure}: {problems_nl}; zolang dat niet is waar te nemen, is {claim_nl} niet getest"),
    # DMARC (RFC 7489 §6.3, p= and sp=; §6.6.4 pct=)
    "PROMISE-DMARC-MISSING": M(
        "no DMARC record is published: nothing tells receivers to refuse mail forged in your name, "
        "so {claim} is not upheld",
        "er is geen DMARC-record gepubliceerd: niets vraagt ontvangers om mail die in uw naam is vervalst "
        "te weigeren, dus {claim_nl} wordt niet nagekomen"),
    "PROMISE-DMARC-INVALID": M(
        "the DMARC record is not valid, so receivers ignore it: {claim} is not upheld",
        "het DMARC-record is ongeldig, dus ontvangers negeren het: {claim_nl} wordt niet nagekomen"),
    "PROMISE-DMARC-NONE": M(
        "DMARC is published with p=none: it does not stop others from sending mail in your name, "
        "so {claim} is not upheld",
        "DMARC staat op p=none: dat houdt niemand tegen die mail in uw naam verstuurt, dus {claim_nl} "
        "wordt niet nagekomen"),
    "PROMISE-DMARC-MONITOR": M(
        "DMARC is published, but with p=none it only reports: mail forged in your name is still "
        "delivered; {claim} is partly upheld (p={required} or stricter is needed)",
        "DMARC is gepubliceerd, maar met p=none alleen ter rapportage: vervalste mail in uw naam komt "
        "nog steeds aan; {claim_nl} wordt gedeeltelijk nagekomen (p={required} of strenger is nodig)"),
    "PROMISE-DMARC-WEAKER": M(
        "DMARC is published with p={policy}, weaker than the p={required} that {claim} calls for: "
        "forged mail goes to the spam folder instead of being refused; partly upheld",
        "DMARC staat op p={policy}, zwakker dan de p={required} die {claim_nl} vraagt: vervalste mail "
        "belandt in de spammap in plaats van te worden geweigerd; gedeeltelijk nagekomen"),
    "PROMISE-DMARC-SUBDOMAINS": M(
        "DMARC is published with p={policy}, but sp={subdomain_policy} lets mail forged in the name of "
        "subdomains through; {claim} is partly upheld",
        "DMARC staat op p={policy}, maar sp={subdomain_policy} laat mail die in naam van subdomeinen is "
        "vervalst door; {claim_nl} wordt gedeeltelijk nagekomen"),
    "PROMISE-DMARC-PCT": M(
        "DMARC p={policy} applies to only {pct}% of the failing mail (pct={pct}); {claim} is partly upheld",
        "DMARC p={policy} geldt voor maar {pct}% van de afgekeurde mail (pct={pct}); {claim_nl} wordt "
        "gedeeltelijk nagekomen"),
    "PROMISE-DMARC-TESTING": M(
        "DMARC p={policy} is in test mode (t=y): receivers apply {applied} instead; {claim} is partly upheld",
        "DMARC p={policy} staat in testmodus (t=y): ontvangers passen {applied} toe; {claim_nl} wordt "
        "gedeeltelijk nagekomen"),
    "PROMISE-DMARC-UPHELD": M(
        "DMARC is published with p={policy}: receivers {action} mail that fails SPF and DKIM in your "
        "name, so {claim} is upheld",
        "DMARC staat op p={policy}: ontvangers {action_nl} mail in uw naam die niet door SPF en DKIM "
        "komt, dus {claim_nl} wordt nagekomen"),
    # SPF (RFC 7208 §5.1 all, §4.6.4 lookup limit, §2.6.7 permerror)
    "PROMISE-SPF-MISSING": M(
        "no SPF record is published, so {claim} is not upheld",
        "er is geen SPF-record gepubliceerd, dus {claim_nl} wordt niet nagekomen"),
    "PROMISE-SPF-INVALID": M(
        "the SPF record cannot be evaluated ({why}): receivers treat it as a permanent error, so {claim} "
        "is not upheld",
        "het SPF-record is niet te evalueren ({why}): ontvangers zien dat als permanente fout, dus {claim_nl} "
        "wordt niet nagekomen"),
    "PROMISE-SPF-OPEN": M(
        "the SPF record ends in {all}: it allows any server to send mail in your name, so {claim} is not "
        "upheld",
        "het SPF-record eindigt op {all}: daarmee mag elke server mail in uw naam versturen, dus {claim_nl} "
        "wordt niet nagekomen"),
    "PROMISE-SPF-NO-ALL": M(
        "the SPF record has no 'all' term, so mail from any other server gets 'neutral': nothing is "
        "refused, and {claim} is not upheld",
        "het SPF-record heeft geen 'all'-term, dus mail van elke andere server krijgt 'neutral': niets "
        "wordt geweigerd, en {claim_nl} wordt niet nagekomen"),
    "PROMISE-SPF-INCLUDE-OPEN": M(
        "the SPF record includes {include}, which ends in +all: any server passes SPF in your name, so "
        "{claim} is not upheld",
        "het SPF-record neemt {include} op, dat eindigt op +all: elke server komt in uw naam door SPF, dus "
        "{claim_nl} wordt niet nagekomen"),
    "PROMISE-SPF-SOFT": M(
        "the SPF record ends in {all}, milder than the {required} that {claim} calls for; partly upheld",
        "het SPF-record eindigt op {all}, milder dan de {required} die {claim_nl} vraagt; gedeeltelijk nagekomen"),
    "PROMISE-SPF-SENDER-MISSING": M(
        "{processor} sends {sends} for you, but {include} is not in your SPF record: that mail fails SPF; "
        "{claim} is partly upheld",
        "{processor} verstuurt {sends_nl} voor u, maar {include} staat niet in uw SPF-record: die mail "
        "zakt voor SPF; {claim_nl} wordt gedeeltelijk nagekomen"),
    "PROMISE-SPF-NO-DMARC": M(
        "SPF is published ({all}), but without a DMARC policy of quarantine or reject receivers need not "
        "refuse mail that fails it, so {claim} is only partly upheld",
        "SPF is gepubliceerd ({all}), maar zonder DMARC-beleid quarantine of reject hoeven ontvangers "
        "mail die erdoor zakt niet te weigeren, dus {claim_nl} wordt maar gedeeltelijk nagekomen"),
    "PROMISE-SPF-UPHELD": M(
        "SPF is published and ends in {all}, so {claim} is upheld",
        "SPF is gepubliceerd en eindigt op {all}, dus {claim_nl} wordt nagekomen"),
    # DKIM (RFC 6376 §3.6; RFC 8301 §3.2 key sizes)
    "PROMISE-DKIM-NO-DOMAINKEY": M(
        "_domainkey.{domain} does not exist, so no DKIM key is published under any selector: {claim} is "
        "not upheld",
        "_domainkey.{domain} bestaat niet, er staat dus onder geen enkele selector een DKIM-sleutel: "
        "{claim_nl} wordt niet nagekomen"),
    "PROMISE-DKIM-UNKNOWN-SELECTOR": M(
        "_domainkey.{domain} exists but none of the selectors tried has a key; selectors cannot be "
        "listed from DNS, so {claim} is not verifiable: name yours in the profile (dkim_selectors) or "
        "pass a message the domain sent with --eml",
        "_domainkey.{domain} bestaat, maar onder geen van de geprobeerde selectors staat een sleutel; "
        "selectors zijn niet uit de DNS op te vragen, dus {claim_nl} is niet te controleren: zet uw "
        "selector in het profiel (dkim_selectors) of geef een door het domein verstuurd bericht mee met --eml"),
    "PROMISE-DKIM-NONE-USABLE": M(
        "DKIM key records are published ({selectors}), but none holds a key receivers can use, so {claim} "
        "is not upheld",
        "er zijn DKIM-sleutelrecords ({selectors}), maar geen met een sleutel die ontvangers kunnen "
        "gebruiken, dus {claim_nl} wordt niet nagekomen"),
    "PROMISE-DKIM-WEAK": M(
        "the DKIM key(s) ({selectors}) have {bits} bits, fewer than the {required} that {claim} calls for; "
        "partly upheld",
        "de DKIM-sleutel(s) ({selectors}) hebben {bits} bits, minder dan de {required} die {claim_nl} vraagt; "
        "gedeeltelijk nagekomen"),
    "PROMISE-DKIM-TESTING": M(
        "the DKIM key(s) ({selectors}) are in test mode (t=y): receivers may ignore failures; {claim} is "
        "partly upheld",
        "de DKIM-sleutel(s) ({selectors}) staan in testmodus (t=y): ontvangers mogen fouten negeren; "
        "{claim_nl} wordt gedeeltelijk nagekomen"),
    "PROMISE-DKIM-PROCESSOR-MISSING": M(
        "{processor} sends {sends} for you, but no DKIM key is published under its selector(s) "
        "{selectors}: that mail is not signed for your domain; {claim} is partly upheld",
        "{processor} verstuurt {sends_nl} voor u, maar onder zijn selector(s) {selectors} staat geen "
        "DKIM-sleutel: die mail is niet voor uw domein ondertekend; {claim_nl} wordt gedeeltelijk nagekomen"),
    "PROMISE-DKIM-UPHELD": M(
        "DKIM keys are published ({selectors}), so {claim} is upheld",
        "er zijn DKIM-sleutels gepubliceerd ({selectors}), dus {claim_nl} wordt nagekomen"),
    "PROMISE-DMARC-BAD-POLICY": M(
        "the DMARC record says p={written}, which is no policy: receivers fall back to p=none, which "
        "stops nobody, so {claim} is not upheld",
        "het DMARC-record zegt p={written}, wat geen beleid is: ontvangers vallen terug op p=none, dat "
        "niemand tegenhoudt, dus {claim_nl} wordt niet nagekomen"),
    # the website (RFC 9110 §4.2.2 https, RFC 6797 HSTS, RFC 5280 certificates)
    "PROMISE-HTTPS-BROKEN": M(
        "{problems_en}: visitors' connections are not reliably protected, so {claim} is not upheld",
        "{problems_nl}: verbindingen van bezoekers zijn niet betrouwbaar beschermd, dus {claim_nl} wordt "
        "niet nagekomen"),
    "PROMISE-HTTPS-WEAK": M(
        "the website works over https with a valid certificate, but {problems_en}; {claim} is partly upheld",
        "de website werkt over https met een geldig certificaat, maar {problems_nl}; {claim_nl} wordt "
        "gedeeltelijk nagekomen"),
    "PROMISE-HTTPS-UPHELD": M(
        "the website answers over https with a valid certificate ({measure}: {count} check(s) passed), "
        "so {claim} is upheld",
        "de website antwoordt over https met een geldig certificaat ({measure}: {count} controle(s) "
        "geslaagd), dus {claim_nl} wordt nagekomen"),
    # DNSSEC (RFC 4033 §5, RFC 4035 §5)
    "PROMISE-DNSSEC-SECURE": M(
        "the domain is signed with DNSSEC and its answers validate, so {claim} is upheld",
        "het domein is ondertekend met DNSSEC en de antwoorden valideren, dus {claim_nl} wordt nagekomen"),
    "PROMISE-DNSSEC-UNSIGNED": M(
        "the domain is not signed with DNSSEC (its parent zone proves there is no DS record), so {claim} "
        "is not upheld",
        "het domein is niet ondertekend met DNSSEC (de bovenliggende zone bewijst dat er geen DS-record "
        "is), dus {claim_nl} wordt niet nagekomen"),
    "PROMISE-DNSSEC-BOGUS": M(
        "the domain's DNSSEC signatures do not validate: validating resolvers answer SERVFAIL, so {claim} "
        "is not upheld",
        "de DNSSEC-handtekeningen van het domein valideren niet: validerende resolvers antwoorden "
        "SERVFAIL, dus {claim_nl} wordt niet nagekomen"),
    "PROMISE-DNSSEC-HOSTS": M(
        "the domain is signed, but its mail server(s) {hosts} are not validly signed; {claim} is partly "
        "upheld",
        "het domein is ondertekend, maar mailserver(s) {hosts} niet geldig; {claim_nl} wordt gedeeltelijk "
        "nagekomen"),
    # STARTTLS (RFC 3207)
    "PROMISE-MAILTLS-NO-MAIL": M(
        "the domain receives no mail (no MX or null MX): there is no transfer of mail to protect, so "
        "{claim} does not apply and is not verifiable",
        "het domein ontvangt geen mail (geen MX of null-MX): er is geen mailoverdracht te beveiligen, dus "
        "{claim_nl} is niet van toepassing en niet te controleren"),
    "PROMISE-MAILTLS-MISSING": M(
        "{hosts} do(es) not offer working STARTTLS: mail to it travels unencrypted, so {claim} is not upheld",
        "{hosts} biedt geen werkende STARTTLS: mail ernaartoe gaat onversleuteld, dus {claim_nl} wordt niet "
        "nagekomen"),
    "PROMISE-MAILTLS-OLD": M(
        "STARTTLS works, but {hosts} negotiate(s) {version}, older than the TLS {required} that {claim} "
        "calls for; partly upheld",
        "STARTTLS werkt, maar {hosts} gebruikt {version}, ouder dan de TLS {required} die {claim_nl} vraagt; "
        "gedeeltelijk nagekomen"),
    "PROMISE-MAILTLS-CERT": M(
        "STARTTLS works, but the certificate of {hosts} is not valid for its name: a sender cannot tell "
        "it from an impostor; {claim} is partly upheld",
        "STARTTLS werkt, maar het certificaat van {hosts} is niet geldig voor de naam: een verzender kan "
        "hem niet van een bedrieger onderscheiden; {claim_nl} wordt gedeeltelijk nagekomen"),
    "PROMISE-MAILTLS-WEAK": M(
        "STARTTLS works on every mail server, but {problems_en}; {claim} is partly upheld",
        "STARTTLS werkt op elke mailserver, maar {problems_nl}; {claim_nl} wordt gedeeltelijk nagekomen"),
    "PROMISE-MAILTLS-UPHELD": M(
        "every mail server offers STARTTLS ({version}), so {claim} is upheld",
        "elke mailserver biedt STARTTLS ({version}), dus {claim_nl} wordt nagekomen"),
    # MTA-STS (RFC 8461 §5)
    "PROMISE-MTASTS-MODE": M(
        "the MTA-STS policy is in mode {mode}, not {required}: senders do not refuse insecure delivery; "
        "{claim} is partly upheld",
        "het MTA-STS-beleid staat op {mode}, niet {required}: verzenders weigeren onveilige aflevering "
        "niet; {claim_nl} wordt gedeeltelijk nagekomen"),
    "PROMISE-MTASTS-UPHELD": M(
        "an MTA-STS policy in mode {mode} is published and served, so {claim} is upheld",
        "er is een MTA-STS-beleid op {mode} gepubliceerd en opvraagbaar, dus {claim_nl} wordt nagekomen"),
}
messages.register(MESSAGES)

SENDS_NL = {"the company's own e-mail": "de eigen e-mail van het bedrijf",
             "invoices and payment reminders": "facturen en betalingsherinneringen", "invoices": "facturen",
             "newsletters": "nieuwsbrieven", "transactional mail": "transactionele e-mail",
             "support replies": "antwoorden op supportvragen"}

# The baseline's promises in Dutch, for the reasoning of Dutch reports.
BASELINE_NL: Mapping[str, str] = {
    "spf": "een SPF-record dat eindigt op -all of ~all, met DMARC dat afdwingt",
    "dkim": "gepubliceerde DKIM-sleutels voor de mail van het domein",
    "dmarc": "een DMARC-beleid quarantine of reject",
    "mail-tls": "STARTTLS met TLS 1.2 of nieuwer op elke mailserver",
    "dane": "DANE (TLSA-records) voor de mailservers",
    "dnssec": "een met DNSSEC ondertekend domein",
    "https": "de website over HTTPS met TLS 1.2 of nieuwer, een doorverwijzing vanaf http:// en HSTS",
}

__all__ = ["BASELINE_NL", "FULFILMENT_TEXT", "MESSAGES", "SENDS_NL", "UNVERIFIABLE"]
