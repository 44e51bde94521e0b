"""Where atrisk may send a webhook: public addresses only.

A rule's owner chooses its webhook, so an address inside the network (the loopback, a
private range, a cloud's metadata service at 169.254.169.254) would let any viewer make the
server send requests there and read from the delivery log whether they answered (SSRF). The
target's host is checked when the rule is saved (a literal address or ``localhost``) and
resolved and checked again at every send, and a redirect is never followed. Receivers inside
the network must be allowed by an administrator (``ATRISK_WEBHOOK_ALLOWED_NETWORKS``).
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.error
import urllib.request
from collections.abc import Sequence
from urllib.parse import urlsplit

from atrisk.domain.errors import ConfigError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def networks(spec: str) -> tuple[Network, ...]:
    """Parse ``ATRISK_WEBHOOK_ALLOWED_NETWORKS`` (comma-separated addresses or CIDR)."""
    out = []
    for part in (p.strip() for p in spec.split(",")):
        if part:
            try:
                out.append(ipaddress.ip_network(part, strict=False))
            except ValueError as exc:
                raise ConfigError(f"ATRISK_WEBHOOK_ALLOWED_NETWORKS: {part!r} is not an "
                                  "address or network") from exc
    return tuple(out)


def _allowed(address: Address, allowed: Sequence[Network]) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    address = mapped or address
    if any(address in net for net in allowed if net.version == address.version):
        return True
    return address.is_global and not address.is_multicast


def _host(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"a webhook must be an http(s) address with a host, not {url!r}")
    if parts.username or parts.password:
        raise ConfigError("a webhook address may not carry a user name or password")
    return parts.hostname


def check_form(url: str, allowed: Sequence[Network] = ()) -> None:
    """When a rule is saved: refuse a webhook whose host is visibly not public (a literal
    private or loopback address, ``localhost``); names are resolved at send time."""
    host = _host(url)
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        address: Address = ipaddress.ip_address("127.0.0.1")
    else:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return
    if not _allowed(address, allowed):
        raise ConfigError(f"webhook host {host} is not a public address; an administrator "
                          "can allow it with ATRISK_WEBHOOK_ALLOWED_NETWORKS")


def resolve(url: str, allowed: Sequence[Network] = ()) -> list[str]:
    """At send time: every address the host resolves to, each checked."""
    host = _host(url)
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise ConfigError(f"webhook host {host} does not resolve ({exc})") from exc
    found = sorted({str(info[4][0]) for info in infos})
    for text in found:
        if not _allowed(ipaddress.ip_address(text.split("%")[0]), allowed):
            raise ConfigError(f"webhook host {host} resolves to {text}, not a public address")
    return found


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001, ANN201
        return None  # urllib then raises HTTPError with the 3xx: nothing is followed


def post(url: str, body: bytes, headers: dict[str, str], allowed: Sequence[Network] = (),
         timeout: float = 10) -> tuple[str, str]:
    """POST ``body`` to a checked webhook; (status, detail) for the delivery log."""
    try:
        resolve(url, allowed)
    except ConfigError as exc:
        return "refused", str(exc)
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as response:
            return "sent", f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        if 300 <= exc.code < 400:
            return "failed", f"HTTP {exc.code}: redirects are not followed"
        return "failed", f"HTTP {exc.code}"
    except OSError as exc:
        return "failed", str(exc)
