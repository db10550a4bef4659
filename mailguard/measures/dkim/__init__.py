"""DKIM (RFC 6376, RFC 8301, RFC 8463): the pure protocol pieces the DKIM measure and
``mailguard dkim verify`` share.

    tags       the tag=value list grammar (§3.2)
    keys       key records (§3.6.1) and their public keys, loaded with cryptography
    selectors  the selectors common providers publish keys under
"""
