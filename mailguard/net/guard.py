"""The address guard: with ``Config.allowed_networks`` set, no socket is opened to any other address.

The lab and the test-suite run with loopback only, so that no test can ever send a packet off
this machine, whatever a zone file says.
"""

from __future__ import annotations

import ipaddress

from ..core.config import Config
from ..core.errors import ConnectError


def address_allowed(address: str, config: Config) -> bool:
    if config.allowed_networks is None:
        return True
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    return any(ip.version == net.version and ip in net for net in config.allowed_networks)


def check_address(address: str, config: Config) -> None:
    """Raise ConnectError if ``address`` may not be contacted under ``config``."""
    if not address_allowed(address, config):
        raise ConnectError("address outside the allowed networks; not contacted", address)
