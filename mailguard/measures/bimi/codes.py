"""BIMI's finding codes: English and Dutch, and the document each rests on."""

from __future__ import annotations

from ...core.messages import Message

DRAFT = "draft-brand-indicators-for-message-identification"
SVG_PS = "draft-svg-tiny-ps-abrotman"
MVC = "BIMI Group, Mark Certificate requirements; RFC 3709"

MESSAGES = {
    # the record
    "BIMI-NONE": Message("no BIMI record at {name} (BIMI is optional: no brand logo is shown)",
                         "geen BIMI-record op {name} (BIMI is optioneel: er wordt geen merklogo getoond)", DRAFT),
    "BIMI-LOOKUP-FAILED": Message("the BIMI record at {name} could not be looked up ({status}): not tested",
                                  "het BIMI-record op {name} kon niet worden opgevraagd ({status}): niet getest",
                                  DRAFT),
    "BIMI-RECORD": Message("BIMI record at {name}: {record}", "BIMI-record op {name}: {record}", DRAFT),
    "BIMI-MULTIPLE": Message("{count} BIMI records at {name}: receivers ignore them all",
                             "{count} BIMI-records op {name}: ontvangers negeren ze allemaal", DRAFT),
    "BIMI-RECORD-INVALID": Message("the BIMI record at {name} is invalid, receivers ignore it: {error}",
                                   "het BIMI-record op {name} is ongeldig, ontvangers negeren het: {error}", DRAFT),
    "BIMI-DECLINED": Message("the BIMI record at {name} declines to publish a logo (empty l= and a=)",
                             "het BIMI-record op {name} ziet af van een logo (lege l= en a=)", DRAFT),
    "BIMI-NOT-HTTPS": Message("{tag}= is not an HTTPS URI ({value}): BIMI fetches over HTTPS only",
                              "{tag}= is geen HTTPS-URI ({value}): BIMI haalt alleen via HTTPS op", DRAFT),
    "BIMI-NOT-A-URI": Message("{tag}= is not an absolute URI ({value})",
                              "{tag}= is geen absolute URI ({value})", DRAFT),
    "BIMI-TOO-MANY-LOGOS": Message("l= names more than one logo ({value}); only the first is used",
                                   "l= noemt meer dan één logo ({value}); alleen het eerste telt", DRAFT),
    "BIMI-BAD-AVP": Message("avp= has an unknown value ({value}); brand or personal",
                            "avp= heeft een onbekende waarde ({value}); brand of personal", DRAFT),
    "BIMI-UNKNOWN-TAGS": Message("unknown tags, ignored by receivers: {tags}",
                                 "onbekende tags, genegeerd door ontvangers: {tags}", DRAFT),
    # the logo
    "BIMI-LOGO-OK": Message("the logo ({url}) is SVG Tiny PS, square, titled {title!r}, {size} bytes",
                            "het logo ({url}) is SVG Tiny PS, vierkant, met titel {title!r}, {size} bytes", SVG_PS),
    "BIMI-LOGO-UNREACHABLE": Message("the logo could not be fetched from {url} ({error}): not tested",
                                     "het logo kon niet worden opgehaald van {url} ({error}): niet getest", DRAFT),
    "BIMI-LOGO-CERT": Message("the logo's host {url} has no valid certificate ({error}): receivers will not "
                              "fetch it",
                              "de host van het logo {url} heeft geen geldig certificaat ({error}): ontvangers "
                              "halen het niet op", DRAFT),
    "BIMI-LOGO-HTTP": Message("fetching the logo {url} gave HTTP {http_code}, not the logo",
                              "het ophalen van het logo {url} gaf HTTP {http_code}, niet het logo", DRAFT),
    "BIMI-LOGO-TOO-BIG": Message("the logo {url} is larger than {cap} bytes: not read further, not checked",
                                 "het logo {url} is groter dan {cap} bytes: niet verder gelezen, niet gecontroleerd",
                                 SVG_PS),
    "BIMI-LOGO-LARGE": Message("the logo is {size} bytes, more than the 32 KiB BIMI recommends",
                               "het logo is {size} bytes, meer dan de 32 KiB die BIMI aanraadt", SVG_PS),
    "BIMI-LOGO-NOT-SVG": Message("the logo {url} is not well-formed or is refused XML: {error}",
                                 "het logo {url} is geen correcte of een geweigerde XML: {error}", SVG_PS),
    "BIMI-SVG-NOT-SVG": Message("the logo is not an SVG document: {detail}", "het logo is geen SVG-document: {detail}",
                                SVG_PS),
    "BIMI-SVG-NOT-TINY-PS": Message("the logo is not SVG Tiny PS: {detail} (baseProfile=\"tiny-ps\" is required)",
                                    "het logo is geen SVG Tiny PS: {detail} (baseProfile=\"tiny-ps\" is verplicht)",
                                    SVG_PS),
    "BIMI-SVG-VERSION": Message("the logo is not SVG 1.2: {detail}", "het logo is geen SVG 1.2: {detail}", SVG_PS),
    "BIMI-SVG-ROOT-XY": Message("the logo's root element has x/y attributes ({detail}), which SVG Tiny PS forbids",
                                "het hoofdelement van het logo heeft x/y-attributen ({detail}), verboden in "
                                "SVG Tiny PS", SVG_PS),
    "BIMI-SVG-NO-TITLE": Message("the logo has no title ({detail}); SVG Tiny PS requires the brand's name in <title>",
                                 "het logo heeft geen titel ({detail}); SVG Tiny PS vereist de merknaam in <title>",
                                 SVG_PS),
    "BIMI-SVG-FORBIDDEN": Message("the logo contains elements SVG Tiny PS forbids: {detail}",
                                  "het logo bevat elementen die SVG Tiny PS verbiedt: {detail}", SVG_PS),
    "BIMI-SVG-HANDLERS": Message("the logo contains event handlers (scripts): {detail}",
                                 "het logo bevat event-handlers (scripts): {detail}", SVG_PS),
    "BIMI-SVG-EXTERNAL": Message("the logo refers to resources outside itself: {detail}",
                                 "het logo verwijst naar bronnen buiten zichzelf: {detail}", SVG_PS),
    "BIMI-SVG-NO-VIEWBOX": Message("the logo has no usable viewBox ({detail}): its shape is unknown",
                                   "het logo heeft geen bruikbare viewBox ({detail}): de vorm is onbekend", SVG_PS),
    "BIMI-SVG-NOT-SQUARE": Message("the logo is not square ({detail}); BIMI shows logos in a square or circle",
                                   "het logo is niet vierkant ({detail}); BIMI toont logo's in een vierkant of cirkel",
                                   SVG_PS),
    # the mark certificate
    "BIMI-NO-VMC": Message("no mark certificate (a=): Gmail and Apple Mail show a logo only with a VMC or CMC",
                           "geen merkcertificaat (a=): Gmail en Apple Mail tonen een logo alleen met een VMC of CMC",
                           MVC),
    "BIMI-VMC-UNREACHABLE": Message("the mark certificate could not be fetched from {url} ({error}): not tested",
                                    "het merkcertificaat kon niet worden opgehaald van {url} ({error}): niet getest",
                                    MVC),
    "BIMI-VMC-HTTP": Message("fetching the mark certificate {url} gave HTTP {http_code}",
                             "het ophalen van het merkcertificaat {url} gaf HTTP {http_code}", MVC),
    "BIMI-VMC-TOO-BIG": Message("the mark certificate {url} is larger than {cap} bytes: not read further, not "
                                "checked",
                                "het merkcertificaat {url} is groter dan {cap} bytes: niet verder gelezen, niet "
                                "gecontroleerd", MVC),
    "BIMI-VMC-CERT": Message("the mark certificate's host {url} has no valid certificate ({error})",
                             "de host van het merkcertificaat {url} heeft geen geldig certificaat ({error})", MVC),
    "BIMI-VMC-UNREADABLE": Message("the mark certificate at {url} cannot be read: {error}",
                                   "het merkcertificaat op {url} is onleesbaar: {error}", MVC),
    "BIMI-VMC-NOT-MARK": Message("the certificate at {url} is not a mark certificate: its extended key usage lacks "
                                 "BIMI (1.3.6.1.5.5.7.3.31)",
                                 "het certificaat op {url} is geen merkcertificaat: het extended key usage mist "
                                 "BIMI (1.3.6.1.5.5.7.3.31)", MVC),
    "BIMI-VMC-NO-LOGO": Message("the mark certificate carries no logo ({error})",
                                "het merkcertificaat bevat geen logo ({error})", MVC),
    "BIMI-VMC-LOGO-MATCH": Message("the logo in the mark certificate is the published logo",
                                   "het logo in het merkcertificaat is het gepubliceerde logo", MVC),
    "BIMI-VMC-LOGO-MISMATCH": Message("the logo in the mark certificate differs from the published logo "
                                      "(SHA-256 {cert_digest} versus {logo_digest})",
                                      "het logo in het merkcertificaat verschilt van het gepubliceerde logo "
                                      "(SHA-256 {cert_digest} tegenover {logo_digest})", MVC),
    "BIMI-VMC-NAME": Message("the mark certificate is for {names}", "het merkcertificaat is voor {names}", MVC),
    "BIMI-VMC-NAME-MISMATCH": Message("the mark certificate is for {names}, not for {domain}",
                                      "het merkcertificaat is voor {names}, niet voor {domain}", MVC),
    "BIMI-VMC-VALID": Message("the mark certificate is valid until {not_after} ({days} days)",
                              "het merkcertificaat is geldig tot {not_after} ({days} dagen)", MVC),
    "BIMI-VMC-EXPIRED": Message("the mark certificate expired on {not_after}",
                                "het merkcertificaat is verlopen op {not_after}", MVC),
    "BIMI-VMC-NOT-YET-VALID": Message("the mark certificate is not valid before {not_before}",
                                      "het merkcertificaat is niet geldig vóór {not_before}", MVC),
    "BIMI-VMC-CHAIN-TRUSTED": Message("the mark certificate chains to a CA in {bundle}: {path}",
                                      "het merkcertificaat leidt naar een CA in {bundle}: {path}", MVC),
    "BIMI-VMC-CHAIN-UNTRUSTED": Message("the mark certificate does not chain to a CA in {bundle}: {reason}",
                                        "het merkcertificaat leidt niet naar een CA in {bundle}: {reason}", MVC),
    "BIMI-VMC-CHAIN-NOT-CHECKED": Message("the mark certificate's chain was not checked: give --bimi-ca FILE "
                                          "with the mark certificate issuers' roots",
                                          "de keten van het merkcertificaat is niet gecontroleerd: geef --bimi-ca "
                                          "BESTAND met de roots van de uitgevers van merkcertificaten", MVC),
    # DMARC, the prerequisite
    "BIMI-DMARC-ENFORCING": Message("DMARC enforces (policy {policy}, pct {pct}), as BIMI requires",
                                    "DMARC dwingt af (beleid {policy}, pct {pct}), zoals BIMI vereist", DRAFT),
    "BIMI-DMARC-MISSING": Message("no DMARC policy applies: receivers show no BIMI logo without one",
                                  "er geldt geen DMARC-beleid: ontvangers tonen zonder beleid geen BIMI-logo", DRAFT),
    "BIMI-DMARC-NOT-ENFORCING": Message("DMARC policy {policy} does not enforce: BIMI needs quarantine or reject",
                                       "DMARC-beleid {policy} dwingt niet af: BIMI vereist quarantine of reject",
                                       DRAFT),
    "BIMI-DMARC-PCT": Message("DMARC applies to {pct}% of failing mail only: BIMI needs pct=100",
                              "DMARC geldt maar voor {pct}% van de falende mail: BIMI vereist pct=100", DRAFT),
    "BIMI-DMARC-SP-NONE": Message("the DMARC subdomain policy is none (sp=none): BIMI needs enforcement there too",
                                  "het DMARC-beleid voor subdomeinen is none (sp=none): BIMI vereist ook daar "
                                  "afdwinging", DRAFT),
    "BIMI-DMARC-UNTESTED": Message("the DMARC policy could not be looked up: the BIMI prerequisite is not tested",
                                   "het DMARC-beleid kon niet worden opgevraagd: de BIMI-voorwaarde is niet getest",
                                   DRAFT),
}

RECOMMENDATIONS = {
    "BIMI-DMARC-": Message(
        "BIMI shows your logo only when DMARC enforces: ask your mail administrator for p=quarantine or "
        "p=reject (with pct=100, and no sp=none) before relying on BIMI.",
        "BIMI toont uw logo alleen als DMARC afdwingt: vraag uw mailbeheerder om p=quarantine of "
        "p=reject (met pct=100, en geen sp=none) voordat u op BIMI rekent."),
    "BIMI-SVG-": Message(
        "Have the logo converted to SVG Tiny Portable/Secure: square, with a title, without scripts, "
        "links, images or references to other files.",
        "Laat het logo omzetten naar SVG Tiny Portable/Secure: vierkant, met een titel, zonder scripts, "
        "links, afbeeldingen of verwijzingen naar andere bestanden."),
    "BIMI-VMC-": Message(
        "Ask the issuer of the mark certificate (VMC/CMC) for a valid certificate for this domain that "
        "carries the published logo.",
        "Vraag de uitgever van het merkcertificaat (VMC/CMC) om een geldig certificaat voor dit domein "
        "met het gepubliceerde logo."),
}
