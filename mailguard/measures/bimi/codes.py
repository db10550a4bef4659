"""BIMI's finding codes: English and Dutch, and the document each rests on."""

from __future__ import annotations

from ...core.messages import Message

DRAFT = "draft-brand-indicators-for-message-identification"
SVG_PS = "draft-svg-tiny-ps-abrotman"
MVC = "BIMI Group, Mark Certificate requirements; RFC 3709"

MESSAGES = {
    # the record
    "BIMI-NONE": Message("no BIMI record at {name} (BIMI is optional: no brand logo is shown)", DRAFT),
    "BIMI-LOOKUP-FAILED": Message("the BIMI record at {name} could not be looked up ({status}): not tested",
                                  DRAFT),
    "BIMI-RECORD": Message("BIMI record at {name}: {record}", DRAFT),
    "BIMI-MULTIPLE": Message("{count} BIMI records at {name}: receivers ignore them all", DRAFT),
    "BIMI-RECORD-INVALID": Message("the BIMI record at {name} is invalid, receivers ignore it: {error}", DRAFT),
    "BIMI-DECLINED": Message("the BIMI record at {name} declines to publish a logo (empty l= and a=)", DRAFT),
    "BIMI-NOT-HTTPS": Message("{tag}= is not an HTTPS URI ({value}): BIMI fetches over HTTPS only", DRAFT),
    "BIMI-NOT-A-URI": Message("{tag}= is not an absolute URI ({value})", DRAFT),
    "BIMI-TOO-MANY-LOGOS": Message("l= names more than one logo ({value}); only the first is used", DRAFT),
    "BIMI-BAD-AVP": Message("avp= has an unknown value ({value}); brand or personal", DRAFT),
    "BIMI-UNKNOWN-TAGS": Message("unknown tags, ignored by receivers: {tags}", DRAFT),
    # the logo
    "BIMI-LOGO-OK": Message("the logo ({url}) is SVG Tiny PS, square, titled {title!r}, {size} bytes", SVG_PS),
    "BIMI-LOGO-UNREACHABLE": Message("the logo could not be fetched from {url} ({error}): not tested", DRAFT),
    "BIMI-LOGO-CERT": Message("the logo's host {url} has no valid certificate ({error}): receivers will not "
                              "fetch it", DRAFT),
    "BIMI-LOGO-HTTP": Message("fetching the logo {url} gave HTTP {http_code}, not the logo", DRAFT),
    "BIMI-LOGO-TOO-BIG": Message("the logo {url} is larger than {cap} bytes: not read further, not checked",
                                 SVG_PS),
    "BIMI-LOGO-LARGE": Message("the logo is {size} bytes, more than the 32 KiB BIMI recommends", SVG_PS),
    "BIMI-LOGO-NOT-SVG": Message("the logo {url} is not well-formed or is refused XML: {error}", SVG_PS),
    "BIMI-SVG-NOT-SVG": Message("the logo is not an SVG document: {detail}",
                                SVG_PS),
    "BIMI-SVG-NOT-TINY-PS": Message("the logo is not SVG Tiny PS: {detail} (baseProfile=\"tiny-ps\" is required)",
                                    SVG_PS),
    "BIMI-SVG-VERSION": Message("the logo is not SVG 1.2: {detail}", SVG_PS),
    "BIMI-SVG-ROOT-XY": Message("the logo's root element has x/y attributes ({detail}), which SVG Tiny PS forbids",
                                SVG_PS),
    "BIMI-SVG-NO-TITLE": Message("the logo has no title ({detail}); SVG Tiny PS requires the brand's name in <title>",
                                 SVG_PS),
    "BIMI-SVG-FORBIDDEN": Message("the logo contains elements SVG Tiny PS forbids: {detail}", SVG_PS),
    "BIMI-SVG-HANDLERS": Message("the logo contains event handlers (scripts): {detail}", SVG_PS),
    "BIMI-SVG-EXTERNAL": Message("the logo refers to resources outside itself: {detail}", SVG_PS),
    "BIMI-SVG-NO-VIEWBOX": Message("the logo has no usable viewBox ({detail}): its shape is unknown", SVG_PS),
    "BIMI-SVG-NOT-SQUARE": Message("the logo is not square ({detail}); BIMI shows logos in a square or circle",
                                   SVG_PS),
    # the mark certificate
    "BIMI-NO-VMC": Message("no mark certificate (a=): Gmail and Apple Mail show a logo only with a VMC or CMC",
                           MVC),
    "BIMI-VMC-UNREACHABLE": Message("the mark certificate could not be fetched from {url} ({error}): not tested",
                                    MVC),
    "BIMI-VMC-HTTP": Message("fetching the mark certificate {url} gave HTTP {http_code}", MVC),
    "BIMI-VMC-TOO-BIG": Message("the mark certificate {url} is larger than {cap} bytes: not read further, not "
                                "checked", MVC),
    "BIMI-VMC-CERT": Message("the mark certificate's host {url} has no valid certificate ({error})", MVC),
    "BIMI-VMC-UNREADABLE": Message("the mark certificate at {url} cannot be read: {error}", MVC),
    "BIMI-VMC-NOT-MARK": Message("the certificate at {url} is not a mark certificate: its extended key usage lacks "
                                 "BIMI (1.3.6.1.5.5.7.3.31)", MVC),
    "BIMI-VMC-NO-LOGO": Message("the mark certificate carries no logo ({error})", MVC),
    "BIMI-VMC-LOGO-MATCH": Message("the logo in the mark certificate is the published logo", MVC),
    "BIMI-VMC-LOGO-MISMATCH": Message("the logo in the mark certificate differs from the published logo "
                                      "(SHA-256 {cert_digest} versus {logo_digest})", MVC),
    "BIMI-VMC-NAME": Message("the mark certificate is for {names}", MVC),
    "BIMI-VMC-NAME-MISMATCH": Message("the mark certificate is for {names}, not for {domain}", MVC),
    "BIMI-VMC-VALID": Message("the mark certificate is valid until {not_after} ({days} days)", MVC),
    "BIMI-VMC-EXPIRED": Message("the mark certificate expired on {not_after}", MVC),
    "BIMI-VMC-NOT-YET-VALID": Message("the mark certificate is not valid before {not_before}", MVC),
    "BIMI-VMC-CHAIN-TRUSTED": Message("the mark certificate chains to a CA in {bundle}: {path}", MVC),
    "BIMI-VMC-CHAIN-UNTRUSTED": Message("the mark certificate does not chain to a CA in {bundle}: {reason}", MVC),
    "BIMI-VMC-CHAIN-NOT-CHECKED": Message("the mark certificate's chain was not checked: give --bimi-ca FILE "
                                          "with the mark certificate issuers' roots", MVC),
    # DMARC, the prerequisite
    "BIMI-DMARC-ENFORCING": Message("DMARC enforces (policy {policy}, pct {pct}), as BIMI requires", DRAFT),
    "BIMI-DMARC-MISSING": Message("no DMARC policy applies: receivers show no BIMI logo without one", DRAFT),
    "BIMI-DMARC-NOT-ENFORCING": Message("DMARC policy {policy} does not enforce: BIMI needs quarantine or reject",
                                       DRAFT),
    "BIMI-DMARC-PCT": Message("DMARC applies to {pct}% of failing mail only: BIMI needs pct=100", DRAFT),
    "BIMI-DMARC-SP-NONE": Message("the DMARC subdomain policy is none (sp=none): BIMI needs enforcement there too",
                                  DRAFT),
    "BIMI-DMARC-UNTESTED": Message("the DMARC policy could not be looked up: the BIMI prerequisite is not tested",
                                   DRAFT),
}

RECOMMENDATIONS = {
    "BIMI-DMARC-": Message(
        "BIMI shows your logo only when DMARC enforces: ask your mail administrator for p=quarantine or "
        "p=reject (with pct=100, and no sp=none) before relying on BIMI."),
    "BIMI-SVG-": Message(
        "Have the logo converted to SVG Tiny Portable/Secure: square, with a title, without scripts, "
        "links, images or references to other files."),
    "BIMI-VMC-": Message(
        "Ask the issuer of the mark certificate (VMC/CMC) for a valid certificate for this domain that "
        "carries the published logo."),
}
