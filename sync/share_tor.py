"""The onion side of a trainer's share: a v3 onion service with client authorization,
published through a tor control connection (the tor Satchel starts, or a tor already
running on this computer whose control port the trainer names).

Guarantees:
- The service is ephemeral (ADD_ONION, never a HiddenServiceDir): tor keeps it only in
  memory and drops it when it is removed or when Satchel's control connection closes
  (it is not "detached"). For a share that is not persistent tor discards the service
  key at once (DiscardPK), so it never reaches Satchel at all.
- It forwards only to the share's server on 127.0.0.1, on one virtual port (80).
- Client authorization (ClientAuthV3): tor refuses to give out the service's descriptor
  to anyone without the client key; without it the service cannot even be found.
- At most MAX_STREAMS streams per rendezvous circuit; a client that opens more has its
  circuit closed by tor (MaxStreamsCloseCircuit), before the server sees them.
- A control port must be on loopback, and Satchel authenticates only with tor's cookie
  (or no authentication); the commands it sends carry keys, so stem's own logging stays
  below the level that would print them (sync.tor).
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from sync.errors import ShareError, SharePublishFailed, TorFailed
from sync.tor import quiet_stem

quiet_stem()

log = logging.getLogger(__name__)

MAX_STREAMS = 32
PUBLISH_DEADLINE = 180.0


class OnionHost:
    """A tor control connection that can publish and remove the share's onion service.

    `owner` is the ManagedTor this connection belongs to (Satchel started that tor for the
    share, and stopping the share stops it), or None for another program's tor."""

    def __init__(self, controller: Any, owner: Any = None) -> None:
        self.controller = controller
        self.owner = owner

    @property
    def alive(self) -> bool:
        if self.owner is not None:
            return bool(self.owner.running)
        controller = self.controller
        return controller is not None and bool(controller.is_alive())

    def publish(self, port: int, service_key: str | None, client_public: str, keep_key: bool,
                deadline: float = PUBLISH_DEADLINE) -> tuple[str, str | None]:
        """Publish the service; returns (onion address without '.onion', the service key
        if a new one was made and `keep_key` asked for it)."""
        import stem

        if self.controller is None:
            raise TorFailed("The tor for the share is no longer running.")
        key_type, key_content = ("ED25519-V3", service_key) if service_key else ("NEW", "ED25519-V3")
        try:
            response = self.controller.create_ephemeral_hidden_service(
                {80: f"127.0.0.1:{port}"}, key_type=key_type, key_content=key_content,
                discard_key=not (keep_key and service_key is None), detached=False, await_publication=True,
                timeout=deadline, max_streams=MAX_STREAMS, client_auth_v3=client_public)
        except stem.Timeout:
            raise SharePublishFailed("Tor could not publish the share in time; check the connection to Tor and try "
                             "again.") from None
        except stem.UnsatisfiableRequest:
            raise ShareError("This tor is too old to share with client authorization; use the tor Satchel "
                             "starts, or update tor.") from None
        except stem.OperationFailed:
            raise SharePublishFailed("Tor could not publish the share on the Tor network; try again in a "
                                     "minute.") from None
        except (stem.ControllerError, stem.SocketError, OSError):
            raise SharePublishFailed("Tor refused to start the share.") from None
        new_key = getattr(response, "private_key", None) if keep_key and service_key is None else None
        return str(response.service_id), new_key

    def remove(self, service_id: str) -> None:
        """Take the service off the Tor network (quietly: tor may already be gone)."""
        controller = self.controller
        if controller is None:
            return
        with contextlib.suppress(Exception):
            controller.remove_ephemeral_hidden_service(service_id)

    def close(self) -> None:
        """Stop: Satchel's own tor exits; another program's tor drops the service when
        Satchel's control connection closes."""
        controller, self.controller = self.controller, None
        if self.owner is not None:
            self.owner.close()
        elif controller is not None:
            with contextlib.suppress(Exception):
                controller.close()

    def kill(self) -> None:
        """Stop at once (a lock, the panic wipe)."""
        controller, self.controller = self.controller, None
        if self.owner is not None:
            self.owner.kill()
        elif controller is not None:
            with contextlib.suppress(Exception):
                controller.close()


def parse_control(text: str) -> tuple[str, int]:
    """HOST:PORT (or PORT) of a tor control port on this computer."""
    host, sep, port = text.strip().rpartition(":")
    if not sep:
        host, port = "127.0.0.1", text.strip()
    host = host.strip("[]") or "127.0.0.1"
    if host == "localhost":
        host = "127.0.0.1"
    if host != "127.0.0.1":
        raise ShareError("Satchel talks to tor only on this computer: the control port must be on 127.0.0.1.")
    if not port.isdigit() or len(port) > 5 or not 1 <= int(port) <= 65535:
        raise ShareError("The control port must be a number from 1 to 65535.")
    return host, int(port)


def connect_control(host: str, port: int) -> OnionHost:
    """Another program's tor, through its control port (Tor Browser's 9151, a system
    tor's 9051), authenticated by its cookie."""
    import stem
    import stem.connection
    from stem.control import Controller

    try:
        controller = Controller.from_port(host, port)
    except (stem.SocketError, OSError):
        raise ShareError(f"Nothing answers at the tor control port {host}:{port}; is tor running with a "
                         "control port?") from None
    try:
        controller.authenticate()
    except stem.connection.MissingPassword:
        controller.close()
        raise ShareError("That tor control port needs a password; Satchel uses only tor's cookie. Let Satchel "
                         "start its own tor instead.") from None
    except (stem.connection.AuthenticationFailure, stem.SocketError, OSError):
        controller.close()
        raise ShareError(f"Satchel could not sign in to the tor control port {host}:{port}.") from None
    return OnionHost(controller)
