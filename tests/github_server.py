"""A GitHub REST API stand-in on 127.0.0.1 for the pull-request review tests.

It implements the endpoints `github-review` uses, the way GitHub documents them, and is strict about what
it receives: the headers GitHub requires, JSON bodies with only the documented fields, review comments
only on lines inside a hunk of the file's diff (GitHub answers 422 otherwise), pagination by `per_page`
and `page` with `Link` headers. Its own page size is small, so pagination is always exercised.
Responses can be replaced by failures (status, headers, body) per method and path to test error handling.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "ghs_loopbacktoken"
API_VERSION = "2022-11-28"
DIFF_LINE_ERROR = "Pull request review thread line must be part of the diff"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class PullRequest:
    repo: str
    number: int
    head_sha: str
    files: list[dict[str, Any]]  # {filename, status, patch?}
    reviews: list[dict[str, Any]] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)


def right_side_hunks(patch: str | None) -> list[range]:
    """New-side line ranges of each hunk (an independent reading of the diff from the tool's)."""
    hunks = []
    for m in re.finditer(r"^@@ -[0-9,]+ \+(\d+)(?:,(\d+))? @@", patch or "", re.MULTILINE):
        start, length = int(m.group(1)), int(m.group(2) if m.group(2) is not None else 1)
        hunks.append(range(start, start + length))
    return hunks


class FakeGitHub:
    def __init__(self, pr: PullRequest, page_size: int = 2) -> None:
        self.pr = pr
        self.page_size = page_size
        self.requests: list[Recorded] = []
        self.failures: dict[tuple[str, str], tuple[int, dict[str, str], Any]] = {}
        self._ids = iter(range(1001, 10**6))
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail(
        self, method: str, path_suffix: str, status: int, body: Any, headers: dict[str, str] | None = None
    ) -> None:
        """Answer requests whose path ends with `path_suffix` with this failure."""
        self.failures[(method, path_suffix)] = (status, headers or {}, body)

    def writes(self) -> list[Recorded]:
        return [r for r in self.requests if r.method != "GET"]

    # -- the endpoints -------------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, dict[str, str], Any]:
        base = f"/repos/{self.pr.repo}/pulls/{self.pr.number}"
        if method == "GET" and path == f"{base}/files":
            return self._page(path, query, self.pr.files)
        if method == "GET" and path == f"{base}/reviews":
            return self._page(path, query, self.pr.reviews)
        if method == "GET" and path == f"{base}/comments":
            return self._page(path, query, self.pr.comments)
        if method == "POST" and path == f"{base}/reviews":
            return self._create_review(body)
        match = re.fullmatch(rf"{re.escape(base)}/reviews/(\d+)", path)
        if method == "PUT" and match:
            return self._update_review(int(match.group(1)), body)
        return 404, {}, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}

    def _page(self, path: str, query: dict[str, str], items: list[dict[str, Any]]) -> tuple[int, dict[str, str], Any]:
        per_page = min(int(query.get("per_page", "30")), self.page_size)
        page = int(query.get("page", "1"))
        last = max(1, -(-len(items) // per_page))
        links = []
        if page < last:
            links.append(f'<{self.url}{path}?per_page={per_page}&page={page + 1}>; rel="next"')
            links.append(f'<{self.url}{path}?per_page={per_page}&page={last}>; rel="last"')
        headers = {"Link": ", ".join(links)} if links else {}
        return 200, headers, items[(page - 1) * per_page : page * per_page]

    def _create_review(self, body: Any) -> tuple[int, dict[str, str], Any]:
        problem = self._review_problem(body)
        if problem:
            return 422, {}, {"message": "Unprocessable Entity", "errors": [problem], "status": "422"}
        review_id = next(self._ids)
        commit = body.get("commit_id", self.pr.head_sha)
        review = {"id": review_id, "body": body.get("body", ""), "state": "COMMENTED", "commit_id": commit,
                  "user": {"login": "github-actions[bot]"}}  # fmt: skip
        self.pr.reviews.append(review)
        for comment in body.get("comments", []):
            self.pr.comments.append({
                "id": next(self._ids), "pull_request_review_id": review_id, "commit_id": commit,
                "path": comment["path"], "line": comment["line"], "start_line": comment.get("start_line"),
                "side": comment.get("side", "RIGHT"), "body": comment["body"],
            })  # fmt: skip
        return 200, {}, review

    def _review_problem(self, body: Any) -> str | None:
        if not isinstance(body, dict) or set(body) - {"commit_id", "body", "event", "comments"}:
            return f"unexpected review fields: {sorted(body) if isinstance(body, dict) else body!r}"
        if body.get("event") not in ("APPROVE", "REQUEST_CHANGES", "COMMENT"):
            return f"event must be APPROVE, REQUEST_CHANGES or COMMENT, not {body.get('event')!r}"
        if body["event"] != "APPROVE" and not body.get("body"):
            return "body is required for a COMMENT or REQUEST_CHANGES review"
        if "commit_id" in body and body["commit_id"] != self.pr.head_sha:
            return "commit_id is not part of the pull request"
        patches = {f["filename"]: f.get("patch") for f in self.pr.files if f["status"] != "removed"}
        for comment in body.get("comments", []):
            allowed = {"path", "body", "line", "side", "start_line", "start_side"}
            if set(comment) - allowed or not {"path", "body", "line"} <= set(comment):
                return f"bad comment fields: {sorted(comment)}"
            if comment["path"] not in patches:
                return f"path {comment['path']!r} is not part of the pull request"
            if comment.get("side", "RIGHT") != "RIGHT" or comment.get("start_side", "RIGHT") != "RIGHT":
                return "only RIGHT-side comments are expected"
            start, line = comment.get("start_line", comment["line"]), comment["line"]
            if not (isinstance(start, int) and isinstance(line, int)) or start > line:
                return "start_line must precede line"
            if "start_line" in comment and start == line:
                return "start_line must be omitted for a single-line comment"
            if not any(start in hunk and line in hunk for hunk in right_side_hunks(patches[comment["path"]])):
                return DIFF_LINE_ERROR
        return None

    def _update_review(self, review_id: int, body: Any) -> tuple[int, dict[str, str], Any]:
        review = next((r for r in self.pr.reviews if r["id"] == review_id), None)
        if review is None:
            return 404, {}, {"message": "Not Found"}
        if not isinstance(body, dict) or set(body) != {"body"} or not isinstance(body["body"], str):
            return 422, {}, {"message": "Unprocessable Entity", "errors": ["body is required"]}
        review["body"] = body["body"]
        return 200, {}, review

    # -- HTTP plumbing ------------------------------------------------------------------------------
    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except json.JSONDecodeError:
                    body = raw.decode(errors="replace")
                headers = {k.lower(): v for k, v in self.headers.items()}
                with fake._lock:
                    fake.requests.append(Recorded(self.command, parts.path, query, headers, body))
                    status, out_headers, payload = fake._respond(self.command, parts.path, query, headers, body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for key, value in out_headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        return Handler

    def _respond(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: Any
    ) -> tuple[int, dict[str, str], Any]:
        if headers.get("authorization") != f"Bearer {TOKEN}":
            return 401, {}, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}
        if headers.get("accept") != "application/vnd.github+json":
            return 415, {}, {"message": f"test server: Accept must be application/vnd.github+json, not {headers.get('accept')!r}"}  # fmt: skip
        if headers.get("x-github-api-version") != API_VERSION:
            return 400, {}, {"message": f"test server: unsupported API version {headers.get('x-github-api-version')!r}"}  # fmt: skip
        if not headers.get("user-agent"):
            return 403, {}, {"message": "Request forbidden by administrative rules: a User-Agent is required"}
        if method in ("POST", "PUT") and not headers.get("content-type", "").startswith("application/json"):
            return 415, {}, {"message": "test server: JSON bodies must say Content-Type: application/json"}
        for (fail_method, suffix), failure in self.failures.items():
            if method == fail_method and path.endswith(suffix):
                return failure
        return self.handle(method, path, query, body)
