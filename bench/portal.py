"""Serve the mock portal for benchmarks: `python -m fixtures.portal`, with TCP_NODELAY on its connections.

The portal's listener is made by `socket.socket(AF_INET)`, protocol 0, and asyncio sets
TCP_NODELAY only on sockets whose protocol is IPPROTO_TCP. Without it every keep-alive answer
written in two parts (headers, then body) waits for the client's delayed ACK: about 40 ms a
request, for the browser and the HTTP floor alike, which is the loopback's artefact and not
the protocol's cost. This wrapper gives the listener its protocol and changes nothing else
(`bench --portal-as-is` measures the portal as it is). Same arguments as `fixtures.portal`.
"""

from __future__ import annotations

import socket
import sys
from types import ModuleType
from typing import Any

from fixtures.portal import __main__ as portal_main


class _TcpSockets(ModuleType):
    """The `socket` module as the portal sees it, whose `socket()` asks for IPPROTO_TCP."""

    def __getattr__(self, name: str) -> Any:
        return getattr(socket, name)

    @staticmethod
    def socket(family: int = socket.AF_INET, *_args: Any) -> socket.socket:
        return socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)


if __name__ == "__main__":
    portal_main.socket = _TcpSockets("socket")  # type: ignore[attr-defined]
    sys.exit(portal_main.main())
