"""`iac-exposure github-review` against a GitHub REST stand-in on 127.0.0.1 (tests/github_server.py).

The pull request is real: a git repository with a base commit and a head commit; the files and `patch`
hunks the server lists come from `git diff`, as GitHub computes them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml
from click.testing import CliRunner

from iac_exposure.api import scan
from iac_exposure.cli import main
from iac_exposure.config import Config
from iac_exposure.github import review as review_module
from iac_exposure.github.client import Client, GitHubError
from iac_exposure.github.diff import FileDiff, parse_patch
from iac_exposure.github.review import MARKER, SUPERSEDED, build_review

from .github_server import TOKEN, FakeGitHub, PullRequest

REPO, NUMBER = "octo/infra", 7
BASE = {
    "infra/compute.tf": """\
resource "aws_instance" "web" {
  ami                    = "ami-0123456789abcdef0"
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.private.id
  vpc_security_group_ids = [aws_security_group.web.id]

  metadata_options {
    http_tokens = "required"
  }
}
""",
    "infra/network.tf": """\
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_subnet" "private" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.1.0/24"
}
""",
    "infra/security.tf": """\
resource "aws_security_group" "web" {
  name   = "web"
  vpc_id = aws_vpc.main.id

  ingress {
    description = "SSH"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"]
  }

  ingress {
    description = "HTTPS"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
""",
    "infra/old.tf": 'resource "aws_eip" "old" {\n  domain = "vpc"\n}\n',
    "README.md": "# infra\n",
}
BASTION = """\
resource "aws_instance" "bastion" {
  ami                    = "ami-0123456789abcdef0"
  instance_type          = "t3.micro"
  vpc_security_group_ids = [aws_security_group.bastion.id]
}

resource "aws_security_group" "bastion" {
  name = "bastion"

  ingress {
    description = "RDP"
    from_port   = 3389
    to_port     = 3389
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"""
# what the pull request adds on top of BASE; None deletes the file
HEAD: dict[str, str | None] = {
    "infra/security.tf": BASE["infra/security.tf"].replace('["10.0.0.0/8"]', '["0.0.0.0/0"]'),
    "infra/old.tf": None,
    "README.md": "# infra\n\nBastion host for operators.\n",
    "infra/bastion.tf": BASTION,
    "infra/outputs.tf": 'output "bastion_id" {\n  value = aws_instance.bastion.id\n}\n',
}
_GIT_STATUS = {"A": "added", "M": "modified", "D": "removed"}
_CLAIM = re.compile(r"^- \*\*[A-Z]+\*\* `([a-z0-9-]+)` on `([^`]+)`:", re.MULTILINE)
_SUGGESTION = re.compile(r"^(`{3,})suggestion\n(.*?)^\1$", re.MULTILINE | re.DOTALL)


def git(cwd: Path, *args: str) -> str:
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    return subprocess.run(["git", *identity, *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def write(root: Path, files: dict[str, str | None]) -> None:
    for name, text in files.items():
        path = root / name
        if text is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, PullRequest]]:
    """The pull request's head checked out (the working directory), and the pull request as GitHub lists it."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    write(root, dict(BASE))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    write(root, HEAD)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "bastion")
    files = []
    for row in git(root, "diff", "--name-status", "HEAD~1", "HEAD").splitlines():
        status, name = row.split("\t")
        diff = git(root, "diff", "HEAD~1", "HEAD", "--", name)
        files.append({"filename": name, "status": _GIT_STATUS[status], "patch": diff[diff.index("@@") :]})
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(root)
    yield root, PullRequest(REPO, NUMBER, git(root, "rev-parse", "HEAD").strip(), files)


@pytest.fixture
def github(checkout: tuple[Path, PullRequest]) -> Iterator[FakeGitHub]:
    server = FakeGitHub(checkout[1])
    yield server
    server.close()


def review(server: FakeGitHub, *extra: str, token: str = TOKEN, pr: int = NUMBER) -> tuple[int, str, str]:
    args = ["github-review", "--repo", REPO, "--pr", str(pr), "--api-url", server.url, *extra]
    result = CliRunner().invoke(main, args, env={"GITHUB_TOKEN": token, "GITHUB_API_URL": None})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def claims(body: str) -> set[tuple[str, str]]:
    return set(_CLAIM.findall(body))


def suggestion(body: str) -> str:
    match = _SUGGESTION.search(body)
    assert match, body
    return match.group(2)


def test_one_review_with_suggestions_inline_and_the_rest_in_a_table(
    checkout: tuple[Path, PullRequest], github: FakeGitHub
) -> None:
    pr = checkout[1]
    code, out, err = review(github, "--commit", pr.head_sha)
    assert code == 0, err
    assert "posted review 1001 with 2 inline suggestion(s)" in out

    # every request carried what GitHub requires (the server also refuses requests without it)
    for request in github.requests:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert request.headers["accept"] == "application/vnd.github+json"
        assert request.headers["x-github-api-version"] == "2022-11-28"
    # five changed files, two per page: three pages followed through the Link headers
    pages = [r.query.get("page", "1") for r in github.requests if r.path.endswith("/files")]
    assert pages == ["1", "2", "3"]

    writes = github.writes()
    assert [(w.method, w.path) for w in writes] == [("POST", f"/repos/{REPO}/pulls/{NUMBER}/reviews")]
    posted = writes[0].body
    assert posted["event"] == "COMMENT" and posted["commit_id"] == pr.head_sha
    comments = sorted(posted["comments"], key=lambda c: c["line"])
    assert [(c["path"], c.get("start_line"), c["line"], c["side"]) for c in comments] == [
        ("infra/bastion.tf", None, 5, "RIGHT"),  # the instance's closing brace: two insertions before it
        ("infra/bastion.tf", 15, 17, "RIGHT"),  # the CIDR line through the new variable at the end
    ]
    assert claims(comments[0]["body"]) == {("imdsv1-allowed", "aws_instance.bastion"), ("public-ip", "aws_instance.bastion"),
                                           ("internet-reachable", "aws_instance.bastion")}  # fmt: skip
    assert claims(comments[1]["body"]) == {
        ("remote-access-open", "aws_instance.bastion"), ("open-security-group", "aws_instance.bastion")}  # fmt: skip
    assert suggestion(comments[0]["body"]) == (
        '  associate_public_ip_address = false\n  metadata_options {\n    http_tokens = "required"\n  }\n}\n'
    )
    assert "brute-forced" in comments[1]["body"]  # why the trait matters, from its docs
    assert "- **Unsafe fix:** Restrict the source CIDR" in comments[1]["body"]

    body = posted["body"]
    assert body.startswith(MARKER)
    assert "8 findings in the changed files" in body
    assert "5 findings with a suggested change inline (2 comments)" in body
    rows = [line for line in body.splitlines() if line.startswith("| high |")]
    # SSH opened on a changed line, but its patch also declares the input in bastion.tf: not one suggestion;
    # HTTPS is on a line the pull request did not touch
    assert [re.findall(r"`([^`]+)`", row)[:3] for row in rows] == [
        ["open-security-group", "aws_instance.web", "infra/security.tf:10"],
        ["remote-access-open", "aws_instance.web", "infra/security.tf:10"],
        ["open-security-group", "aws_instance.web", "infra/security.tf:18"],
    ]
    assert "```diff\n--- a/infra/bastion.tf" in body and "+++ b/infra/security.tf" in body
    assert len(github.pr.reviews) == 1 and len(github.pr.comments) == 2


def test_each_suggestion_applied_clears_exactly_its_findings(
    checkout: tuple[Path, PullRequest], github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = checkout
    assert review(github)[0] == 0
    assert len(github.pr.comments) == 2
    for comment in github.pr.comments:
        copy = tmp_path / f"applied-{comment['id']}"
        shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".git"))
        monkeypatch.chdir(copy)
        before = {(r.finding.trait.id, r.finding.resource.address) for r in scan([comment["path"]], Config()).results}

        path = copy / comment["path"]
        lines = path.read_text().splitlines(keepends=True)
        first, last = comment["start_line"] or comment["line"], comment["line"]
        replacement = suggestion(comment["body"])
        path.write_text("".join([*lines[: first - 1], replacement, *lines[last:]]))  # as GitHub commits it

        hcl2.parses_to_tree(path.read_text())
        after = {(r.finding.trait.id, r.finding.resource.address) for r in scan([comment["path"]], Config()).results}
        fixed = claims(comment["body"])
        assert fixed and fixed <= before
        # cutting any link of a path (the open CIDR here) also clears the reachability it made
        cut = {k for k in before - fixed - after if k[0] == "internet-reachable"}
        assert after == before - fixed - cut, comment["body"]


def test_a_rerun_updates_the_review_instead_of_duplicating_it(
    checkout: tuple[Path, PullRequest], github: FakeGitHub
) -> None:
    assert review(github)[0] == 0
    first = github.pr.reviews[0]

    code, out, _ = review(github)  # nothing changed: nothing written
    assert code == 0 and f"review {first['id']} is up to date" in out
    assert len(github.writes()) == 1

    first["body"] = MARKER + "\nan older summary\n"
    code, out, _ = review(github)  # same comments, different summary: the body is updated in place
    assert code == 0 and f"updated review {first['id']}" in out
    put = github.writes()[-1]
    assert (put.method, put.path) == ("PUT", f"/repos/{REPO}/pulls/{NUMBER}/reviews/{first['id']}")
    assert put.body["body"].startswith(MARKER) and "8 findings" in put.body["body"]
    assert len(github.pr.reviews) == 1 and len(github.pr.comments) == 2

    github.pr.comments[0]["line"] = None  # GitHub outdated this comment: the suggestion is posted again
    code, out, _ = review(github)
    assert code == 0 and "with 1 inline suggestion(s)" in out
    post, supersede = github.writes()[-2:]
    assert post.method == "POST" and [c["body"] for c in post.body["comments"]] == [github.pr.comments[0]["body"]]
    assert (supersede.method, supersede.path) == ("PUT", f"/repos/{REPO}/pulls/{NUMBER}/reviews/{first['id']}")
    assert [MARKER in r["body"] for r in github.pr.reviews] == [False, True]
    assert github.pr.reviews[0]["body"].startswith(SUPERSEDED)


def test_no_findings_no_review(checkout: tuple[Path, PullRequest], github: FakeGitHub) -> None:
    github.pr.files = [f for f in github.pr.files if f["filename"] in ("README.md", "infra/outputs.tf")]
    code, out, _ = review(github)
    assert code == 0 and "no review posted" in out
    assert github.writes() == []


def _rate_reset() -> str:
    return str(int(time.time()) + 120)


_403 = (
    "(HTTP 403: Resource not accessible by integration): the token needs read access to the repository and write "
    "access to pull requests (`pull-requests: write`)"
)
_RATE = (
    "GitHub rate limit reached on GET /repos/octo/infra/pulls/7/files (HTTP 403: API rate limit exceeded for "
    "installation ID 1.); retry in 1"  # 120 s from now, give or take a second
)
_SECONDARY = (
    "GitHub rate limit reached on GET /repos/octo/infra/pulls/7/reviews (HTTP 429: You have exceeded a secondary "
    "rate limit.); retry in 30 s"
)
_404 = (
    "GitHub found nothing at GET /repos/octo/infra/pulls/7/files (HTTP 404: Not Found): check --repo and --pr, and "
    "that the token can see the repository"
)


@pytest.mark.parametrize(
    ("setup", "token", "expected"),
    [
        (None, "ghs_wrong", "GitHub rejected the token (HTTP 401: Bad credentials): check GITHUB_TOKEN"),
        (("POST", "/reviews", 403, {"message": "Resource not accessible by integration"}, {}), TOKEN, _403),
        (("GET", "/files", 403, {"message": "API rate limit exceeded for installation ID 1."},
          {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "RESET"}), TOKEN, _RATE),
        (("GET", "/reviews", 429, {"message": "You have exceeded a secondary rate limit."}, {"Retry-After": "30"}),
         TOKEN, _SECONDARY),
        (("GET", "/files", 404, {"message": "Not Found"}, {}), TOKEN, _404),
    ],
)  # fmt: skip
def test_api_errors_are_explained_and_nothing_is_posted(
    github: FakeGitHub, setup: tuple[str, str, int, Any, dict[str, str]] | None, token: str, expected: str
) -> None:
    if setup is not None:
        method, path, status, body, headers = setup
        github.fail(method, path, status, body, {k: _rate_reset() if v == "RESET" else v for k, v in headers.items()})
    code, _, err = review(github, token=token)
    assert code == 2
    assert expected in err and err.rstrip().endswith("nothing was posted"), err
    assert "ghs_" not in err  # the token is never echoed
    assert github.pr.reviews == [] and github.pr.comments == []
    assert len(github.writes()) <= 1  # at most the one review, refused


def test_a_review_github_refuses_is_one_request_and_no_comments(
    checkout: tuple[Path, PullRequest], github: FakeGitHub
) -> None:
    code, _, err = review(github, "--commit", "0" * 40)
    assert code == 2
    assert "GitHub rejected POST /repos/octo/infra/pulls/7/reviews (HTTP 422: Unprocessable Entity " \
           "(commit_id is not part of the pull request))" in err  # fmt: skip
    assert [w.method for w in github.writes()] == ["POST"]
    assert github.pr.reviews == [] and github.pr.comments == []


def test_unknown_pull_request(github: FakeGitHub) -> None:
    code, _, err = review(github, pr=8)
    assert code == 2 and "HTTP 404" in err and "check --repo and --pr" in err


def test_token_and_repo_are_required(github: FakeGitHub) -> None:
    result = CliRunner().invoke(main, ["github-review", "--repo", REPO, "--pr", "7"], env={"GITHUB_TOKEN": None})
    assert result.exit_code == 2 and "GITHUB_TOKEN is not set" in result.stderr
    code, _, err = review(github, "--repo", "not-a-repo")
    assert code == 2 and "OWNER/NAME" in err


def test_pagination_never_follows_a_link_to_another_host(github: FakeGitHub) -> None:
    github.fail("GET", "/files", 200, [], {"Link": '<http://attacker.example/steal?page=2>; rel="next"'})
    with pytest.raises(GitHubError, match="pagination link points outside"):
        Client(github.url, TOKEN).paginate(f"/repos/{REPO}/pulls/{NUMBER}/files")
    assert all(r.path.startswith("/repos/") for r in github.requests)


def test_unreachable_api(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(GitHubError, match="cannot reach the GitHub API at http://127.0.0.1"):
        Client(f"http://127.0.0.1:{port}", TOKEN, timeout=5).paginate("/repos/o/r/pulls/1/files")


@pytest.mark.parametrize(
    ("patch", "added", "hunks"),
    [
        (None, set(), ()),
        ("@@ -0,0 +1,3 @@\n+a\n+b\n+c", {1, 2, 3}, ((1, 3),)),
        ("@@ -7,7 +7,7 @@ resource\n     x\n     y\n     z\n-    a\n+    b\n   }\n \n   i", {10}, ((7, 13),)),
        ("@@ -1,2 +1 @@\n-gone\n kept", set(), ((1, 1),)),
        ("@@ -3,0 +4,2 @@\n+n1\n+n2\n@@ -20,2 +22,3 @@\n c\n+n3\n c\n\\ No newline at end of file", {4, 5, 23},
         ((4, 5), (22, 24))),
        ("@@ -1,3 +0,0 @@\n-a\n-b\n-c", set(), ()),
        ("@@ -1,3 +1,3 @@\n a\n\n-b\n+c", {3}, ((1, 3),)),  # a blank context line whose space was stripped
    ],
)  # fmt: skip
def test_parse_patch(patch: str | None, added: set[int], hunks: tuple[tuple[int, int], ...]) -> None:
    diff = parse_patch("f.tf", patch)
    assert diff.added == added and diff.hunks == hunks


SG_FAR_FROM_END = """\
resource "aws_security_group" "ssh" {
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
""" + "".join(f'\nresource "aws_eip" "e{i}" {{\n  domain = "vpc"\n}}\n' for i in range(5))


def _changed_cidr_line(context: int) -> FileDiff:
    """sg.tf as a pull request that changed only line 6 (the CIDR), with `context` lines around it."""
    lines = SG_FAR_FROM_END.splitlines()
    first, last = max(1, 6 - context), min(len(lines), 6 + context)
    body = [("+" if n == 6 else " ") + lines[n - 1] for n in range(first, last + 1)]
    return parse_patch("sg.tf", f"@@ -{first},{last - first} +{first},{last - first + 1} @@\n" + "\n".join(body))


@pytest.mark.parametrize(("context", "inline"), [(3, False), (40, True)])
def test_a_suggestion_must_fit_in_one_hunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, context: int, inline: bool
) -> None:
    """The SSH fix also declares a variable at the end of the file: with the usual three lines of context
    that is outside the hunk, so the findings go to the review body; inside it, they get one suggestion."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sg.tf").write_text(SG_FAR_FROM_END)
    report = scan(["sg.tf"], Config())
    assert {r.finding.trait.id for r in report.results} == {"remote-access-open", "open-security-group"}
    built = build_review(report, {"sg.tf": _changed_cidr_line(context)})
    assert len(built.comments) == int(inline)
    assert len(built.inline) == (2 if inline else 0) and len(built.listed) == (0 if inline else 2)
    if inline:
        assert (built.comments[0].first, built.comments[0].last) == (6, SG_FAR_FROM_END.count("\n"))


def test_a_long_body_drops_the_patch_then_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sg.tf").write_text(SG_FAR_FROM_END)
    report = scan(["sg.tf"], Config())
    diffs = {"sg.tf": _changed_cidr_line(3)}
    full = build_review(report, diffs).body
    assert "```diff" in full
    monkeypatch.setattr(review_module, "BODY_LIMIT", len(full) - 1)
    shorter = build_review(report, diffs).body
    assert "```diff" not in shorter and shorter.count("| high |") == 2
    monkeypatch.setattr(review_module, "BODY_LIMIT", len(shorter) - 1)
    shortest = build_review(report, diffs).body
    assert shortest.count("| high |") == 1 and "…and 1 more finding:" in shortest


def _as_new_file(path: str, text: str) -> FileDiff:
    lines = text.splitlines()
    return parse_patch(path, f"@@ -0,0 +1,{len(lines)} @@\n" + "\n".join("+" + line for line in lines))


def test_a_removal_is_an_empty_suggestion_and_applying_it_clears_the_finding(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    iam = "fixtures/terraform/stack/iam.tf"
    report = scan([iam], Config())
    built = build_review(report, {iam: _as_new_file(iam, Path(iam).read_text())})
    [comment] = built.comments
    assert claims(comment.body) == {("iam-admin-policy", "aws_instance.web")}
    assert suggestion(comment.body) == ""  # GitHub deletes the lines of an empty suggestion
    removed = Path(iam).read_text().splitlines(keepends=True)[comment.first - 1 : comment.last]
    assert removed[0].startswith('resource "aws_iam_role_policy_attachment" "web_admin"') and removed[-1] == "\n"

    lines = Path(iam).read_text().splitlines(keepends=True)
    Path(iam).write_text("".join(lines[: comment.first - 1] + lines[comment.last :]))
    hcl2.parses_to_tree(Path(iam).read_text())
    assert scan([iam], Config()).results == []


ACTION = Path(__file__).resolve().parent.parent / "action.yml"


def _action_steps() -> list[dict[str, Any]]:
    action = yaml.safe_load(ACTION.read_text())
    assert action["runs"]["using"] == "composite"
    steps: list[dict[str, Any]] = action["runs"]["steps"]
    return steps


def test_action_passes_inputs_through_the_environment_only() -> None:
    for step in _action_steps():
        if "run" in step:
            assert step["shell"] == "bash"
            assert "${{" not in step["run"], step["name"]  # expressions spliced into a script can inject code


def test_action_review_step_runs_the_review(
    checkout: tuple[Path, PullRequest], github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The action's review step, run by bash as the runner would, with the variables GitHub sets."""
    step = next(s for s in _action_steps() if "github-review" in s.get("run", ""))
    assert set(step["env"]) == {"GITHUB_TOKEN", "PR_NUMBER", "COMMIT"}
    bin_dir = str(Path(sys.executable).parent)  # where this environment's `iac-exposure` script is
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": github.url,
        "GITHUB_TOKEN": TOKEN, "PR_NUMBER": str(NUMBER), "COMMIT": checkout[1].head_sha,
    }  # fmt: skip
    run = subprocess.run(["bash", "-c", step["run"]], env=env, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert "posted review" in run.stdout
    assert [w.method for w in github.writes()] == ["POST"]
    assert github.writes()[0].body["commit_id"] == checkout[1].head_sha

    run = subprocess.run(["bash", "-c", step["run"]], env={**env, "PR_NUMBER": ""}, capture_output=True, text=True,
                         check=False)  # fmt: skip
    assert run.returncode == 2 and "::error title=iac-exposure::no pull request number" in run.stdout


def test_the_repository_config_file_governs_the_review(checkout: tuple[Path, PullRequest], github: FakeGitHub) -> None:
    (checkout[0] / ".iac-exposure.toml").write_text('ignore = ["public-ip", "imdsv1-allowed"]\n')
    assert review(github)[0] == 0
    posted = github.writes()[0].body
    assert [claims(c["body"]) for c in posted["comments"]] == [
        {("internet-reachable", "aws_instance.bastion")},  # its public IP, now alone in that suggestion
        {("remote-access-open", "aws_instance.bastion"), ("open-security-group", "aws_instance.bastion")}]  # fmt: skip
    assert "6 findings in the changed files" in posted["body"]
