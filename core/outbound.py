"""The one guarded outbound HTTP client: every request Bugtrack makes to a URL a user typed.

A URL typed into Bugtrack must not reach what only the server can reach (SSRF): the cloud's
metadata service, the database, an admin port on localhost. So, per request:

- only http and https, no credentials in the URL, no redirects followed;
- the host is resolved once, every address it resolves to must be public (not loopback,
  private, link-local, CGNAT, multicast, reserved or a metadata address; IPv4 inside IPv6 is
  unwrapped first), and the connection goes to that checked address, so DNS cannot answer
  differently between the check and the use (rebinding). For https the certificate is still
  checked against the host name (SNI), and `Host` names the host;
- the allowed networks (CIDRs; `settings.ALERT_WEBHOOK_ALLOWED_NETWORKS` unless the caller
  names its own, as OIDC discovery does with `OIDC_ALLOWED_NETWORKS`) are the only exception;
- at most `TIMEOUT` seconds to connect and answer, at most `MAX_BODY` bytes of the answer read.

Errors never carry the URL (it may hold a token): callers may log and show them as they are.
The resolver is a parameter, the one fake the tests need (a host that turns private later).
"""

import ipaddress
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

TIMEOUT = 10.0  # seconds, connect and read together
MAX_BODY = 64 * 1024
USER_AGENT = "Bugtrack"

# Metadata services that sit on addresses which are otherwise public (Azure's wireserver) or
# worth naming even though the ranges below already cover them.
METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "168.63.129.16", "100.100.100.200", "fd00:ec2::254")
)
SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class OutboundError(Exception):
    """No answer from the URL. The message never includes the URL."""


class Refused(OutboundError):
    """The URL is not allowed (scheme, credentials, address): retrying will not help."""


class Unreachable(OutboundError):
    """DNS, connection, TLS or timeout trouble: the service may be back later."""


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (`address`) and what to call the host."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]  # names lowercased
    body: bytes  # at most MAX_BODY bytes


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _embedded(ip: IPAddress) -> list[IPAddress]:
    """IPv4 addresses an IPv6 address carries (mapped, 6to4, NAT64), which it can reach."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return []
    found: list[IPAddress] = []
    if ip.ipv4_mapped:
        found.append(ip.ipv4_mapped)
    if ip.sixtofour:
        found.append(ip.sixtofour)
    if ip in NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


Networks = Iterable[str] | None  # CIDRs; None: settings.ALERT_WEBHOOK_ALLOWED_NETWORKS


def _allowed_networks(
    allowed: Networks = None,
) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    names = settings.ALERT_WEBHOOK_ALLOWED_NETWORKS if allowed is None else allowed
    return [ipaddress.ip_network(n) for n in names]


def in_networks(address: str, allowed: Networks = None) -> bool:
    """Whether `address` lies inside one of the allowed networks."""
    ip = ipaddress.ip_address(address)
    return any(ip in net for net in _allowed_networks(allowed) if ip.version == net.version)


def blocked(ip: IPAddress, allowed: Networks = None) -> bool:
    """Not a public address, and not inside the allowed networks."""
    forms = [ip, *_embedded(ip)]
    networks = _allowed_networks(allowed)
    if any(form in net for form in forms for net in networks if form.version == net.version):
        return False
    return any(
        not form.is_global
        or form.is_multicast
        or form.is_reserved
        or form.is_unspecified
        or form in METADATA
        for form in forms
    )


def _split(url: str) -> tuple[str, str, int, str]:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise Refused(f"Not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise Refused("Only http:// and https:// URLs are allowed.")
    if not parts.hostname:
        raise Refused("The URL has no host.")
    if parts.username is not None or parts.password is not None:
        raise Refused("Credentials in the URL are not allowed; use the channel's secret.")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80), path


def check(url: str, resolver: Resolver = system_resolver, allowed: Networks = None) -> Target:
    """Resolve once and check every address; raise Refused (not allowed) or Unreachable
    (the name does not resolve right now)."""
    scheme, host, port, path = _split(url)
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            addresses = [ipaddress.ip_address(a.split("%")[0]) for a in resolver(host, port)]
        except (OSError, UnicodeError, ValueError) as exc:
            raise Unreachable(f"The host name does not resolve ({type(exc).__name__}).") from None
        if not addresses:
            raise Unreachable("The host name does not resolve.")
    for ip in addresses:
        if blocked(ip, allowed):
            raise Refused(
                "The URL points at a private, loopback, link-local or otherwise internal "
                "address; only public addresses (or the allowed networks) are allowed."
            )
    first = addresses[0]
    if isinstance(first, ipaddress.IPv6Address) and first.ipv4_mapped:
        first = first.ipv4_mapped  # connect over IPv4: that is where it leads
    return Target(scheme, host, port, path, str(first))


def _host_header(target: Target) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    default = 443 if target.scheme == "https" else 80
    return host if target.port == default else f"{host}:{target.port}"


def _pool(target: Target, timeout: float) -> urllib3.HTTPConnectionPool:
    limits = urllib3.Timeout(connect=timeout, read=timeout, total=timeout)
    if target.scheme == "http":
        return urllib3.HTTPConnectionPool(
            target.address, target.port, timeout=limits, retries=False, maxsize=1
        )
    is_name = target.host != target.address and not _is_ip(target.host)
    return urllib3.HTTPSConnectionPool(
        target.address,
        target.port,
        timeout=limits,
        retries=False,
        maxsize=1,
        cert_reqs="CERT_REQUIRED",
        # The socket goes to the checked address; TLS still speaks to and verifies the name.
        server_hostname=target.host if is_name else None,
        assert_hostname=target.host if is_name else None,
    )


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _read_body(response: urllib3.BaseHTTPResponse, deadline: float) -> bytes:
    body = b""
    while len(body) < MAX_BODY:
        if time.monotonic() > deadline:
            raise Unreachable("Timed out reading the answer.")
        chunk = response.read1(min(16 * 1024, MAX_BODY - len(body)))
        if not chunk:
            break
        body += chunk
    return body


def _describe(exc: BaseException) -> str:
    """What went wrong, without the URL that urllib3 puts into its messages."""
    if isinstance(exc, urllib3.exceptions.NewConnectionError):
        return "Could not connect (refused or unreachable)."
    if isinstance(exc, urllib3.exceptions.ConnectTimeoutError):
        return "Timed out connecting."
    if isinstance(exc, urllib3.exceptions.ReadTimeoutError | TimeoutError | socket.timeout):
        return "Timed out waiting for the answer."
    if isinstance(exc, urllib3.exceptions.SSLError):
        return "TLS error (certificate or handshake)."
    if isinstance(exc, urllib3.exceptions.ProtocolError):
        return "The connection broke off."
    return f"Request failed ({type(exc).__name__})."


def post(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    resolver: Resolver = system_resolver,
    timeout: float | None = None,
    allowed: Networks = None,
) -> Response:
    """POST `body` to `url` through the guard (see `request`)."""
    return request("POST", url, body, headers, resolver, timeout, allowed)


def get(
    url: str,
    headers: Mapping[str, str] | None = None,
    resolver: Resolver = system_resolver,
    timeout: float | None = None,
    allowed: Networks = None,
) -> Response:
    """GET `url` through the guard (e.g. an OIDC discovery document)."""
    return request("GET", url, None, headers or {}, resolver, timeout, allowed)


def request(
    method: str,
    url: str,
    body: bytes | None,
    headers: Mapping[str, str],
    resolver: Resolver = system_resolver,
    timeout: float | None = None,
    allowed: Networks = None,
) -> Response:
    """One request through the guard. Any status is returned (the caller decides what 4xx
    or 5xx means); Refused or Unreachable when there is no answer to return."""
    timeout = TIMEOUT if timeout is None else timeout
    deadline = time.monotonic() + timeout
    target = check(url, resolver, allowed)
    sent = {"User-Agent": USER_AGENT, **headers, "Host": _host_header(target)}
    pool = _pool(target, timeout)
    try:
        response = pool.urlopen(
            method,
            target.path,
            body=body,
            headers=sent,
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            data = _read_body(response, deadline)
        finally:
            response.release_conn()
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise Unreachable(_describe(exc)) from None
    finally:
        pool.close()
    return Response(response.status, {k.lower(): v for k, v in response.headers.items()}, data)
