"""Browser, OS and device from a User-Agent header, as the digest tags events.

ua-parser's resolver is wrapped in its own cache: traffic repeats a few hundred strings, and a
cache hit costs a dictionary lookup where a miss tries the rules one regex at a time."""

from dataclasses import dataclass
from functools import cache

from ua_parser import BasicResolver, Cache, CachingResolver, Parser, load_builtins

CACHE_SIZE = 5000  # distinct User-Agent strings kept resolved, per process
MAX_LENGTH = 1000  # longer headers are junk or attacks; they are not parsed


@dataclass(frozen=True)
class Agent:
    browser: str = ""
    os: str = ""
    device: str = ""


@cache
def _parser() -> Parser:
    """Built on first use: compiling the rules takes a moment that only the worker needs."""
    return Parser(CachingResolver(BasicResolver(load_builtins()), Cache(CACHE_SIZE)))


def _version(family: str, major: str | None, minor: str | None) -> str:
    if not major:
        return family
    return f"{family} {major}.{minor}" if minor else f"{family} {major}"


def parse(header: str) -> Agent:
    """`Chrome 120`, `Mac OS X 10.15`, `iPhone`; a part the rules do not know is left empty."""
    if not header or len(header) > MAX_LENGTH:
        return Agent()
    result = _parser().parse(header)
    ua, os_, device = result.user_agent, result.os, result.device
    return Agent(
        browser=_version(ua.family, ua.major, None) if ua and ua.family != "Other" else "",
        os=_version(os_.family, os_.major, os_.minor) if os_ and os_.family != "Other" else "",
        device=device.family if device and device.family not in ("Other", "Spider") else "",
    )
