"""A content-addressed cache of parsed files, so unchanged files are never parsed twice.

Keyed by a hash of the text, the parser, the tool's version and the entry format; written atomically
(temporary file and rename), so concurrent runs never see half a file; any unreadable entry is a miss.

An entry is not a pickle: unpickling our trees called Python code for every node, token and position
(~1.8 ms for a 4 KB file, and a pickle may run any code). The parsed blocks (`list[HclBlock]`, HCL or
JSON syntax) are flattened into lists of names and arrays of integers, serialised with `marshal` (C speed,
data only) behind a CRC, and rebuilt by one tight loop per file (see `_encode_hcl`). Token texts are not
stored: they are slices of the file's text. The SourceFile the blocks refer to is not stored either: it is
given back on load.
"""

from __future__ import annotations

import marshal
import os
import struct
import sys
import zlib
from array import array
from collections.abc import Callable
from itertools import repeat
from pathlib import Path
from typing import Any, TypeVar

from . import __version__
from .cache import sha256 as _sha256
from .limits import gc_paused
from .parsers.terraform_hcl import EmptyNode, HclAttribute, HclBlock, Node, Tok
from .source import SourceFile, Span

T = TypeVar("T")

MAX_BYTES = 256 * 1024 * 1024  # evict the least recently used entries beyond this
# part of every key: change it whenever the encoding below changes (marshal's format and the arrays' byte
# order are the interpreter's and the machine's)
FORMAT = f"marshal-1 {sys.version_info[0]}.{sys.version_info[1]} {sys.byteorder}"
_HEADER = struct.Struct("<4sI")  # magic, crc32 of the marshal payload
_MAGIC = b"IXPC"
_PICKLE_MAGIC = b"IXPK"  # other values (CloudFormation nodes): a pickle, checked by the same CRC
_MARSHAL_VERSION = 4


class ParseCache:
    def __init__(self, directory: Path, salt: str) -> None:
        self.directory = directory
        self.salt = f"{__version__}\0{FORMAT}\0{salt}"
        self.hits = self.misses = 0

    def entry(self, kind: str, file: SourceFile) -> Path:
        digest = _sha256(f"{self.salt}\0{kind}\0".encode() + file.text.encode("utf-8", "surrogatepass"))
        name = digest.hexdigest()
        return self.directory / name[:2] / name

    def get_or_parse(self, kind: str, file: SourceFile, parse: Callable[[SourceFile], T]) -> T:
        """`parse(file)`, or what it returned for the same text before. ParseErrors are not cached."""
        path = self.entry(kind, file)
        try:
            entry = path.read_bytes()
            with gc_paused():  # a file's tree is ~1,500 new containers: collect them once, after
                value: T = decode(entry, file)
        except Exception:  # noqa: BLE001 - missing, truncated, corrupt or foreign: parse instead
            self.misses += 1
            value = parse(file)
            self._store(path, value, file)
            return value
        self.hits += 1
        os.utime(path)  # recently used: evicted last
        return value

    def _store(self, path: Path, value: Any, file: SourceFile) -> None:
        try:
            data = encode(value, file)
        except Exception:  # noqa: BLE001 - not storable (another shape of value): parsed again next time
            return
        from .cache import write_atomic

        write_atomic(path, data)

    def evict(self, limit: int = MAX_BYTES) -> None:
        """Keep the cache under `limit` bytes, dropping the least recently used entries first."""
        from .cache import evict

        evict(self.directory, limit)


def parse_cache(config: Any, reader: str) -> ParseCache | None:
    """The cache a reader uses in this scan, or None when caching is off."""
    if not config.use_cache:
        return None
    from .cache import cache_dir

    return ParseCache((config.cache_dir or cache_dir()) / "parse", f"{reader}\0{_parser_fingerprint()}")


def _parser_fingerprint() -> str:
    """python-hcl2's version and grammar, and the fast parser's source (its trees are python-hcl2's), read
    without importing either (a cache hit must not pay for that)."""
    package = next((Path(p) / "hcl2" for p in sys.path if (Path(p) / "hcl2" / "hcl2.lark").is_file()), None)
    if package is None:
        return "no-hcl2"
    digest = _sha256(b"")
    for path in (package / "version.py", package / "hcl2.lark", Path(__file__).parent / "parsers" / "hcl_fast.py"):
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(path.name.encode())
    return str(digest.hexdigest())


# -- the entry format --------------------------------------------------------------------------------------


class _Unstorable(Exception):
    """A value this format does not represent exactly: it is not cached."""


def encode(value: Any, file: SourceFile) -> bytes:
    """An entry for `value`: a list of HclBlocks of `file` in the marshal format; anything else (a
    CloudFormation template's nodes) pickled, with `file` left out. Raises when neither can store it."""
    try:
        data = marshal.dumps(_encode(value, file), _MARSHAL_VERSION)
        magic = _MAGIC
    except (_Unstorable, ValueError):
        data, magic = _pickled(value, file), _PICKLE_MAGIC
    return _HEADER.pack(magic, zlib.crc32(data)) + data


def decode(entry: bytes, file: SourceFile) -> Any:
    """The value `encode` stored, its spans pointing at `file`. Raises on anything but an intact entry."""
    magic, crc = _HEADER.unpack_from(entry)
    data = memoryview(entry)[_HEADER.size :]
    if magic not in (_MAGIC, _PICKLE_MAGIC) or zlib.crc32(data) != crc:
        raise ValueError("not an entry of this format, or damaged")
    if magic == _PICKLE_MAGIC:
        return _unpickled(data, file)
    payload = marshal.loads(data)
    if type(payload) is not tuple or len(payload) != 3:
        raise ValueError("not an entry of this format")
    kind, exprs, blocks = payload
    if kind == "hcl":
        roots = _decode_hcl(file.text, *exprs)
    elif kind == "json":
        roots = _decode_json(*exprs)
    else:
        raise ValueError(f"unknown kind {kind!r}")
    return _decode_blocks(file, roots, *blocks)


def _encode(value: Any, file: SourceFile) -> tuple[Any, ...]:
    if type(value) is not list:
        raise _Unstorable(type(value).__name__)
    names: list[str] = []
    exprs: list[Any] = []
    attr_starts: list[int] = []
    attr_ends: list[int] = []
    types: list[str] = []
    labels: list[tuple[str, ...]] = []
    n_attributes: list[int] = []
    n_blocks: list[int] = []
    starts: list[int] = []
    ends: list[int] = []
    # blocks in post-order (nested blocks before the block holding them), so a stack rebuilds them
    stack: list[tuple[Any, bool]] = [(block, False) for block in reversed(value)]
    while stack:
        block, done = stack.pop()
        if not done:
            if type(block) is not HclBlock or block.file is not file or type(block.blocks) is not list:
                raise _Unstorable("not a block of this file")
            stack.append((block, True))
            stack.extend((nested, False) for nested in reversed(block.blocks))
            continue
        for name, attribute in block.attributes.items():
            if type(attribute) is not HclAttribute or attribute.file is not file or attribute.name != name:
                raise _Unstorable("not an attribute of this file")
            names.append(name)
            exprs.append(attribute.expr)
            start, end = _span(attribute.span, file)
            attr_starts.append(start)
            attr_ends.append(end)
        if type(block.labels) is not tuple:
            raise _Unstorable("labels")
        types.append(block.type)
        labels.append(block.labels)
        n_attributes.append(len(block.attributes))
        n_blocks.append(len(block.blocks))
        start, end = _span(block.span, file)
        starts.append(start)
        ends.append(end)
    blocks = (
        names,
        *map(_pack, (attr_starts, attr_ends)),
        types,
        labels,
        *map(_pack, (n_attributes, n_blocks, starts, ends)),
    )
    if all(type(e) in (Node, EmptyNode, Tok) for e in exprs):
        return ("hcl", _encode_hcl(exprs, file.text), blocks)
    return ("json", _encode_json(exprs), blocks)


def _span(span: Any, file: SourceFile) -> tuple[int, int]:
    if type(span) is not Span or span.file is not file:
        raise _Unstorable("not a span of this file")
    return span.start, span.end


def _decode_blocks(
    file: SourceFile,
    exprs: list[Any],
    names: list[str],
    attr_starts: Any,
    attr_ends: Any,
    types: list[str],
    labels: list[tuple[str, ...]],
    *packed: Any,
) -> list[HclBlock]:
    starts_, ends_ = _unpack(attr_starts), _unpack(attr_ends)
    n_attributes, n_blocks, starts, ends = (_unpack(p, signed=i > 1) for i, p in enumerate(packed))
    if not len(names) == len(exprs) == len(starts_) == len(ends_) == sum(n_attributes):
        raise ValueError("attribute count")
    spans = list(map(Span, repeat(file), starts_, ends_))
    attributes = list(map(HclAttribute, names, exprs, spans, repeat(file)))
    stack: list[HclBlock] = []
    first = 0
    for type_, labels_, n_attrs, n_nested, start, end in zip(
        types, labels, n_attributes, n_blocks, starts, ends, strict=True
    ):
        if n_nested:
            if n_nested > len(stack):
                raise ValueError("block count")
            nested = stack[-n_nested:]
            del stack[-n_nested:]
        else:
            nested = []
        last = first + n_attrs
        body = dict(zip(names[first:last], attributes[first:last]))
        first = last
        stack.append(HclBlock(type_, labels_, body, nested, Span(file, start, end), file))
    return stack


# HCL expressions: every node and token of the file's attribute expressions in one sequence where each
# node comes after its children, its children are consecutive, and the runs of children of successive
# nodes are consecutive too (breadth-first from the expressions with children visited right to left, then
# reversed). Rebuilding is one loop: a token is made from its offsets, a node takes the next run of the
# items made so far. The expressions themselves are the last items, in attribute order.

_TOKEN = -1  # `counts` of a token whose text is file.text[start:end] (all of them, in practice)
_TOKEN_TEXT = -2  # of a token whose text is stored


def _encode_hcl(exprs: list[Any], text: str) -> tuple[Any, ...]:
    intern: dict[str, str] = {}
    canon = intern.setdefault  # one object per distinct name: marshal stores it once, loads share it
    labels: list[str] = []  # a node's rule, a token's type
    starts: list[int] = []
    ends: list[int] = []
    counts: list[int] = []  # a node's number of children, or _TOKEN, _TOKEN_TEXT
    texts: list[str] = []
    empty: list[int] = []
    queue = exprs[::-1]
    i = 0
    while i < len(queue):
        item = queue[i]
        i += 1
        cls = type(item)
        if cls is Node or cls is EmptyNode:
            children = item.children
            if type(children) is not list:
                raise _Unstorable("children")
            queue.extend(reversed(children))
        elif cls is not Tok:
            raise _Unstorable(f"not a parse-tree item: {cls.__name__}")
    for k, item in enumerate(reversed(queue)):
        start, end = item.start_pos, item.end_pos
        starts.append(start)
        ends.append(end)
        if type(item) is Tok:
            labels.append(canon(item.type, item.type))
            if text[start:end] == item:
                counts.append(_TOKEN)
            else:
                counts.append(_TOKEN_TEXT)
                texts.append(str(item))
        else:
            labels.append(canon(item.data, item.data))
            counts.append(len(item.children))
            if type(item) is EmptyNode:
                empty.append(k)
    return (len(exprs), labels, _pack(starts), _pack(ends), _pack(counts), texts, empty)


def _decode_hcl(
    text: str, n_roots: int, labels: list[str], starts: Any, ends: Any, counts: Any, texts: list[str], empty: list[int]
) -> list[Any]:
    new = object.__new__
    remaining = iter(texts)
    stored = remaining.__next__
    items: list[Any] = []
    append = items.append
    taken = 0  # items already given to a node as its children
    for label, start, end, count in zip(labels, _unpack(starts), _unpack(ends), _unpack(counts), strict=True):
        if count < 0:
            tok = Tok(text[start:end] if count == _TOKEN else stored())
            tok.type = label
            tok.start_pos = start
            tok.end_pos = end
            append(tok)
        else:
            node = new(Node)
            node.data = label
            node.start_pos = start
            node.end_pos = end
            node.children = items[taken : taken + count]
            taken += count
            append(node)
    if taken + n_roots != len(items) or next(remaining, None) is not None:
        raise ValueError("item count")
    for k in empty:
        if type(items[k]) is not Node:
            raise ValueError("empty")
        items[k].__class__ = EmptyNode
    return items[len(items) - n_roots :]


def _pack(values: list[int]) -> tuple[str, bytes]:
    """Integers as the smallest machine array that holds them (the key names the byte order)."""
    low, high = min(values, default=0), max(values, default=0)
    for code in ("b", "h", "i", "q") if low < 0 else ("B", "H", "I", "Q"):
        limit = 1 << (8 * array(code).itemsize - (low < 0))
        if -limit <= low and high < limit:
            return code, array(code, values).tobytes()
    raise _Unstorable("integer too large")


def _unpack(packed: tuple[str, bytes], signed: bool = True) -> array[int]:
    code, data = packed
    if code not in ("bhiqBHIQ" if signed else "BHIQ"):
        raise ValueError("array type")
    return array(code, data)


# JSON syntax: JsonNodes in post-order (so a node's items and members are already built), each node once:
# in `*.tf.json` a nested block's attributes are the very nodes its parent's attribute holds. `refs` holds,
# node after node, the indices of its items, then of its members' keys and values.


def _encode_json(exprs: list[Any]) -> tuple[Any, ...]:
    from .parsers.terraform_json import JsonNode

    index: dict[int, int] = {}
    open_: set[int] = set()
    data: list[str] = []
    values: list[Any] = []
    starts: list[int] = []
    ends: list[int] = []
    literal: list[bool] = []
    n_items: list[int] = []
    n_members: list[int] = []
    refs: list[int] = []
    for expr in exprs:
        stack: list[tuple[Any, bool]] = [(expr, False)]
        while stack:
            node, done = stack.pop()
            key = id(node)
            if key in index:
                continue
            if done:
                open_.discard(key)
                index[key] = len(data)
                data.append(node.data)
                values.append(node.value)
                starts.append(node.start_pos)
                ends.append(node.end_pos)
                literal.append(node.literal)
                n_items.append(len(node.items))
                n_members.append(len(node.members))
                refs.extend(index[id(item)] for item in node.items)
                refs.extend(index[id(part)] for pair in node.members for part in pair)
                continue
            if type(node) is not JsonNode or key in open_ or type(node.literal) is not bool:
                raise _Unstorable("not a JSON tree")
            open_.add(key)
            stack.append((node, True))
            for pair in reversed(node.members):
                if type(pair) is not tuple or len(pair) != 2:
                    raise _Unstorable("member")
                stack.extend((part, False) for part in reversed(pair))
            stack.extend((item, False) for item in reversed(node.items))
    roots = [index[id(expr)] for expr in exprs]
    return (
        _pack(roots),
        data,
        values,
        _pack(starts),
        _pack(ends),
        literal,
        _pack(n_items),
        _pack(n_members),
        _pack(refs),
    )


def _decode_json(
    roots: Any,
    data: list[str],
    values: list[Any],
    starts: Any,
    ends: Any,
    literal: list[bool],
    n_items: Any,
    n_members: Any,
    refs: Any,
) -> list[Any]:
    from .parsers.terraform_json import JsonNode

    nodes: list[JsonNode] = []
    get = nodes.__getitem__
    ids = _unpack(refs, signed=False).tolist()
    first = 0
    for data_, value, start, end, literal_, items, members in zip(
        data, values, _unpack(starts), _unpack(ends), literal, _unpack(n_items), _unpack(n_members), strict=True
    ):
        last = first + items
        item_nodes = list(map(get, ids[first:last]))  # only nodes made already: post-order, or IndexError
        first, last = last, last + 2 * members
        parts = map(get, ids[first:last])
        first = last
        nodes.append(JsonNode(data_, value, start, end, item_nodes, list(zip(parts, parts)), literal_))
    if first != len(ids):
        raise ValueError("reference count")
    return list(map(get, _unpack(roots, signed=False)))


def _pickled(value: Any, file: SourceFile) -> bytes:
    import io
    import pickle

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj: Any) -> str | None:
            if obj is file:
                return "source-file"
            if isinstance(obj, SourceFile):
                raise _Unstorable("refers to another file")
            return None

    buffer = io.BytesIO()
    Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return buffer.getvalue()


def _unpickled(data: memoryview, file: SourceFile) -> Any:
    import io
    import pickle

    class Unpickler(pickle.Unpickler):
        def persistent_load(self, pid: Any) -> Any:
            if pid != "source-file":
                raise pickle.UnpicklingError(f"unknown persistent id {pid!r}")
            return file

    return Unpickler(io.BytesIO(data)).load()
