import pytest

from images.pure.addresses import guesser_of


@pytest.mark.parametrize(
    ("address", "group"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8::1", "2001:db8::/64"),
        ("2001:db8::ffff:1d", "2001:db8::/64"),
        ("2001:DB8:0:0:8000::1", "2001:db8::/64"),
        ("2001:db8:0:1::1", "2001:db8:0:1::/64"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("", ""),
        ("not an address", "not an address"),
    ],
)
def test_an_ipv4_address_is_one_guesser_and_an_ipv6_one_its_64(address, group):
    assert guesser_of(address) == group
