"""CIDR, protocol and port logic shared by the network traits (`traits/_network.py`)."""

from __future__ import annotations

from typing import Any

import pytest

from iac_exposure.model.values import Origin, Sourced
from iac_exposure.traits._network import admitted_ports, all_protocols, describe_ports, is_world, port_range

REMOTE = [22, 3389]


def explicit(value: Any) -> Sourced[Any]:
    return Sourced(value, Origin.EXPLICIT, "k", None)


def absent() -> Sourced[Any]:
    return Sourced(None, Origin.DEFAULT, "k", None)


def unknown() -> Sourced[Any]:
    return Sourced(None, Origin.UNKNOWN, "k", None)


E, D, U = explicit, absent(), unknown()


@pytest.mark.parametrize(
    ("cidr", "expected"),
    [
        pytest.param("0.0.0.0/0", True, id="ipv4-world"),
        pytest.param("::/0", True, id="ipv6-world"),
        pytest.param("192.168.1.0/0", True, id="prefix-0-with-host-bits"),
        pytest.param("2001:db8::/0", True, id="ipv6-prefix-0-with-host-bits"),
        pytest.param(" 0.0.0.0/0 ", True, id="surrounding-spaces"),
        pytest.param("10.0.0.0/8", False, id="private-range"),
        pytest.param("0.0.0.0/1", False, id="half-the-internet"),
        pytest.param("0.0.0.0", False, id="no-prefix-is-a-host"),
        pytest.param("not-a-cidr", False, id="garbage"),
        pytest.param("", False, id="empty"),
        pytest.param(None, False, id="none"),
        pytest.param(0, False, id="not-a-string"),
    ],
)
def test_is_world(cidr: Any, expected: bool) -> None:
    assert is_world(cidr) is expected


@pytest.mark.parametrize(
    ("protocol", "expected"),
    [
        pytest.param("-1", True, id="minus-one"),
        pytest.param("all", True, id="all"),
        pytest.param("47", True, id="gre-number"),
        pytest.param("50", True, id="esp-number"),
        pytest.param("tcp", False, id="tcp"),
        pytest.param("6", False, id="tcp-number"),
        pytest.param("udp", False, id="udp"),
        pytest.param("17", False, id="udp-number"),
        pytest.param("icmp", False, id="icmp"),
        pytest.param("1", False, id="icmp-number"),
        pytest.param("icmpv6", False, id="icmpv6"),
        pytest.param("58", False, id="icmpv6-number"),
        pytest.param(None, False, id="none"),
    ],
)
def test_all_protocols(protocol: Any, expected: bool) -> None:
    assert all_protocols(protocol) is expected


@pytest.mark.parametrize(
    ("protocol", "from_port", "to_port", "expected"),
    [
        pytest.param(E("tcp"), E(0), E(65535), [22, 3389], id="tcp-all-ports"),
        pytest.param(E("tcp"), E(20), E(23), [22], id="tcp-range-holding-22"),
        pytest.param(E("tcp"), E(3389), E(3389), [3389], id="tcp-3389"),
        pytest.param(E("tcp"), E(22), E(22), [22], id="tcp-22"),
        pytest.param(E("tcp"), E(80), E(443), [], id="tcp-web-ports"),
        pytest.param(E("tcp"), E(23), E(3388), [], id="tcp-between-22-and-3389"),
        pytest.param(E("tcp"), E("22"), E("22"), [22], id="ports-as-strings"),
        pytest.param(E("tcp"), E(-1), E(-1), [22, 3389], id="tcp-minus-one-ports"),
        pytest.param(E("6"), E(22), E(22), [22], id="protocol-6-port-22"),
        pytest.param(E("udp"), E(22), E(22), [], id="udp-22-is-not-remote-access"),
        pytest.param(E("17"), E(0), E(65535), [], id="udp-number-all-ports"),
        pytest.param(E("icmp"), E(-1), E(-1), [], id="icmp"),
        pytest.param(E("58"), E(-1), E(-1), [], id="icmpv6-number"),
        pytest.param(E("-1"), E(0), E(0), [22, 3389], id="all-protocols-0-0"),
        pytest.param(E("all"), D, D, [22, 3389], id="all-protocols-no-ports"),
        pytest.param(E("47"), E(0), E(0), [22, 3389], id="other-protocol-number"),
        pytest.param(E("tcp"), D, D, [22, 3389], id="ports-absent-means-all"),
        pytest.param(E("tcp"), U, E(22), [], id="from-port-unknown"),
        pytest.param(E("tcp"), E(22), U, [], id="to-port-unknown"),
        pytest.param(E("tcp"), E("x"), E("y"), [], id="ports-not-numbers"),
        pytest.param(U, E(22), E(22), [], id="protocol-unknown"),
    ],
)
def test_admitted_ports(
    protocol: Sourced[Any], from_port: Sourced[Any], to_port: Sourced[Any], expected: list[int]
) -> None:
    assert admitted_ports(protocol, from_port, to_port, REMOTE) == expected


@pytest.mark.parametrize(
    ("from_port", "to_port", "expected"),
    [
        pytest.param(E(22), E(22), (22, 22), id="single-port"),
        pytest.param(E(20), E(23), (20, 23), id="range"),
        pytest.param(E("1024"), E("2048"), (1024, 2048), id="strings"),
        pytest.param(D, D, (0, 65535), id="both-absent"),
        pytest.param(E(-1), E(-1), (0, 65535), id="minus-one"),
        pytest.param(E("-1"), E("-1"), (0, 65535), id="minus-one-string"),
        pytest.param(E(443), E(80), (443, 443), id="reversed-keeps-from"),
        pytest.param(U, E(22), None, id="from-unknown"),
        pytest.param(E(22), U, None, id="to-unknown"),
        pytest.param(E(22), D, None, id="only-from-given"),
        pytest.param(E("ssh"), E("ssh"), None, id="names-not-numbers"),
    ],
)
def test_port_range(from_port: Sourced[Any], to_port: Sourced[Any], expected: tuple[int, int] | None) -> None:
    assert port_range(from_port, to_port) == expected


@pytest.mark.parametrize(
    ("protocol", "from_port", "to_port", "expected"),
    [
        pytest.param(E("tcp"), E(22), E(22), "22/tcp", id="single-port"),
        pytest.param(E("6"), E(20), E(23), "20-23/tcp", id="number-names-protocol"),
        pytest.param(E("17"), E(53), E(53), "53/udp", id="udp-number"),
        pytest.param(E("1"), E(-1), E(-1), "0-65535/icmp", id="icmp-number"),
        pytest.param(E("58"), E(-1), E(-1), "0-65535/icmpv6", id="icmpv6-number"),
        pytest.param(E("tcp"), D, D, "0-65535/tcp", id="ports-absent"),
        pytest.param(E("-1"), E(0), E(0), "all ports and protocols", id="all-protocols"),
        pytest.param(E("47"), E(0), E(0), "all ports and protocols", id="other-protocol-number"),
        pytest.param(E("tcp"), U, E(22), "unknown ports/tcp", id="unknown-port"),
    ],
)
def test_describe_ports(protocol: Sourced[Any], from_port: Sourced[Any], to_port: Sourced[Any], expected: str) -> None:
    assert describe_ports(protocol, from_port, to_port) == expected
