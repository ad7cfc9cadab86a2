"""The parse cache: a hit gives the same findings without importing the HCL parser; bad entries are misses."""

from __future__ import annotations

import marshal
import os
import pickle
import subprocess
import sys
import zlib
from array import array
from pathlib import Path
from typing import Any

import pytest

from iac_exposure import parse_cache
from iac_exposure.api import scan
from iac_exposure.config import Config
from iac_exposure.parse_cache import ParseCache, decode, encode
from iac_exposure.parsers import ParseError
from iac_exposure.parsers.terraform_hcl import EmptyNode, HclAttribute, HclBlock, Node, Tok, token
from iac_exposure.parsers.terraform_hcl import parse as parse_hcl
from iac_exposure.parsers.terraform_json import JsonNode, parse_tf_json
from iac_exposure.reporters.json import finding_dict
from iac_exposure.source import SourceFile, Span

STACK = "fixtures/terraform/stack"


def findings(config: Config) -> list[dict[str, object]]:
    return [finding_dict(r) for r in scan([STACK], config).results]


def test_a_hit_gives_the_same_findings(workdir: Path, tmp_path: Path) -> None:
    cached = Config(cache_dir=tmp_path / "c")
    cold = findings(cached)
    entries = list((tmp_path / "c" / "parse").rglob("*"))
    assert len([e for e in entries if e.is_file()]) == 5  # one per file of the module
    assert findings(cached) == cold == findings(Config(use_cache=False))


def test_corrupt_entries_are_misses(workdir: Path, tmp_path: Path) -> None:
    cached = Config(cache_dir=tmp_path / "c")
    cold = findings(cached)
    for entry in (tmp_path / "c" / "parse").rglob("*"):
        if entry.is_file():
            entry.write_bytes(entry.read_bytes()[:40])
    assert findings(cached) == cold


def test_no_cache_writes_nothing(workdir: Path, tmp_path: Path) -> None:
    findings(Config(cache_dir=tmp_path / "c", use_cache=False))
    assert not (tmp_path / "c").exists()


def test_a_hit_does_not_import_the_hcl_parser(workdir: Path, tmp_path: Path) -> None:
    env = {**os.environ, "IAC_EXPOSURE_CACHE_DIR": str(tmp_path / "c")}
    cmd = [sys.executable, "-X", "importtime", "-m", "iac_exposure", "scan", f"{STACK}/compute.tf"]

    def imported(quiet: str) -> set[str]:
        result = subprocess.run([*cmd, quiet], check=False, capture_output=True, text=True, env=env)
        assert result.returncode == 1, result.stderr[-2000:]
        return {line.split("|")[-1].strip() for line in result.stderr.splitlines() if "|" in line}

    cold = imported("--quiet")
    assert "iac_exposure.parsers.hcl_fast" in cold and "hcl2" not in cold  # python-hcl2 only when it gives up
    hit = imported("-q")  # other arguments: not a replay of the first run (replay.py), but every file is a hit
    assert "iac_exposure.cli" in hit
    assert not {"iac_exposure.parsers.hcl_fast", "hcl2", "lark"} & hit


@pytest.mark.parametrize("text", ['resource "x" "y" {\n', "\x00\x01"])
def test_parse_errors_are_not_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.chdir(tmp_path)
    Path("main.tf").write_text(text)
    for _ in range(2):
        report = scan(["."], Config(cache_dir=tmp_path / "c"))
        assert report.diagnostics and report.diagnostics[0].error


def test_parallel_parsing_gives_the_same_report(workdir: Path, tmp_path: Path) -> None:
    import shutil

    from iac_exposure.readers.terraform import PARALLEL_FROM

    copies = PARALLEL_FROM // 5 + 1
    for i in range(copies):
        shutil.copytree(workdir / STACK, workdir / "many" / f"stack{i:02}")
    one = scan(["many"], Config(cache_dir=tmp_path / "one", jobs=1))
    two = scan(["many"], Config(cache_dir=tmp_path / "two", jobs=2))
    assert one.files_scanned == two.files_scanned == 5 * copies
    assert [finding_dict(r) for r in one.results] == [finding_dict(r) for r in two.results]
    assert len(list((tmp_path / "two" / "parse").rglob("*.*"))) == 0  # no temporary files left behind
    assert len([p for p in (tmp_path / "two" / "parse").rglob("*") if p.is_file()]) == 5  # 5 distinct texts


# -- the entry format: what a hit gives back is what a parse gives -------------------------------------------

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TF_FILES = sorted(p for p in FIXTURES.rglob("*") if p.name.endswith((".tf", ".tf.json")))


def _shape(blocks: list[HclBlock], file: SourceFile) -> list[Any]:
    """Everything a consumer can read of parsed blocks, flattened; shared objects appear as the same key."""
    keys: dict[int, int] = {}

    def key(obj: object) -> int:
        return keys.setdefault(id(obj), len(keys))

    def expr(root: Any) -> list[Any]:
        out: list[Any] = []
        stack = [root]
        while stack:
            item = stack.pop()
            if isinstance(item, Node):
                meta = item.meta
                out.append((type(item).__name__, key(item), item.data, meta.start_pos, meta.end_pos, meta.empty))
                out.append(len(item.children))
                stack.extend(reversed(item.children))
            elif isinstance(item, Tok):
                out.append(("Tok", key(item), str(item), item.type, item.start_pos, item.end_pos))
            else:
                assert isinstance(item, JsonNode)
                value = item.value
                out.append(("JsonNode", key(item), item.data, type(value).__name__, value, item.start_pos))
                out.append((item.end_pos, item.literal, len(item.items), len(item.members)))
                stack.extend(reversed(item.items))
                stack.extend(reversed([part for pair in item.members for part in pair]))
        return out

    def block(b: HclBlock) -> tuple[Any, ...]:
        attributes = [
            (name, a.name, a.span.start, a.span.end, a.span.file is file, a.file is file, expr(a.expr))
            for name, a in b.attributes.items()
        ]
        span = (b.span.start, b.span.end, b.span.file is file, b.file is file)
        return (type(b).__name__, b.type, b.labels, span, attributes, [block(n) for n in b.blocks])

    return [block(b) for b in blocks]


def _fresh(path: Path) -> tuple[SourceFile, list[HclBlock]]:
    is_json = path.name.endswith(".json")
    file = SourceFile(path, path.read_text(encoding="utf-8"), "tf-json" if is_json else "hcl")
    return file, (parse_tf_json if is_json else parse_hcl)(file)


def _refuse(file: SourceFile) -> list[HclBlock]:
    raise AssertionError("a hit must not parse")


@pytest.mark.parametrize("path", TF_FILES, ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_a_hit_is_the_tree_a_parse_gives(path: Path, tmp_path: Path) -> None:
    try:
        file, blocks = _fresh(path)
    except ParseError:
        pytest.skip("does not parse")
    cache = ParseCache(tmp_path, "test")
    parser = parse_tf_json if path.name.endswith(".json") else parse_hcl
    assert _shape(cache.get_or_parse(file.format, file, parser), file) == _shape(blocks, file)
    again = SourceFile(path, file.text, file.format)  # another run: the same text, another SourceFile
    loaded = cache.get_or_parse(again.format, again, _refuse)
    assert (cache.hits, cache.misses) == (1, 1)
    assert _shape(loaded, again) == _shape(blocks, file)


JSON_WITH_NESTED_BLOCKS = """{
  "resource": {"aws_security_group": {"web": {
    "name": "web \\u00e9\\n",
    "ingress": [{"from_port": 22, "cidr_blocks": ["0.0.0.0/0"]}, {"from_port": 1.5e3, "self": true}],
    "dynamic": {"egress": {"for_each": "${var.rules}", "content": {"to_port": null}}},
    "//": "a comment"
  }}},
  "variable": {"v": {"default": {"a": ["${not.a.template}"]}}},
  "locals": {"x": "${var.v}", "big": 123456789012345678901234567890}
}
"""


def test_json_nodes_shared_between_blocks_stay_shared(tmp_path: Path) -> None:
    file = SourceFile(Path("main.tf.json"), JSON_WITH_NESTED_BLOCKS, "tf-json")
    blocks = parse_tf_json(file)
    group = blocks[0]
    assert group.blocks[0].attributes["from_port"].expr is group.attributes["ingress"].expr.items[0].members[0][1]
    again = SourceFile(file.path, file.text, file.format)
    loaded = decode(encode(blocks, file), again)
    assert _shape(loaded, again) == _shape(blocks, file)
    assert (
        loaded[0].blocks[0].attributes["from_port"].expr is loaded[0].attributes["ingress"].expr.items[0].members[0][1]
    )


def test_rare_tree_items_round_trip(tmp_path: Path) -> None:
    """An empty rule, a token whose text is not its source text, a token as a whole expression."""
    file = SourceFile(Path("a.tf"), 'a = "x"\nb = c\n', "hcl")
    odd = token("not the source", "STRING_CHARS", 5, 6)
    quote = token('"', "DBLQUOTE", 4, 5)
    string = Node("string", [quote, EmptyNode("string_part", [], 0, 0), odd], 4, 7)
    attributes = {
        "a": HclAttribute("a", string, Span(file, 0, 7), file),
        "b": HclAttribute("b", token("c", "NAME", 12, 13), Span(file, 8, 13), file),
        "e": HclAttribute("e", EmptyNode("expr_term", [], 0, 0), Span(file, 0, 0), file),
    }
    inner = HclBlock("inner", (), {}, [], Span(file, 1, 2), file)
    blocks = [HclBlock("x", ("l1", "l2"), attributes, [inner], Span(file, 0, 14), file)]
    again = SourceFile(file.path, file.text, file.format)
    loaded = decode(encode(blocks, file), again)
    assert _shape(loaded, again) == _shape(blocks, file)
    assert type(loaded[0].attributes["e"].expr) is EmptyNode


def test_values_that_refer_to_another_file_are_not_stored(tmp_path: Path) -> None:
    file = SourceFile(Path("a.tf"), "a = 1\n", "hcl")
    other = SourceFile(Path("b.tf"), "a = 1\n", "hcl")
    cache = ParseCache(tmp_path, "test")
    value = [HclBlock("x", (), {}, [], Span(other, 0, 1), other)]
    assert cache.get_or_parse("hcl", file, lambda f: value) is value
    assert not list(tmp_path.rglob("*"))


def test_other_values_are_pickled_with_their_file_left_out(tmp_path: Path) -> None:
    """A CloudFormation template's nodes are not HCL blocks: they are stored as a pickle, and come back
    pointing at the file they are loaded for."""
    file = SourceFile(Path("t.yaml"), "A: 1\n", "cfn-yaml")
    value = {"A": (1, Span(file, 3, 4))}
    cache = ParseCache(tmp_path, "test")
    assert cache.get_or_parse("template", file, lambda f: value) is value
    again = SourceFile(Path("t.yaml"), "A: 1\n", "cfn-yaml")
    loaded = cache.get_or_parse("template", again, lambda f: pytest.fail("a hit must not parse"))
    assert loaded == {"A": (1, Span(again, 3, 4))} and loaded["A"][1].file is again


def test_the_format_is_part_of_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    file = SourceFile(Path("a.tf"), "a = 1\n", "hcl")
    before = ParseCache(tmp_path, "test").entry("hcl", file)
    monkeypatch.setattr(parse_cache, "FORMAT", "another")
    assert ParseCache(tmp_path, "test").entry("hcl", file) != before


def _damaged(entry: bytes) -> list[bytes]:
    """Truncations, flipped bits, a foreign header, and well-formed payloads of the wrong shape."""
    header = parse_cache._HEADER
    payload = entry[header.size :]

    def sealed(data: bytes) -> bytes:
        return header.pack(parse_cache._MAGIC, zlib.crc32(data)) + data

    out = [b"", entry[:3], entry[: header.size], entry[:-1], b"x" + entry[1:], pickle.dumps([])]
    out += [entry[:n] for n in range(0, len(entry), max(1, len(entry) // 16))]
    for n in range(0, len(entry), max(1, len(entry) // 24)):
        flipped = bytearray(entry)
        flipped[n] ^= 0x10
        out.append(bytes(flipped))
    kind, exprs, blocks = marshal.loads(payload)

    nine_nested = ("B", bytes([9]) * len(array(*blocks[-3])))  # every block holding 9 blocks

    def bump(value: Any) -> Any:  # one root more (HCL), one fewer (JSON)
        return value + 1 if isinstance(value, int) else value[:-1]

    out += [
        sealed(marshal.dumps(None)),
        sealed(marshal.dumps(("hcl", (), ()))),
        sealed(marshal.dumps(("pickle", exprs, blocks))),
        sealed(marshal.dumps((kind, exprs[:-1], blocks))),
        sealed(marshal.dumps((kind, (bump(exprs[0]), *exprs[1:]), blocks))),
        sealed(marshal.dumps((kind, (exprs[0], exprs[1][:-1], *exprs[2:]), blocks))),
        sealed(marshal.dumps((kind, exprs, (blocks[0][:-1], *blocks[1:])))),
        sealed(marshal.dumps((kind, exprs, (*blocks[:-3], nine_nested, *blocks[-2:])))),
        sealed(payload[:-1]),
    ]
    if kind == "hcl":  # no node has children: items are left over
        counts = [-1 if c < 0 else 0 for c in array(*exprs[4])]
        out.append(sealed(marshal.dumps((kind, (*exprs[:4], ("b", array("b", counts).tobytes()), *exprs[5:]), blocks))))
    else:  # every reference to the last node, before it is made
        refs = array(*exprs[-1])
        last = array("I", [len(exprs[1]) - 1] * len(refs))
        out.append(sealed(marshal.dumps((kind, (*exprs[:-1], ("I", last.tobytes())), blocks))))
    return out


@pytest.mark.parametrize("name", ["terraform/stack/compute.tf", "terraform/imdsv1_allowed/json_syntax.tf.json"])
def test_every_damaged_entry_is_a_miss(name: str, tmp_path: Path) -> None:
    file, blocks = _fresh(FIXTURES / name)
    parser = parse_tf_json if name.endswith(".json") else parse_hcl
    cache = ParseCache(tmp_path, "test")
    cache.get_or_parse(file.format, file, parser)
    path = cache.entry(file.format, file)
    entry = path.read_bytes()
    assert decode(entry, file)
    for damaged in _damaged(entry):
        path.write_bytes(damaged)
        misses = cache.misses
        assert _shape(cache.get_or_parse(file.format, file, parser), file) == _shape(blocks, file)
        assert cache.misses == misses + 1
        assert path.read_bytes() == entry  # and the entry is written again, whole
