"""Provisional certificates for the lab's web hosts, from trustme, until the lab CA (pki) lands.

Kinds: ``valid`` (the lab CA, the site's name), ``expired`` (valid names, notAfter in the past),
``wrong-name`` (another name), ``self-signed`` (a one-off CA certificate the lab CA never signed).
"""

from __future__ import annotations

import datetime

from .http_server import EXPIRED, SELF_SIGNED, WRONG_NAME, CertSource

LAB_CA_ORGANIZATION = "mailguard lab CA"


def trustme_source() -> tuple[CertSource, bytes]:
    import trustme

    ca = trustme.CA(organization_name=LAB_CA_ORGANIZATION)

    def issue(names: tuple[str, ...], kind: str) -> tuple[bytes, bytes]:
        if kind == SELF_SIGNED:
            own = trustme.CA(organization_name="self-signed")
            return own.cert_pem.bytes(), own.private_key_pem.bytes()
        identities = ("wrong-name.invalid",) if kind == WRONG_NAME else names
        not_after = None
        not_before = None
        if kind == EXPIRED:
            now = datetime.datetime.now(datetime.UTC)
            not_before, not_after = now - datetime.timedelta(days=400), now - datetime.timedelta(days=10)
        cert = ca.issue_cert(*identities, not_before=not_before, not_after=not_after)
        chain = b"".join(blob.bytes() for blob in cert.cert_chain_pems)
        return chain, cert.private_key_pem.bytes()

    return issue, ca.cert_pem.bytes()
