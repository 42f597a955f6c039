"""HTTP clients with a source address of their own: 127.0.0.2, 127.0.0.3, ... are distinct
loopback addresses, so one test can be several clients to the fair share."""
from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter


class _SourceAddressAdapter(HTTPAdapter):
    def __init__(self, address: str, **kwargs):
        self._address = address
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self._address, 0)
        super().init_poolmanager(*args, **kwargs)


def session_from(address: str) -> requests.Session:
    """A ``requests`` session whose connections come from ``address``."""
    session = requests.Session()
    adapter = _SourceAddressAdapter(address)
    session.mount("http://", adapter)
    return session


def client_address(n: int) -> str:
    """The n-th test client's loopback address (n = 0 -> 127.0.0.2)."""
    return f"127.0.0.{2 + n}"
