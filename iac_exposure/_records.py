"""Record classes: `@dataclass(frozen=True, slots=True)` and `@dataclass(slots=True)` without their start-up cost.

`dataclasses` compiles six methods per frozen class, one `exec` each (~1.7 ms a class on CPython 3.11, and the
package has over a hundred), and imports `inspect`. A record compiles nothing of its own: its `__init__` is compiled
once per shape (number of fields, frozen or not, which fields have a factory) and renamed for each class, and
equality, hashing, `repr`, pickling and the frozen guards are closures over an `operator.attrgetter` of the fields.
A frozen record's `__init__` stores through the slots' descriptors, quicker than a frozen dataclass's
`object.__setattr__` calls.

Behaviour follows dataclasses: fields of base records come first; a class attribute is the default (`field()` for
a factory or `repr=False`); `ClassVar` annotations are not fields; `__eq__` compares the field tuples of instances
of the very same class; frozen records hash that tuple, mutable ones are unhashable, `eq=False` keeps identity;
assigning to or deleting from a frozen record raises `FrozenInstanceError`; `__slots__`, `__match_args__`, the
`repr`. Instances pickle as `(cls, field values)`: unpickling calls the class. Not provided: `init=False`,
`compare=False`, `kw_only`, `InitVar`, ordering, and the generated `__doc__` (which needs `inspect`).
"""

from __future__ import annotations

import _thread
from collections.abc import Callable
from operator import attrgetter
from types import FunctionType
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, overload

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**_: Any) -> Callable[[Any], Any]:
        return lambda function: function


_T = TypeVar("_T")


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class FrozenInstanceError(AttributeError):
    """Assigning to or deleting a field of a frozen record."""


class Field:
    __slots__ = ("default", "default_factory", "name", "repr")

    def __init__(self, default: Any, default_factory: Any, repr: bool) -> None:
        self.name = ""
        self.default = default
        self.default_factory = default_factory
        self.repr = repr

    def __repr__(self) -> str:
        return (
            f"Field(name={self.name!r}, default={self.default!r}, default_factory={self.default_factory!r}, "
            f"repr={self.repr!r})"
        )


@overload
def field(*, default: _T, repr: bool = True) -> _T: ...
@overload
def field(*, default_factory: Callable[[], _T], repr: bool = True) -> _T: ...
@overload
def field(*, repr: bool = True) -> Any: ...
def field(*, default: Any = MISSING, default_factory: Any = MISSING, repr: bool = True) -> Any:
    """A field's default, default factory, or exclusion from `repr`, as `dataclasses.field`."""
    if default is not MISSING and default_factory is not MISSING:
        raise ValueError("cannot specify both default and default_factory")
    return Field(default, default_factory, repr)


@overload
def record(cls: type[_T], /) -> type[_T]: ...
@overload
def record(*, frozen: bool = True, eq: bool = True) -> Callable[[type[_T]], type[_T]]: ...
@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def record(cls: type[_T] | None = None, /, *, frozen: bool = True, eq: bool = True) -> Any:
    """Make `cls` a slotted record: `@record` is `@dataclass(frozen=True, slots=True)`, `@record(frozen=False)`
    is `@dataclass(slots=True)`, and `eq=False` keeps identity equality and hashing."""

    def wrap(cls: type[_T]) -> type[_T]:
        made: type[_T] = _process(cls, frozen, eq)
        return made

    return wrap if cls is None else wrap(cls)


def fields(obj: object) -> tuple[Field, ...]:
    """The fields of a record class or instance, in `__init__` order."""
    found: tuple[Field, ...] | None = getattr(obj, "__record_fields__", None)
    if found is None:
        raise TypeError("fields() needs a record class or instance")
    return found


def is_record(obj: object) -> bool:
    """Whether `obj` is a record class or an instance of one."""
    return hasattr(obj if isinstance(obj, type) else type(obj), "__record_fields__")


def replace(obj: _T, /, **changes: Any) -> _T:
    """A copy of the record `obj` with some fields changed, as `dataclasses.replace`."""
    cls: Any = type(obj)
    if not hasattr(cls, "__record_fields__"):
        raise TypeError("replace() needs a record instance")
    values = dict(zip(cls.__match_args__, cls.__record_values__(obj)))
    values.update(changes)
    result: _T = cls(**values)
    return result


def asdict(obj: object) -> dict[str, Any]:
    """The record `obj` as a dict, nested records, lists, tuples and dicts converted too, as `dataclasses.asdict`."""
    if isinstance(obj, type) or not is_record(obj):
        raise TypeError("asdict() needs a record instance")
    result: dict[str, Any] = _asdict(obj)
    return result


def _asdict(value: Any) -> Any:
    if not isinstance(value, type) and is_record(value):
        return {f.name: _asdict(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a named tuple takes its items positionally
        return type(value)(*[_asdict(v) for v in value])
    if isinstance(value, (list, tuple)):
        return type(value)(_asdict(v) for v in value)
    if isinstance(value, dict):
        return type(value)((_asdict(k), _asdict(v)) for k, v in value.items())
    import copy

    return copy.deepcopy(value)


def _process(cls: Any, frozen: bool, eq: bool) -> Any:
    all_fields: dict[str, Field] = {}
    for base in cls.__mro__[-1:0:-1]:
        inherited: tuple[Field, ...] | None = base.__dict__.get("__record_fields__")
        if inherited is not None:
            if base.__dict__["__record_frozen__"] != frozen:
                raise TypeError(f"{cls.__name__}: frozen and mutable records cannot inherit from one another")
            all_fields.update((f.name, f) for f in inherited)
    namespace = dict(cls.__dict__)
    own = []
    # the class's own annotations (Python >= 3.10); 3.14 computes them on access, so not from `__dict__`
    for name, annotation in cls.__annotations__.items():
        if _is_classvar(annotation):
            continue
        value = namespace.pop(name, MISSING)
        spec = value if isinstance(value, Field) else Field(value, MISSING, True)
        if spec.default is not MISSING and type(spec.default).__hash__ is None:
            raise ValueError(f"{cls.__name__}.{name}: a mutable default would be shared, use default_factory")
        spec.name = name
        all_fields[name] = spec
        own.append(name)
    specs = tuple(all_fields.values())
    _check_order(cls, specs)

    inherited_slots = {slot for base in cls.__mro__[1:-1] for slot in base.__dict__.get("__slots__", ())}
    namespace["__slots__"] = tuple(name for name in own if name not in inherited_slots)
    namespace.pop("__dict__", None)
    namespace.pop("__weakref__", None)
    parent = cls.__mro__[1].__dict__
    # a subclass with no field of its own keeps its parent's methods: they read the class of the instance
    same = parent.get("__record_fields__") == specs and parent.get("__record_eq__") == eq
    if not same:
        _add_methods(namespace, specs, frozen, eq)
    new = type(cls)(cls.__name__, cls.__bases__, namespace)
    new.__qualname__ = cls.__qualname__
    if not same and "__init__" not in namespace:
        new.__init__ = _make_init(new, specs, frozen)
    return new


def _add_methods(namespace: dict[str, Any], specs: tuple[Field, ...], frozen: bool, eq: bool) -> None:
    """All but `__init__` (it needs the class), as dataclasses adds them: what the class defines itself wins."""
    values = _values_getter(tuple(spec.name for spec in specs))
    methods: dict[str, Any] = {
        "__record_fields__": specs,
        "__record_frozen__": frozen,
        "__record_eq__": eq,
        "__record_values__": staticmethod(values),
        "__match_args__": tuple(spec.name for spec in specs),
        "__repr__": _make_repr(specs),
        "__reduce__": _make_reduce(values),
    }
    if eq:
        methods["__eq__"] = _make_eq(values)
        if namespace.get("__hash__", MISSING) is None and "__eq__" in namespace:
            del namespace["__hash__"]  # set by Python for a class that defines `__eq__`: not a choice of its own
        methods["__hash__"] = _make_hash(values) if frozen else None  # mutable: unhashable, as with dataclasses
    if frozen:
        methods["__setattr__"] = _frozen_setattr
        methods["__delattr__"] = _frozen_delattr
    for name, value in methods.items():
        namespace.setdefault(name, value)


def _is_classvar(annotation: Any) -> bool:
    if isinstance(annotation, str):  # `from __future__ import annotations`
        return annotation.startswith(("ClassVar", "typing.ClassVar", "t.ClassVar"))
    return annotation is ClassVar or getattr(annotation, "__origin__", None) is ClassVar


def _check_order(cls: type, specs: tuple[Field, ...]) -> None:
    seen_default = False
    for spec in specs:
        has_default = spec.default is not MISSING or spec.default_factory is not MISSING
        if seen_default and not has_default:
            raise TypeError(f"{cls.__name__}: non-default argument {spec.name!r} follows default argument")
        seen_default = seen_default or has_default


def _values_getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The field values as a tuple, whatever their number (`attrgetter` of one name returns the bare value)."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return lambda obj: ()


class _Factory:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()  # the default of a parameter whose field has a default factory
_init_templates: dict[tuple[int, bool, tuple[int, ...]], Any] = {}


def _make_init(cls: Any, specs: tuple[Field, ...], frozen: bool) -> Callable[..., None]:
    """A plain function with the fields as parameters, keywords included, is the fastest way in; a frozen record
    stores through the slots' descriptors (the class refuses `setattr`). The code is compiled once per shape
    (number of fields, frozen, which have factories) and renamed for each class: `compile` is the cost of a
    dataclass, and the shapes are few."""
    names = [spec.name for spec in specs]
    factories = tuple(i for i, spec in enumerate(specs) if spec.default_factory is not MISSING)
    template = _init_template(len(specs), frozen, factories)
    rename = {"self": "__record_self__" if "self" in names else "self"}
    scope: dict[str, Any] = {"__record_FACTORY": _FACTORY}
    defaults = []
    for i, spec in enumerate(specs):
        rename[f"__record_arg{i}"] = rename[f"__record_attr{i}"] = spec.name
        if frozen:
            scope[f"__record_set{i}"] = getattr(cls, spec.name).__set__
        if spec.default_factory is not MISSING:
            scope[f"__record_factory{i}"] = spec.default_factory
            defaults.append(_FACTORY)
        elif spec.default is not MISSING:
            defaults.append(spec.default)
    code = template.replace(
        co_varnames=tuple(rename.get(name, name) for name in template.co_varnames),
        co_names=tuple(rename.get(name, name) for name in template.co_names),
    )
    init: Callable[..., None] = FunctionType(code, scope, "__init__", tuple(defaults) or None)
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    return init


def _init_template(count: int, frozen: bool, factories: tuple[int, ...]) -> Any:
    key = (count, frozen, factories)
    code = _init_templates.get(key)
    if code is None:
        params = ["self"]
        body = []
        for i in range(count):
            params.append(f"__record_arg{i}")
            value = f"__record_arg{i}"
            if i in factories:
                value = f"__record_factory{i}() if {value} is __record_FACTORY else {value}"
            body.append(f"    __record_set{i}(self, {value})" if frozen else f"    self.__record_attr{i} = {value}")
        source = f"def __init__({', '.join(params)}):\n" + ("\n".join(body) or "    pass") + "\n"
        scope: dict[str, Any] = {}
        exec(compile(source, "<record __init__>", "exec"), scope)  # noqa: S102 - names only, no user input
        code = _init_templates[key] = scope["__init__"].__code__
    return code


_repr_running: set[tuple[int, int]] = set()


def _make_repr(specs: tuple[Field, ...]) -> Callable[[Any], str]:
    shown = tuple(spec.name for spec in specs if spec.repr)
    values = _values_getter(shown)
    names = tuple(f"{name}=" for name in shown)

    def __repr__(self: Any) -> str:
        key = (id(self), _thread.get_ident())
        if key in _repr_running:  # a record that contains itself
            return "..."
        _repr_running.add(key)
        try:
            fields = ", ".join([name + repr(value) for name, value in zip(names, values(self))])
        finally:
            _repr_running.discard(key)
        return f"{type(self).__qualname__}({fields})"

    return __repr__


def _make_eq(values: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any, Any], Any]:
    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return values(self) == values(other)
        return NotImplemented

    return __eq__


def _make_hash(values: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any], int]:
    def __hash__(self: Any) -> int:
        return hash(values(self))

    return __hash__


def _make_reduce(values: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any], tuple[Any, ...]]:
    def __reduce__(self: Any) -> tuple[Any, ...]:
        return (self.__class__, values(self))

    return __reduce__


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")
