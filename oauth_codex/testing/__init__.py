"""Offline emulators for tests and demos: the ChatGPT auth server and Codex backend (:class:`CodexEmulator`),
and the "Sign in with ChatGPT" auth server and ``/v1`` API of the ``siwc`` route (:class:`SiwcEmulator`).

>>> from oauth_codex.testing import CodexEmulator
>>> with CodexEmulator() as emu:          # doctest: +SKIP
...     print(emu.client().generate(prompt="hi"))

:class:`CodexEmulator` serves, on a loopback port, ``/.well-known/openid-configuration``,
``/oauth/authorize``, ``/oauth/token``, ``/oauth/revoke``, the device-code endpoints, and
``POST /backend-api/codex/responses`` / ``GET /backend-api/codex/models`` /
``GET /backend-api/wham/usage``, following
``docs/protocol.md`` (the wire facts) as strictly as the real services. It never makes outbound connections.

Where the protocol is uncertain (its "Unconfirmed" section), the emulator picks the stricter behaviour (or a switch):

* ``input`` must be an array (a bare string is [U]); ``instructions`` must be a non-empty string.
* Unknown top-level parameters get ``Unknown parameter`` (400); the known forbidden list plus
  ``presence_penalty`` and ``previous_response_id`` get ``Unsupported parameter``.
* Every input item carrying an ``id`` (``rs_``, ``msg_``, ``fc_``, ...) gets the replayed-server-id 404.
* Replayed ``encrypted_content`` must be one this emulator issued (else 400 ``invalid_encrypted_content``);
  it is only emitted when ``include`` has ``reasoning.encrypted_content``. A reasoning summary is streamed
  only when ``reasoning.summary`` asks for one (as in the recorded stream). Replayed items need their
  required fields (``summary`` on reasoning; ``call_id``/``name``/``arguments`` on function calls).
* Assistant content parts must be ``output_text``/``refusal``, user/developer parts ``input_*`` (an invalid value).
* ``reasoning.effort``: ``none`` is rejected on codex models and ``minimal`` on models newer than gpt-5.
* ``strict: true`` tools and json_schema formats must have every property required and
  ``additionalProperties: false``; a ``json_object`` format needs the word "json" in the input.
* A named ``tool_choice`` must name an offered tool. ``tool_choice="required"`` with no tools answers
  normally (tolerant: unknown upstream, and the seed README sends it).
* The ``ChatGPT-Account-ID`` header: a mismatch is 403 ``{"detail": ...}`` (text invented); a missing header
  is tolerated unless ``require_account_id=True``.
* Revoked access tokens get ``{"detail": "Unauthorized"}``; expired ones ``token_expired``.
* Refresh-token reuse answers 401 ``refresh_token_reused`` and, only with ``revoke_family_on_reuse=True``,
  revokes the family (unknown upstream, so off by default). Unknown refresh tokens get 401 ``token_expired``.
* The authorization-code grant must be form-encoded; codes are single use (a failed exchange spends the
  code too) and expire after ``code_ttl`` (600 s). A refresh token is issued only for ``offline_access``.
* The device poll answers 403 while pending and 400 for unknown, used or expired codes; ``interval`` is
  ``"1"`` by default (the real server says ``"5"``) so tests stay fast.
* ``GET .../models`` requires a bearer token and returns ``{"models": [{"slug", "display_name", ...}]}``:
  an emulator-invented shape (the real catalog is [U]); ``client_version`` is accepted, not required.
* Error texts nobody has seen (a body that is not JSON, expired/invalidated refresh, device errors, 403 account
  mismatch, cyber_policy) are invented and say so where they appear.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_getattr
from ._emulator import CodexEmulator
from ._events import StreamOptions
from ._inprocess import EmulatorTransport
from ._model import AnswerSettings
from ._serve import serve
from ._server import RecordedRequest

if TYPE_CHECKING:
    from ._siwc_emulator import SiwcBrowser, SiwcEmulator
    from ._siwc_state import SIWC_MODELS, SiwcQuirks
from ._state import DEFAULT_MODELS, FREE_PLAN_MODELS

__all__ = [
    "DEFAULT_MODELS",
    "FREE_PLAN_MODELS",
    "AnswerSettings",
    "CodexEmulator",
    "EmulatorTransport",
    "RecordedRequest",
    "SIWC_MODELS",
    "SiwcBrowser",
    "SiwcEmulator",
    "SiwcQuirks",
    "StreamOptions",
    "serve",
]

# the SIWC emulator needs PyJWT and cryptography (the ``siwc`` extra): loaded on first use
_LAZY = {
    "SiwcBrowser": "._siwc_emulator",
    "SiwcEmulator": "._siwc_emulator",
    "SIWC_MODELS": "._siwc_state",
    "SiwcQuirks": "._siwc_state",
}

__getattr__ = lazy_getattr(__name__, _LAZY, globals())
