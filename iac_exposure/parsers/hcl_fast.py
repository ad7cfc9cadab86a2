"""A hand-written recursive-descent HCL parser that builds exactly the parse tree python-hcl2 8.1.4 builds.

python-hcl2 parses with Lark (LALR, contextual lexer, `hcl2/postlexer.py`, `propagate_positions=True`); that
costs ~230 ms of imports and grammar loading per process and ~20 ms per 4 KB file. This module imports only
`re` and parses the same text into the same tree: the same rule names, children, token types and texts, and
the same character offsets on every token and rule. It is written from the grammar (`hcl2/hcl2.lark`), with
the quirks of Lark's machinery reproduced:

* `parses_to_tree` parses `text + "\\n"`; offsets are into that text.
* Lark's lexer tries terminals in a fixed order and takes the first that matches, not the longest: `EQ` and
  `COLON` carry the spaces before them (`a = 1` has the token `" ="`), numbers win over `-` (`-12` is one
  literal, `-1` is a minus and a literal), `.` after an expression is tried as `...`, `.*`, then `.`.
* The postlexer merges a newline/comment token into a binary operator or `?` that follows it: the operator's
  text then starts with the newline, but its offsets are still the operator's own.
* LALR resolves shift/reduce conflicts as shifts, so a newline after a binary operation's right operand
  belongs to the innermost binary operation, and optional parts are taken greedily.

Whatever it cannot reproduce with certainty it refuses: `parse` returns None (a syntax error, or a construct
whose tokenization depends on the LALR state in a way this parser does not model, such as a keyword used as a
bare identifier) and the caller parses with python-hcl2, which also produces the error message. The test
`tests/test_hcl_fast.py` compares whole trees against Lark on fixtures, a corpus, mutated inputs and
generated HCL.

Trees are built through two factories so the caller chooses the node classes:
`node(data, children, start_pos, end_pos, empty)` and `token(text, type, start_pos, end_pos)`; a rule with
no tokens under it (only the `body` of an empty block) gets `empty=True` and offsets 0, 0.

Call it with the cyclic GC paused (`limits.gc_paused`, as `terraform_hcl._tree` does around Lark): the
young object graph of a big file otherwise makes the collector's passes dominate (5.2 MB: 51 s vs 5.6 s).
Nesting deeper than Python's recursion limit allows is given up on (RecursionError): Lark then parses it.
"""

from __future__ import annotations

import operator
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    NodeFactory = Callable[[str, list[Any], int, int, bool], Any]
    TokenFactory = Callable[[str, str, int, int], Any]
    Part = tuple[Any, int, int, int]  # a built node or token, its start and end offsets, its depth

# The terminals' regular expressions exactly as Lark compiles them from hcl2.lark (a test checks this).
NL_OR_COMMENT = "(?:\\/\\*(.|\n)*?(\\*\\/)|\\/\\/.*\n|#.*\n|\n[ \t]*)"
NAME = r"[a-zA-Z_][a-zA-Z0-9_-]*"
INT_LITERAL = r"(?:\-[0-9])?(?:[0-9])+"
FLOAT_LITERAL = (
    r"(?:(?:(?:\-[0-9])+|(?:\-[0-9])?(?:[0-9])+)\.(?:[0-9])+(?:(?:e|E)(?:(?:\+|\-))?(?:[0-9])+)?"
    r"|(?:(?:\-[0-9])+|(?:\-[0-9])?(?:[0-9])+)(?:e|E)(?:(?:\+|\-))?(?:[0-9])+)"
)
EQ = "[ \t]*=(?!=|>)"
COLON = "[ \t]*:(?!:)"
ESCAPED_INTERPOLATION = r"\$\$\{[^}]*\}"
ESCAPED_DIRECTIVE = r"%%\{[^}]*\}"
STRING_CHARS = r'(?:(?!\$\$\{)(?!\$\{)(?!%%\{)(?!%\{)[^"\\]|\\.|(?:\$(?!\$?\{))|(?:%(?!%?\{)))+'
TEMPLATE_STRING = r'\\\"(?:[^"\\\\]|\\\\.)*\\\"'
HEREDOC_TEMPLATE = "<<(?P<heredoc>[a-zA-Z][a-zA-Z0-9._-]*)\r?\n(?:(?:.|\n)*?\r?\n)??\\s*(?P=heredoc)\r?\n"
HEREDOC_TEMPLATE_TRIM = (
    "<<-(?P<heredoc_trim>[a-zA-Z][a-zA-Z0-9._-]*)\r?\n(?:(?:.|\n)*?\r?\n)??\\s*(?P=heredoc_trim)\r?\n"
)
IGNORE = "[ \t\r]+"

_nl = re.compile(NL_OR_COMMENT).match
_name = re.compile(NAME).match
_int = re.compile(INT_LITERAL).match
_float = re.compile(FLOAT_LITERAL).match
_eq = re.compile(EQ).match
_colon = re.compile(COLON).match
_esc_interp = re.compile(ESCAPED_INTERPOLATION).match
_esc_dir = re.compile(ESCAPED_DIRECTIVE).match
_string_chars = re.compile(STRING_CHARS).match
_template_string = re.compile(TEMPLATE_STRING).match
_heredoc = re.compile(HEREDOC_TEMPLATE).match
_heredoc_trim = re.compile(HEREDOC_TEMPLATE_TRIM).match
_ws = re.compile(IGNORE).match

KEYWORDS = {
    "if": "IF",
    "in": "IN",
    "for": "FOR",
    "for_each": "FOR_EACH",
    "else": "ELSE",
    "endif": "ENDIF",
    "endfor": "ENDFOR",
}
LITERALS = {"true": "TRUE", "false": "FALSE", "null": "NULL"}
DIRECTIVES = {"if": "IF", "else": "ELSE", "endif": "ENDIF", "for": "FOR", "endfor": "ENDFOR"}

# Binary operators by precedence level (0 binds loosest); the postlexer's OPERATOR_TYPES are these minus
# MINUS, plus QMARK.
_LEVEL = {
    "DOUBLE_PIPE": 0,
    "DOUBLE_AMP": 1,
    "DOUBLE_EQ": 2,
    "NEQ": 2,
    "LT": 3,
    "GT": 3,
    "LEQ": 3,
    "GEQ": 3,
    "PLUS": 4,
    "MINUS": 4,
    "ASTERISK": 5,
    "SLASH": 5,
    "PERCENT": 5,
}
_TERM = ("or", "and", "eq", "rel", "add", "mul")
_SPACE = " \t\r"
_WORD_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_NUMBER_START = frozenset("0123456789-")


_depth = operator.itemgetter(3)


class GiveUp(Exception):
    """The input is invalid, or valid in a way this parser does not reproduce: use Lark."""


def parse(
    text: str,
    node: NodeFactory | None = None,
    token: TokenFactory | None = None,
    max_depth: int | None = None,
) -> Any:
    """The tree `hcl2.parses_to_tree(text)` would return (its `start` rule), or None to leave `text` to Lark.

    With `max_depth`, also None when the tree is deeper than that: more rules on one root-to-leaf path,
    counting `start` as 1 and no tokens (the depth `terraform_hcl._compact` measures)."""
    parser = _Parser(text, node or _tuple_node, token or _tuple_token)
    try:
        tree, depth = parser.start()
    except (GiveUp, RecursionError, IndexError):
        return None
    if max_depth is not None and depth > max_depth:
        return None
    return tree


def _tuple_node(data: str, children: list[Any], start: int, end: int, empty: bool) -> Any:
    return (data, children, start, end, empty)


def _tuple_token(text: str, type_: str, start: int, end: int) -> Any:
    return (type_, text, start, end)


class _Parser:
    __slots__ = ("end", "make_node", "make_token", "op_at", "op_val", "pos", "s")

    def __init__(self, text: str, node: NodeFactory, token: TokenFactory) -> None:
        # Lark parses text + "\n"; the NUL after it is a sentinel no successful parse reaches.
        self.s = text + "\n\0"
        self.end = len(text) + 1
        self.pos = 0  # where the last token ended: the lexer resumes here
        self.make_node = node
        self.make_token = token
        self.op_at = -1  # memo of _op(), which every precedence level asks at the same offset
        self.op_val: tuple[str, str, int, int] | None = None

    # --- building -----------------------------------------------------------------------------------------

    def _tok(self, type_: str, text: str, start: int, end: int) -> Part:
        return (self.make_token(text, type_, start, end), start, end, 0)

    def _node(self, data: str, parts: list[Part]) -> Part:
        start = parts[0][1]
        end = parts[-1][2]
        depth = 1 + max(map(_depth, parts))
        return (self.make_node(data, [p[0] for p in parts], start, end, False), start, end, depth)

    def _wrap(self, data: str, part: Part) -> Part:
        return (self.make_node(data, [part[0]], part[1], part[2], False), part[1], part[2], part[3] + 1)

    def _leaf(self, data: str, type_: str, start: int, end: int) -> Part:
        tok = self.make_token(self.s[start:end], type_, start, end)
        return (self.make_node(data, [tok], start, end, False), start, end, 1)

    def _lexed(self, pattern: Callable[[str, int], re.Match[str] | None], data: str, type_: str, p: int) -> Part | None:
        """The token `pattern` matches at p as a leaf, moving past it; None if it does not match there."""
        m = pattern(self.s, p)
        if not m:
            return None
        self.pos = m.end()
        return self._leaf(data, type_, p, m.end())

    # --- lexing helpers -----------------------------------------------------------------------------------

    def _skip(self, p: int) -> int:
        """Past ignored whitespace (spaces, tabs, CR; never a newline)."""
        if self.s[p] in _SPACE:
            m = _ws(self.s, p)
            assert m is not None
            return m.end()
        return p

    def _punct(self, char: str, type_: str) -> Part:
        """The single-character token `char` next (after ignored whitespace), or give up."""
        s = self.s
        p = self.pos
        c = s[p]
        if c in _SPACE:
            p = _ws(s, p).end()  # type: ignore[union-attr]
            c = s[p]
        if c != char:
            raise GiveUp
        self.pos = p + 1
        return self._tok(type_, char, p, p + 1)

    def _at(self, char: str) -> int:
        """The offset of `char` if it is the next character after ignored whitespace, else -1."""
        s = self.s
        p = self.pos
        c = s[p]
        if c in _SPACE:
            p = _ws(s, p).end()  # type: ignore[union-attr]
            c = s[p]
        return p if c == char else -1

    def _eq_or_colon(self, allow_colon: bool) -> Part | None:
        """An EQ (or COLON) token here; Lark's EQ/COLON patterns take the spaces before them."""
        s = self.s
        p = self.pos
        m = _eq(s, p)
        if m is None:
            m = (allow_colon and _colon(s, p)) or None
            if m is None:
                q = self._skip(p)
                if q == p:
                    return None
                m = _eq(s, q) or (allow_colon and _colon(s, q)) or None
                if m is None:
                    return None
        self.pos = m.end()
        return self._tok("EQ" if s[m.end() - 1] == "=" else "COLON", m.group(), m.start(), m.end())

    def _colon_token(self) -> Part:
        s = self.s
        p = self.pos
        m = _colon(s, p) or _colon(s, self._skip(p))
        if not m:
            raise GiveUp
        self.pos = m.end()
        return self._tok("COLON", m.group(), m.start(), m.end())

    def _word(self) -> tuple[str, int, int] | None:
        """The NAME-pattern match next (after ignored whitespace): its text and offsets."""
        s = self.s
        p = self.pos
        c = s[p]
        if c in _SPACE:
            p = _ws(s, p).end()  # type: ignore[union-attr]
            c = s[p]
        if c not in _WORD_START:
            return None
        m = _name(s, p)
        return m.group(), p, m.end()  # type: ignore[union-attr]

    def _raw_op(self, q: int, after_nl: bool) -> tuple[str, int] | None:
        """The binary operator or `?` token starting at q (its type and end), if that is what Lark lexes
        there after an expression. Gives up where Lark's choice depends on the parser state."""
        s = self.s
        c = s[q]
        if c == "+":
            return "PLUS", q + 1
        if c == "*":
            return "ASTERISK", q + 1
        if c == "?":
            return "QMARK", q + 1
        if c == "=":
            return ("DOUBLE_EQ", q + 2) if s[q + 1] == "=" else None
        if c == "!":
            return ("NEQ", q + 2) if s[q + 1] == "=" else None
        if c == "<":
            if s[q + 1] == "<" and (_heredoc(s, q) or _heredoc_trim(s, q)):
                raise GiveUp  # a heredoc or `<` depending on the state's terminals
            return ("LEQ", q + 2) if s[q + 1] == "=" else ("LT", q + 1)
        if c == ">":
            return ("GEQ", q + 2) if s[q + 1] == "=" else ("GT", q + 1)
        if c == "&":
            return ("DOUBLE_AMP", q + 2) if s[q + 1] == "&" else None
        if c == "|":
            return ("DOUBLE_PIPE", q + 2) if s[q + 1] == "|" else None
        if c == "/":
            return None if _nl(s, q) else ("SLASH", q + 1)
        if c == "%":
            if s[q + 1] == "{":
                raise GiveUp
            return "PERCENT", q + 1
        if c == "-" and not after_nl:
            if _float(s, q) or _int(s, q):
                raise GiveUp  # Lark lexes a negative number here if the state accepts one
            return "MINUS", q + 1
        return None

    def _op(self) -> tuple[str, str, int, int] | None:
        """The binary operator or `?` next after an expression: type, text (with a newline/comment the
        postlexer merged into it), start and end. Not consumed."""
        p = self.pos
        if p == self.op_at:
            return self.op_val
        s = self.s
        q = p
        c = s[q]
        if c in _SPACE:
            q = _ws(s, q).end()  # type: ignore[union-attr]
            c = s[q]
        result = None
        if c == "\n" or c == "#" or c == "/":
            m = _nl(s, q)
            if m:
                r = self._skip(m.end())
                op = self._raw_op(r, True)
                if op is not None:
                    result = (op[0], m.group() + s[r : op[1]], r, op[1])
            else:
                op = self._raw_op(q, False)
                if op is not None:
                    result = (op[0], s[q : op[1]], q, op[1])
        else:
            op = self._raw_op(q, False)
            if op is not None:
                result = (op[0], s[q : op[1]], q, op[1])
        self.op_at = p
        self.op_val = result
        return result

    def _newlines(self, after_expr: bool = False) -> Part | None:
        """A new_line_or_comment node of the newline/comment tokens next, if any; a token the postlexer
        merges into a following operator is left for the operator."""
        s = self.s
        p = self.pos
        c = s[p]
        if c in _SPACE:
            c = s[_ws(s, p).end()]  # type: ignore[union-attr]
        if c != "\n" and c != "#" and c != "/":
            return None
        toks: list[Part] = []
        while True:
            q = p
            c = s[q]
            if c in _SPACE:
                q = _ws(s, q).end()  # type: ignore[union-attr]
                c = s[q]
            if c != "\n" and c != "#" and c != "/":
                break
            m = _nl(s, q)
            if not m:
                break
            end = m.end()
            r = end
            c = s[r]
            if c in _SPACE:
                r = _ws(s, r).end()  # type: ignore[union-attr]
                c = s[r]
            if c in "+*?=!<>&|/%":
                if c == "<" and not after_expr and s[r + 1] == "<":
                    pass  # at an expression's start `<<` can only be a heredoc (or an error)
                elif self._raw_op(r, True) is not None:
                    break
            toks.append((self.make_token(m.group(), "NL_OR_COMMENT", q, end), q, end, 0))
            p = end
        if not toks:
            return None
        self.pos = p
        return self._node("new_line_or_comment", toks)

    # --- structure ----------------------------------------------------------------------------------------

    def start(self) -> tuple[Any, int]:
        """The `start` rule and the tree's depth."""
        body = self._body(top=True)
        if self._skip(self.pos) != self.end:
            raise GiveUp
        obj, start, end, depth = body
        if start < 0:
            return self.make_node("start", [obj], 0, 0, True), depth + 1
        return self.make_node("start", [obj], start, end, False), depth + 1

    def _body(self, top: bool = False) -> Part:
        parts: list[Part] = []
        nl = self._newlines()
        while True:
            if nl is not None:
                parts.append(nl)
            item = self._item()
            if item is None:
                break
            parts.append(item)
            nl = self._newlines()
        if not parts:
            return (self.make_node("body", [], 0, 0, True), -1, -1, 1)
        return self._node("body", parts)

    def _name_part(self, word: tuple[str, int, int]) -> Part:
        """An `_attribute_name` (or block label) word: identifier, keyword or literal_value."""
        text, start, end = word
        self.pos = end
        type_ = KEYWORDS.get(text)
        if type_ is not None:
            return self._leaf("keyword", type_, start, end)
        type_ = LITERALS.get(text)
        if type_ is not None:
            return self._leaf("literal_value", type_, start, end)
        return self._leaf("identifier", "NAME", start, end)

    def _item(self) -> Part | None:
        word = self._word()
        if word is None:
            return None
        parts = [self._name_part(word)]
        eq = self._eq_or_colon(allow_colon=False)
        if eq is not None:
            parts.append(eq)
            parts.append(self._expression())
            return self._node("attribute", parts)
        while True:  # a block: labels, then `{ body }`
            label = self._word()
            if label is not None:
                parts.append(self._name_part(label))
                continue
            p = self._at('"')
            if p < 0:
                break
            self.pos = p
            parts.append(self._string())
        nl = self._newlines()
        if nl is not None:
            parts.append(nl)
        parts.append(self._punct("{", "LBRACE"))
        parts.append(self._body())
        parts.append(self._punct("}", "RBRACE"))
        return self._node("block", parts)

    # --- expressions --------------------------------------------------------------------------------------

    def _expression(self) -> Part:
        cond = self._binary(0)
        op = self._op()
        if op is None or op[0] != "QMARK":
            return cond
        parts = [cond, self._take_op(op)]
        self._optional_nl(parts)
        parts.append(self._expression())
        self._optional_nl(parts, after_expr=True)
        parts.append(self._colon_token())
        self._optional_nl(parts)
        parts.append(self._expression())
        return self._node("conditional", parts)

    def _take_op(self, op: tuple[str, str, int, int]) -> Part:
        type_, text, start, end = op
        self.pos = end
        return self._tok(type_, text, start, end)

    def _optional_nl(self, parts: list[Part], after_expr: bool = False) -> None:
        nl = self._newlines(after_expr)
        if nl is not None:
            parts.append(nl)

    def _binary(self, min_level: int) -> Part:
        return self._climb(self._unary(), min_level)

    def _climb(self, left: Part, min_level: int) -> Part:
        """Binary operations (left-associative, by precedence) continuing from `left`."""
        max_level = 5
        while True:
            op = self._op()
            if op is None:
                return left
            level = _LEVEL.get(op[0], -1)
            if level < min_level:
                return left
            if level > max_level:
                # Only after a newline the last binary_op took (an operator binding tighter would have
                # been taken by its right operand): `a || b\n- c` is a syntax error for the grammar.
                raise GiveUp
            operator = self._wrap("binary_operator", self._take_op(op))
            term = [operator]
            self._optional_nl(term)
            term.append(self._climb(self._unary(), level + 1))
            parts = [left, self._node("binary_term", term)]
            self._optional_nl(parts, after_expr=True)
            left = self._node("binary_op", parts)
            max_level = level

    def _unary(self) -> Part:
        s = self.s
        p = self._skip(self.pos)
        c = s[p]
        if c == "!" or (c == "-" and not (_float(s, p) or _int(s, p))):
            self.pos = p + 1
            operator = self._tok("NOT" if c == "!" else "MINUS", c, p, p + 1)
            return self._node("unary_op", [operator, self._expr_term()])
        return self._expr_term()

    def _expr_term(self) -> Part:
        p = self._skip(self.pos)
        if self.s[p] == "(":  # `( expression )` is an expr_term of its own, not a rule under one
            self.pos = p
            parts = [self._punct("(", "LPAR")]
            self._optional_nl(parts)
            parts.append(self._expression())
            self._optional_nl(parts, after_expr=True)
            parts.append(self._punct(")", "RPAR"))
            term = self._node("expr_term", parts)
        else:
            term = self._wrap("expr_term", self._primary())
        return self._postfix(term)

    def _primary(self) -> Part:
        """What an expr_term wraps, before any index, attribute or splat."""
        s = self.s
        p = self._skip(self.pos)
        c = s[p]
        if c in _WORD_START:
            m = _name(s, p)
            assert m is not None
            text, end = m.group(), m.end()
            type_ = LITERALS.get(text)
            if type_ is not None:
                self.pos = end
                return self._leaf("literal_value", type_, p, end)
            if text in KEYWORDS:
                raise GiveUp  # lexed as NAME or as the keyword depending on the LALR state
            self.pos = end
            ident = self._leaf("identifier", "NAME", p, end)
            q = self._skip(end)
            if s[q] == "(" or (s[q] == ":" and s[q + 1] == ":"):
                return self._function_call(ident)
            return ident
        if c == '"':
            self.pos = p
            return self._string()
        if c == "[":
            self.pos = p
            return self._tuple()
        if c == "{":
            self.pos = p
            return self._object()
        leaf = None
        if c in _NUMBER_START:
            leaf = self._lexed(_float, "float_lit", "FLOAT_LITERAL", p) or self._lexed(
                _int, "int_lit", "INT_LITERAL", p
            )
        elif c == "<":
            trim = self._lexed(_heredoc_trim, "heredoc_template_trim", "HEREDOC_TEMPLATE_TRIM", p)
            leaf = trim or self._lexed(_heredoc, "heredoc_template", "HEREDOC_TEMPLATE", p)
        elif c == "\\":
            leaf = self._lexed(_template_string, "template_string", "TEMPLATE_STRING", p)
        if leaf is None:
            raise GiveUp
        return leaf

    def _function_call(self, ident: Part) -> Part:
        parts = [ident]
        s = self.s
        q = self._skip(self.pos)
        if s[q] == ":":  # provider::name::function
            for _ in range(2):
                q = self._skip(self.pos)
                if s[q : q + 2] != "::":
                    raise GiveUp
                parts.append(self._tok("COLONS", "::", q, q + 2))
                self.pos = q + 2
                word = self._word()
                if word is None:
                    raise GiveUp
                parts.append(self._leaf("identifier", "NAME", word[1], word[2]))
                self.pos = word[2]
        parts.append(self._punct("(", "LPAR"))
        self._optional_nl(parts)
        if self._at(")") < 0:
            args = [self._expression()]
            while True:
                nl = self._newlines(after_expr=True)
                q = self._skip(self.pos)
                if s[q] == ",":
                    comma = self._tok("COMMA", ",", q, q + 1)
                    self.pos = q + 1
                    nl2 = self._newlines()
                    if self._at(")") >= 0:  # a trailing comma: `(COMMA | ELLIPSIS)? NL?`, no NL before it
                        if nl is not None:
                            raise GiveUp
                        args.append(comma)
                        if nl2 is not None:
                            args.append(nl2)
                        break
                    if nl is not None:
                        args.append(nl)
                    args.append(comma)
                    if nl2 is not None:
                        args.append(nl2)
                    args.append(self._expression())
                    continue
                if s[q : q + 3] == "...":
                    if nl is not None:
                        raise GiveUp
                    args.append(self._tok("ELLIPSIS", "...", q, q + 3))
                    self.pos = q + 3
                    self._optional_nl(args)
                elif nl is not None:
                    args.append(nl)
                break
            parts.append(self._node("arguments", args))
        parts.append(self._punct(")", "RPAR"))
        return self._node("function_call", parts)

    def _postfix(self, term: Part) -> Part:
        s = self.s
        while True:
            q = self.pos
            c = s[q]
            if c in _SPACE:
                q = _ws(s, q).end()  # type: ignore[union-attr]
                c = s[q]
            if c == ".":
                if s[q + 1] == ".":
                    if s[q + 2] == ".":
                        return term  # ELLIPSIS
                    raise GiveUp
                if s[q + 1] == "*":
                    self.pos = q + 2
                    splat = self._splat("attr_splat", self._tok("ATTR_SPLAT", ".*", q, q + 2))
                    inner = self._node("attr_splat_expr_term", [term, splat])
                else:
                    is_attr, access = self._dot(q)
                    kind = "get_attr_expr_term" if is_attr else "index_expr_term"
                    inner = self._node(kind, [term, access])
            elif c == "[":
                if s[q + 1] == "*" and s[q + 2] == "]":
                    self.pos = q + 3
                    splat = self._splat("full_splat", self._tok("FULL_SPLAT_START", "[*]", q, q + 3))
                    inner = self._node("full_splat_expr_term", [term, splat])
                else:
                    self.pos = q
                    inner = self._node("index_expr_term", [term, self._braces_index()])
            else:
                return term
            term = self._wrap("expr_term", inner)

    def _dot(self, q: int) -> tuple[bool, Part]:
        """`.name`, `.true` (get_attr) or `.0` (short_index) at q."""
        dot = self._tok("DOT", ".", q, q + 1)
        self.pos = q + 1
        s = self.s
        p = self._skip(self.pos)
        c = s[p]
        if c in _WORD_START:
            m = _name(s, p)
            assert m is not None
            self.pos = m.end()
            type_ = LITERALS.get(m.group())
            if type_ is not None:
                name = self._leaf("literal_value", type_, p, m.end())
            else:
                name = self._leaf("identifier", "NAME", p, m.end())
            return True, self._node("get_attr", [dot, name])
        m = _int(s, p)
        if m:
            self.pos = m.end()
            return False, self._node("short_index", [dot, self._tok("INT_LITERAL", m.group(), p, m.end())])
        raise GiveUp

    def _braces_index(self) -> Part:
        parts = [self._punct("[", "LSQB")]
        self._optional_nl(parts)
        parts.append(self._expression())
        self._optional_nl(parts, after_expr=True)
        parts.append(self._punct("]", "RSQB"))
        return self._node("braces_index", parts)

    def _splat(self, data: str, start: Part) -> Part:
        parts = [start]
        s = self.s
        while True:
            q = self._skip(self.pos)
            c = s[q]
            if c == ".":
                if s[q + 1] == "." or s[q + 1] == "*":
                    break
                parts.append(self._dot(q)[1])
            elif c == "[":
                if s[q + 1] == "*" and s[q + 2] == "]":
                    break
                self.pos = q
                parts.append(self._braces_index())
            else:
                break
        return self._node(data, parts)

    def _tuple(self) -> Part:
        lsqb = self._punct("[", "LSQB")
        nl = self._newlines()
        word = self._word()
        if word is not None and word[0] == "for":
            return self._for_tuple(lsqb, nl)
        parts = [lsqb]
        if nl is not None:
            parts.append(nl)
        while self._at("]") < 0:
            parts.append(self._expression())
            self._optional_nl(parts, after_expr=True)
            p = self._at(",")
            if p < 0:
                break
            parts.append(self._tok("COMMA", ",", p, p + 1))
            self.pos = p + 1
            self._optional_nl(parts)
        parts.append(self._punct("]", "RSQB"))
        return self._node("tuple", parts)

    def _object(self) -> Part:
        lbrace = self._punct("{", "LBRACE")
        nl = self._newlines()
        word = self._word()
        if word is not None and word[0] == "for":
            s = self.s
            after = word[2]
            q = self._skip(after)
            if not (_eq(s, after) or _colon(s, after) or _eq(s, q) or _colon(s, q)):
                return self._for_object(lbrace, nl)  # else `for` is an object key: `{ for = 1 }`
        parts = [lbrace]
        if nl is not None:
            parts.append(nl)
        while self._at("}") < 0:
            parts.append(self._object_elem())
            self._optional_nl(parts, after_expr=True)
            p = self._at(",")
            if p >= 0:
                parts.append(self._tok("COMMA", ",", p, p + 1))
                self.pos = p + 1
                self._optional_nl(parts)
        parts.append(self._punct("}", "RBRACE"))
        return self._node("object", parts)

    def _object_elem(self) -> Part:
        word = self._word()
        if word is not None and word[0] in KEYWORDS:
            self.pos = word[2]
            key = self._wrap("object_elem_key", self._leaf("keyword", KEYWORDS[word[0]], word[1], word[2]))
        else:
            key = self._wrap("object_elem_key", self._expression())
        sep = self._eq_or_colon(allow_colon=True)
        if sep is None:
            raise GiveUp
        return self._node("object_elem", [key, sep, self._expression()])

    def _keyword(self, text: str, type_: str) -> Part:
        word = self._word()
        if word is None or word[0] != text:
            raise GiveUp
        self.pos = word[2]
        return self._tok(type_, text, word[1], word[2])

    def _loop_variable(self) -> Part:
        """An identifier after `for` or its comma: the state accepts NAME only, so a keyword's text is a NAME
        there (unless blank lines before it made Lark lex it in another state: not reproduced)."""
        word = self._word()
        if word is None or word[0] in KEYWORDS or word[0] in LITERALS:
            raise GiveUp
        self.pos = word[2]
        return self._leaf("identifier", "NAME", word[1], word[2])

    def _for_intro(self) -> Part:
        parts = [self._keyword("for", "FOR")]
        self._optional_nl(parts)
        parts.append(self._loop_variable())
        p = self._at(",")
        if p >= 0:
            parts.append(self._tok("COMMA", ",", p, p + 1))
            self.pos = p + 1
            parts.append(self._loop_variable())
        self._optional_nl(parts)
        parts.append(self._keyword("in", "IN"))
        self._optional_nl(parts)
        parts.append(self._expression())
        self._optional_nl(parts, after_expr=True)
        parts.append(self._colon_token())
        self._optional_nl(parts)
        return self._node("for_intro", parts)

    def _for_cond(self, parts: list[Part]) -> None:
        word = self._word()
        if word is not None and word[0] == "if":
            cond = [self._keyword("if", "IF")]
            self._optional_nl(cond)
            cond.append(self._expression())
            parts.append(self._node("for_cond", cond))
            self._optional_nl(parts, after_expr=True)

    def _for_tuple(self, lsqb: Part, nl: Part | None) -> Part:
        parts = [lsqb]
        if nl is not None:
            parts.append(nl)
        parts.append(self._for_intro())
        self._optional_nl(parts)
        parts.append(self._expression())
        self._optional_nl(parts, after_expr=True)
        self._for_cond(parts)
        parts.append(self._punct("]", "RSQB"))
        return self._node("for_tuple_expr", parts)

    def _for_object(self, lbrace: Part, nl: Part | None) -> Part:
        parts = [lbrace]
        if nl is not None:
            parts.append(nl)
        parts.append(self._for_intro())
        self._optional_nl(parts)
        parts.append(self._expression())
        p = self._skip(self.pos)
        if self.s[p : p + 2] != "=>":
            raise GiveUp
        parts.append(self._tok("FOR_OBJECT_ARROW", "=>", p, p + 2))
        self.pos = p + 2
        self._optional_nl(parts)
        parts.append(self._expression())
        self._optional_nl(parts, after_expr=True)
        p = self._skip(self.pos)
        if self.s[p : p + 3] == "...":
            parts.append(self._tok("ELLIPSIS", "...", p, p + 3))
            self.pos = p + 3
            self._optional_nl(parts)
        self._for_cond(parts)
        parts.append(self._punct("}", "RBRACE"))
        return self._node("for_object_expr", parts)

    # --- strings ------------------------------------------------------------------------------------------

    def _string(self) -> Part:
        s = self.s
        p = self.pos
        parts = [self._tok("DBLQUOTE", '"', p, p + 1)]
        p += 1
        while True:
            c = s[p]
            if c == '"':
                break
            m = None
            if c == "$":
                m = _esc_interp(s, p)
                type_ = "ESCAPED_INTERPOLATION"
            elif c == "%":
                m = _esc_dir(s, p)
                type_ = "ESCAPED_DIRECTIVE"
            if not m:
                m = _string_chars(s, p)
                type_ = "STRING_CHARS"
            if m:
                end = m.end()
                parts.append(self._wrap("string_part", self._tok(type_, m.group(), p, end)))
                p = end
                continue
            if c == "$" and s[p + 1] == "{":
                self.pos = p + 2
                inner = [self._tok("INTERP_START", "${", p, p + 2), self._expression(), self._punct("}", "RBRACE")]
                parts.append(self._wrap("string_part", self._node("interpolation", inner)))
            elif c == "%" and s[p + 1] == "{":
                self.pos = p + 2
                parts.append(self._wrap("string_part", self._directive(self._tok("DIRECTIVE_START", "%{", p, p + 2))))
            else:
                raise GiveUp
            p = self.pos
        self.pos = p + 1
        parts.append(self._tok("DBLQUOTE", '"', p, p + 1))
        return self._node("string", parts)

    def _strip_marker(self, parts: list[Part]) -> None:
        p = self._at("~")
        if p >= 0:
            parts.append(self._tok("STRIP_MARKER", "~", p, p + 1))
            self.pos = p + 1

    def _directive(self, start: Part) -> Part:
        parts = [start]
        self._strip_marker(parts)
        word = self._word()
        if word is None or word[0] not in DIRECTIVES:
            raise GiveUp  # Lark's lexer would match a keyword prefix of this word, or nothing
        text = word[0]
        parts.append(self._keyword(text, DIRECTIVES[text]))
        if text == "if":
            parts.append(self._expression())
        elif text == "for":
            parts.append(self._loop_variable())
            p = self._at(",")
            if p >= 0:
                parts.append(self._tok("COMMA", ",", p, p + 1))
                self.pos = p + 1
                parts.append(self._loop_variable())
            parts.append(self._keyword("in", "IN"))
            parts.append(self._expression())
        self._strip_marker(parts)
        parts.append(self._punct("}", "RBRACE"))
        kind = {
            "if": "template_if_start",
            "else": "template_else",
            "endif": "template_endif",
            "for": "template_for_start",
            "endfor": "template_endfor",
        }[text]
        return self._node(kind, parts)
