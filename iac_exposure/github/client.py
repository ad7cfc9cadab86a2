"""A small GitHub REST client on the standard library: JSON in and out, Link-header pagination, and
errors turned into messages a user can act on. The token is sent only to the API host it was given for."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from email.message import Message
from typing import Any
from urllib.parse import urlencode, urlsplit

from .. import __version__

API_VERSION = "2022-11-28"
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="next"')


class GitHubError(Exception):
    """An API call failed; the message says what to do about it."""


class Client:
    def __init__(self, api_url: str, token: str, timeout: float = 30.0) -> None:
        self.api_url = api_url.rstrip("/")
        self._origin = _origin(self.api_url)
        self._token = token
        self.timeout = timeout

    def request(self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None) -> Any:
        data, _ = self._call(method, self._url(path, params), body)
        return data

    def paginate(self, path: str, params: dict[str, Any] | None = None) -> list[Any]:
        """Every item of a list endpoint, following `Link: <…>; rel="next"`."""
        items: list[Any] = []
        url: str | None = self._url(path, {"per_page": 100, **(params or {})})
        while url is not None:
            data, headers = self._call("GET", url, None)
            if not isinstance(data, list):
                raise GitHubError(f"GitHub returned {type(data).__name__} where a list was expected: GET {url}")
            items.extend(data)
            url = self._next(headers.get("Link", ""))
        return items

    def _url(self, path: str, params: dict[str, Any] | None) -> str:
        return self.api_url + path + (f"?{urlencode(params)}" if params else "")

    def _next(self, link: str) -> str | None:
        match = _NEXT.search(link)
        if match is None:
            return None
        url = match.group(1)
        if _origin(url) != self._origin:  # never hand the token to another host
            raise GitHubError(f"GitHub's pagination link points outside {self.api_url}: {url}")
        return url

    def _call(self, method: str, url: str, body: Any) -> tuple[Any, Message]:
        headers = {
            "Authorization": f"Bearer {self._token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": f"iac-exposure/{__version__}",
        }
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                raw = resp.read()
                return (json.loads(raw) if raw else None), resp.headers
        except urllib.error.HTTPError as exc:
            raise GitHubError(_explain(method, url, exc.code, exc.headers, exc.read())) from None
        except urllib.error.URLError as exc:
            raise GitHubError(f"cannot reach the GitHub API at {self.api_url}: {exc.reason}") from None
        except (TimeoutError, json.JSONDecodeError) as exc:
            raise GitHubError(f"{method} {url} failed: {exc}") from None


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise GitHubError(f"not an http(s) URL: {url}")
    return parts.scheme, parts.netloc


def _explain(method: str, url: str, status: int, headers: Message, raw: bytes) -> str:
    """What went wrong, in words, with what GitHub said."""
    try:
        payload = json.loads(raw) if raw else {}
    except json.JSONDecodeError:
        payload = {}
    said = str(payload.get("message", "")) if isinstance(payload, dict) else ""
    errors = payload.get("errors") if isinstance(payload, dict) else None
    if errors:
        said += f" ({'; '.join(_error_text(e) for e in errors)})"
    call = f"{method} {urlsplit(url).path}"
    wait = _rate_limit_wait(status, headers, said)
    if wait is not None:
        return f"GitHub rate limit reached on {call} (HTTP {status}: {said or 'rate limited'}); retry in {wait} s"
    if status == 401:
        return f"GitHub rejected the token (HTTP 401: {said or 'Bad credentials'}): check GITHUB_TOKEN"
    if status == 403:
        return (
            f"GitHub refused {call} (HTTP 403: {said or 'Forbidden'}): the token needs read access to the "
            "repository and write access to pull requests (`pull-requests: write`)"
        )
    if status == 404:
        return (
            f"GitHub found nothing at {call} (HTTP 404: {said or 'Not Found'}): check --repo and --pr, and that "
            "the token can see the repository"
        )
    if status == 422:
        return f"GitHub rejected {call} (HTTP 422: {said or 'Unprocessable Entity'})"
    return f"GitHub API error on {call}: HTTP {status}: {said or 'no message'}"


def _error_text(error: Any) -> str:
    if isinstance(error, dict):
        return str(error.get("message") or error.get("code") or error)
    return str(error)


def _rate_limit_wait(status: int, headers: Message, said: str) -> int | None:
    """Seconds to wait when the failure is a (primary or secondary) rate limit, else None."""
    retry_after = headers.get("Retry-After")
    remaining = headers.get("x-ratelimit-remaining")
    limited = status == 429 or (status == 403 and (retry_after or remaining == "0" or "rate limit" in said.lower()))
    if not limited:
        return None
    if retry_after and retry_after.strip().isdigit():
        return int(retry_after)
    reset = headers.get("x-ratelimit-reset")
    if reset and reset.strip().isdigit():
        return max(0, int(reset) - int(time.time()))
    return 60  # GitHub's advice for secondary limits without a header: wait at least a minute
