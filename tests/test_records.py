"""Records behave as the dataclasses they replace: each behaviour checked against a dataclass twin."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

import pytest

from iac_exposure._records import FrozenInstanceError, asdict, field, fields, is_record, record, replace
from iac_exposure.model.values import Origin, Sourced
from iac_exposure.source import SourceFile, Span

T = TypeVar("T")


@record
class Point:
    x: int
    y: int = 0
    LIMIT: ClassVar[int] = 10  # not a field


@dataclasses.dataclass(frozen=True, slots=True)
class DcPoint:
    x: int
    y: int = 0


@record
class Base:
    address: str
    span: int | None


@record
class Child(Base):
    kind: str
    tags: tuple[str, ...] = ()


@record
class Override(Base):
    span: int | None = None  # a base field given a default: it keeps its place


@record
class Further(Override):
    note: str = ""


@record
class Boxed(Generic[T]):
    value: T | None
    key: str = ""


class BoxedAgain(Boxed[Any]):
    """No field of its own, as `evaluator.Failed`."""


BoxedAgain = record(BoxedAgain)  # type: ignore[misc]


@record(frozen=False)
class Bag:
    name: str
    items: list[int] = field(default_factory=list)
    cache: dict[str, int] = field(default_factory=dict, repr=False)


@record(frozen=False)
class Cell:
    value: int


@record(frozen=False, eq=False)
class Handle:
    name: str


@record
class Nested:
    point: Point
    points: list[Point]
    table: dict[str, Point]


def test_init_takes_positions_keywords_and_defaults() -> None:
    assert (Point(1).x, Point(1).y) == (1, 0)
    assert Point(y=2, x=1) == Point(1, 2)
    with pytest.raises(TypeError):
        Point()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Point(1, 2, 3)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Point(1, z=3)  # type: ignore[call-arg]


def test_fields_of_bases_come_first() -> None:
    child = Child("a", 1, "k")
    assert [f.name for f in fields(Child)] == ["address", "span", "kind", "tags"]
    assert (child.address, child.span, child.kind, child.tags) == ("a", 1, "k", ())
    assert Child.__match_args__ == ("address", "span", "kind", "tags")
    assert Child.__slots__ == ("kind", "tags")  # type: ignore[attr-defined]  # the base's slots are not repeated
    assert isinstance(child, Base)


def test_a_redeclared_field_keeps_its_place_and_slot_and_takes_the_newest_default() -> None:
    assert [f.name for f in fields(Further)] == ["address", "span", "note"]
    assert Override.__slots__ == ()  # type: ignore[attr-defined]
    assert Further("a") == Further("a", None, "")
    assert Override("a", 1).span == 1


def test_classvars_are_not_fields() -> None:
    assert [f.name for f in fields(Point)] == ["x", "y"]
    assert Point.LIMIT == 10


def test_equality_is_by_class_and_values() -> None:
    assert Point(1, 2) == Point(1, 2)
    assert Point(1, 2) != Point(2, 1)
    assert Point(1, 2) != DcPoint(1, 2)  # type: ignore[comparison-overlap]
    assert Boxed(1, "k") != BoxedAgain(1, "k")  # a subclass is another class, as with dataclasses
    assert BoxedAgain(1, "k") == BoxedAgain(1, "k")
    assert Point(1, 2).__eq__(object()) is NotImplemented


def test_hash_is_the_hash_of_the_values_as_dataclasses() -> None:
    assert hash(Point(1, 2)) == hash((1, 2)) == hash(DcPoint(1, 2))
    assert hash(Boxed(1)) == hash((1, ""))
    assert len({Point(1, 2), Point(1, 2), Point(2, 1)}) == 2


def test_a_mutable_record_compared_by_value_is_unhashable() -> None:
    assert Cell(1) == Cell(1)
    with pytest.raises(TypeError, match="unhashable"):
        hash(Cell(1))


def test_eq_false_keeps_identity() -> None:
    a, b = Handle("x"), Handle("x")
    assert a != b
    assert a == [a][0]
    assert len({a, b}) == 2


def test_frozen_refuses_assignment_and_deletion() -> None:
    point = Point(1)
    with pytest.raises(FrozenInstanceError, match="cannot assign to field 'x'"):
        point.x = 2  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError, match="cannot delete field 'x'"):
        del point.x
    with pytest.raises(AttributeError):
        point.other = 1  # type: ignore[attr-defined]
    assert point.x == 1


def test_mutable_records_assign_but_have_no_dict() -> None:
    bag = Bag("a")
    bag.name = "b"
    assert bag.name == "b"
    with pytest.raises(AttributeError):
        bag.other = 1  # type: ignore[attr-defined]
    assert not hasattr(bag, "__dict__")
    assert not hasattr(Point(1), "__dict__")
    assert not hasattr(BoxedAgain(1), "__dict__")


def test_default_factories_make_a_new_value_each_time() -> None:
    first, second = Bag("a"), Bag("b")
    first.items.append(1)
    assert second.items == []
    assert Bag("c", [1]).items == [1]


def test_a_mutable_default_is_refused() -> None:
    with pytest.raises(ValueError, match="default_factory"):

        @record
        class Wrong:
            items: list[int] = []  # noqa: RUF012 - the mistake under test


def test_a_field_without_default_after_one_with_is_refused() -> None:
    with pytest.raises(TypeError, match="non-default argument 'y'"):

        @record
        class Wrong:
            x: int = 0
            y: int  # type: ignore[misc]


def test_frozen_and_mutable_do_not_mix() -> None:
    with pytest.raises(TypeError):

        @record(frozen=False)
        class Wrong(Point):  # type: ignore[misc]
            z: int = 0


def test_generic_records_construct_and_subscript() -> None:
    assert Boxed[int](1).value == 1
    assert Boxed.__parameters__ == (T,)  # type: ignore[attr-defined]


def test_repr_is_the_dataclass_repr_without_hidden_fields() -> None:
    assert repr(Point(1, 2)) == repr(DcPoint(1, 2)).replace("DcPoint", "Point") == "Point(x=1, y=2)"
    assert repr(Bag("a", [1])) == "Bag(name='a', items=[1])"
    assert repr(BoxedAgain(1)) == "BoxedAgain(value=1, key='')"
    looped = Bag("loop", [])
    looped.items.append(looped)  # type: ignore[arg-type]
    assert repr(looped) == "Bag(name='loop', items=[...])"


@pytest.mark.parametrize(
    "value",
    [Point(1, 2), Child("a", None, "k", ("t",)), BoxedAgain(1, "k"), Boxed(Point(3), "p"), Bag("a", [1, 2])],
    ids=repr,
)
def test_pickle_and_copy_round_trip(value: Any) -> None:
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        again = pickle.loads(pickle.dumps(value, protocol))
        assert type(again) is type(value)
        assert again == value
    assert copy.copy(value) == value
    assert copy.deepcopy(value) == value


def test_pickle_keeps_hidden_fields_and_shared_objects() -> None:
    bag = Bag("a")
    bag.cache["k"] = 1
    assert pickle.loads(pickle.dumps(bag)).cache == {"k": 1}
    file = SourceFile(Path("main.tf"), "abc")
    spans = pickle.loads(pickle.dumps([Span(file, 0, 1), Span(file, 1, 2)]))
    assert spans[0].file is spans[1].file
    assert spans[1].text == "b"


def test_pickle_is_a_call_of_the_class() -> None:
    assert Point(1, 2).__reduce__() == (Point, (1, 2))
    assert Sourced(1, Origin.EXPLICIT, "k", None).__reduce__() == (Sourced, (1, Origin.EXPLICIT, "k", None, (), None))


def test_replace_changes_some_fields() -> None:
    child = Child("a", 1, "k")
    changed = replace(child, kind="j", tags=("t",))
    assert changed == Child("a", 1, "j", ("t",))
    assert child.kind == "k"
    assert type(replace(BoxedAgain(1), key="x")) is BoxedAgain
    with pytest.raises(TypeError):
        replace(child, nope=1)
    with pytest.raises(TypeError):
        replace(DcPoint(1), x=2)


def test_asdict_converts_nested_records_and_containers() -> None:
    nested = Nested(Point(1), [Point(2, 3)], {"a": Point(4)})
    assert asdict(nested) == dataclasses.asdict(  # the same as a dataclass twin
        _DcNested(DcPoint(1), [DcPoint(2, 3)], {"a": DcPoint(4)})
    )
    with pytest.raises(TypeError):
        asdict(Point)


@dataclasses.dataclass
class _DcNested:
    point: DcPoint
    points: list[DcPoint]
    table: dict[str, DcPoint]


def test_fields_and_is_record() -> None:
    assert is_record(Point) and is_record(Point(1))
    assert not is_record(DcPoint(1)) and not is_record(1)
    assert fields(Point(1)) == fields(Point)
    hidden = {f.name: f.repr for f in fields(Bag)}
    assert hidden == {"name": True, "items": True, "cache": False}
    with pytest.raises(TypeError):
        fields(DcPoint)


def test_a_field_named_self_is_allowed() -> None:
    @record
    class Odd:
        self: int

    assert Odd(self=1).self == 1


def test_the_entry_points_do_not_import_dataclasses() -> None:
    """It costs ~1.7 ms a class: a new `@dataclass` in the package would bring the cost back."""
    code = "import sys, iac_exposure.cli, iac_exposure.api, iac_exposure.traits; print('dataclasses' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert result.stdout.strip() == "False"
