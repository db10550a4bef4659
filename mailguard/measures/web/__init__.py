"""The website measures (issue 4): one module per measure, sharing :mod:`.common`.

The web presence of a domain is its apex, ``www.`` and the hosts ``Config.web_hosts`` names,
each on every address it has. Pure parsers live beside their measure (HSTS, security.txt, CSP)
or in their own module (CAA policy, form fields).
"""
