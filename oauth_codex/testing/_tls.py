"""A throwaway certificate authority for ``CodexEmulator(tls=True)`` (``trustme``, a dev/test dependency).

The emulator serves HTTPS with a certificate for ``127.0.0.1`` and ``localhost`` signed by a CA that exists
only for this emulator; clients trust it by being given the CA bundle (``verify=``), never by turning
verification off.
"""

from __future__ import annotations

import os
import ssl
import tempfile
from typing import Any

__all__ = ["ThrowawayCA"]


class ThrowawayCA:
    """A CA made at start (in memory) plus a PEM bundle file of it, removed by :meth:`cleanup`."""

    def __init__(self) -> None:
        try:
            import trustme
        except ImportError:
            raise ImportError(
                "CodexEmulator(tls=True) needs the trustme package: pip install trustme "
                "(it is part of oauth-codex's dev extra)."
            ) from None
        self._ca: Any = trustme.CA(organization_name="oauth-codex emulator (throwaway)")
        self._leaf: Any = self._ca.issue_cert("127.0.0.1", "localhost", "::1")
        fd, self.bundle = tempfile.mkstemp(prefix="oauth-codex-emulator-ca-", suffix=".pem")
        with os.fdopen(fd, "wb") as f:
            f.write(self._ca.cert_pem.bytes())

    def server_context(self) -> ssl.SSLContext:
        """The server side: the emulator's certificate chain, TLS 1.2 or newer."""
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._leaf.configure_cert(ctx)
        return ctx

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts this CA only (what ``httpx.Client(verify=...)`` takes)."""
        return ssl.create_default_context(cafile=self.bundle)

    def cleanup(self) -> None:
        try:
            os.unlink(self.bundle)
        except FileNotFoundError:
            pass
