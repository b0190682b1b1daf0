"""Credentials pasted into URLs (user:password@host, ?api_key=…): found and masked
wherever a URL is printed or logged, whether or not Muse knows the secret."""

from __future__ import annotations

import re

# Query parameters whose values are credentials: key, api_key, accessToken, auth,
# X-Amz-Signature… A whole word of the name, so ?author= and ?design= stay readable.
SECRET_PARAM_RE = re.compile(
    r"(?:^|[^a-z])(?:api|access|client|refresh|private|session|app|bot|id)?[_-]?"
    r"(?:key|token|secret|pass(?:wd|word|phrase)?|pwd|auth|sig(?:nature)?|credentials?)s?"
    r"(?:$|[^a-z])",
    re.I,
)
_URL_RE = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s\"'<>]+", re.I)
# scheme://user:password@ or scheme://token@ (a lone user name is often the credential)
_USERINFO_RE = re.compile(r"^([^:]+://)([^/?#@:]*)(?::([^/?#@]*))?@")
_PARAM_RE = re.compile(r"([?&;])([^=&#;]+)=([^&#;]*)")


def url_secrets(text: str) -> list[str]:
    """The credentials pasted into the URLs in `text`, as they appear there."""
    found: list[str] = []
    for url in _URL_RE.findall(text):
        userinfo = _USERINFO_RE.match(url)
        if userinfo:
            found.append(userinfo.group(3) if userinfo.group(3) is not None else userinfo.group(2))
        found += [m.group(3) for m in _PARAM_RE.finditer(url) if SECRET_PARAM_RE.search(m.group(2))]
    return [f for f in found if f]


def mask_urls(text: str, mask: str = "****") -> str:
    """`text` with the credentials in its URLs masked, the rest of each URL kept."""
    if "://" not in text:
        return text

    def userinfo(m: re.Match[str]) -> str:
        if m.group(3) is not None:
            return f"{m.group(1)}{m.group(2)}:{mask}@"
        return f"{m.group(1)}{mask}@" if m.group(2) else m.group(0)

    def param(m: re.Match[str]) -> str:
        secret = m.group(3) and SECRET_PARAM_RE.search(m.group(2))
        return f"{m.group(1)}{m.group(2)}={mask}" if secret else m.group(0)

    def url(m: re.Match[str]) -> str:
        return _PARAM_RE.sub(param, _USERINFO_RE.sub(userinfo, m.group(0)))

    return _URL_RE.sub(url, text)
