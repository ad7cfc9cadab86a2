"""`iac-exposure github-review`: scan what a pull request changes and post one review.

Everything is read and built before anything is written: the changed files (paginated), the scan, the
review, the tool's earlier reviews and comments. Then exactly one write creates or updates the review;
a failure before it posts nothing.

Updating rather than duplicating: the tool's review carries a hidden marker. GitHub cannot edit the
inline comments of a review once submitted, so a re-run
- posts no inline comment that is already on the pull request (same file, same suggestion, same
  findings: a hidden key in each comment; comments GitHub marks outdated do not count);
- when nothing new is to be said inline, updates the body of its latest review in place (PUT);
- otherwise posts a new review holding only the new comments and the current summary, then turns the
  body of its older review into a one-line "superseded" note, so one summary is current.
Suggestions of fixed findings are left alone: GitHub shows them as outdated once their lines change.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .._records import record
from ..api import Report, scan
from ..config import Config
from .client import Client, GitHubError
from .diff import parse_patch
from .review import COMMENT_KEY, MARKER, SUPERSEDED, Review, build_review

REPO = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


class PartlyPublished(GitHubError):
    """The review was posted but a follow-up call failed."""


@record
class Outcome:
    review: Review
    action: str  # what was done, for the user


def run(client: Client, repo: str, pr: int, commit: str | None, config: Config) -> Outcome:
    """Scan the working tree (the pull request's checkout) for the files the pull request changes."""
    files = client.paginate(f"/repos/{repo}/pulls/{pr}/files")
    diffs = {f["filename"]: parse_patch(f["filename"], f.get("patch")) for f in files if f.get("status") != "removed"}
    present = [path for path in diffs if Path(path).is_file()]
    report = scan(present, config) if present else Report()
    review = build_review(report, diffs)
    return Outcome(review, publish(client, repo, pr, commit, review))


def publish(client: Client, repo: str, pr: int, commit: str | None, review: Review) -> str:
    base = f"/repos/{repo}/pulls/{pr}"
    ours = [r for r in client.paginate(f"{base}/reviews") if MARKER in (r.get("body") or "")]
    posted = _posted_keys(client.paginate(f"{base}/comments")) if review.comments else set()
    new = [c for c in review.comments if (c.path, c.key) not in posted]

    if ours and not new:
        latest = max(ours, key=lambda r: int(r["id"]))
        if latest.get("body") == review.body:
            return f"review {latest['id']} is up to date"
        client.request("PUT", f"{base}/reviews/{latest['id']}", {"body": review.body})
        return f"updated review {latest['id']}"
    if not ours and review.empty:
        return "no findings in the changed files; no review posted"

    payload: dict[str, Any] = {"body": review.body, "event": "COMMENT", "comments": [c.payload() for c in new]}
    if commit:
        payload["commit_id"] = commit
    created = client.request("POST", f"{base}/reviews", payload)
    for old in ours:
        try:
            note = f"{SUPERSEDED}\n_Superseded by a newer iac-exposure review ({created['id']})._\n"
            client.request("PUT", f"{base}/reviews/{old['id']}", {"body": note})
        except GitHubError as exc:
            raise PartlyPublished(
                f"review {created['id']} was posted, but the older review was not updated: {exc}"
            ) from exc
    return f"posted review {created['id']} with {len(new)} inline suggestion(s)"


def _posted_keys(comments: list[dict[str, Any]]) -> set[tuple[str, str]]:
    keys = set()
    for comment in comments:
        match = COMMENT_KEY.search(comment.get("body") or "")
        if match and comment.get("line") is not None:  # GitHub nulls `line` when a comment is outdated
            keys.add((str(comment.get("path")), match.group(1)))
    return keys
