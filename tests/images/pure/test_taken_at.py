"""When a photo was taken, from real files' EXIF, XMP and PNG text, made with Pillow."""

import datetime
import io

import pytest
from PIL import Image

from images.pure.taken_at import (
    TakenAt,
    parse_any_datetime,
    parse_exif_datetime,
    read_taken_at,
)
from tests.images import corpus
from tests.images.corpus import dated, exif_dates, png_with_text, xmp_packet

UTC = datetime.UTC
NOW = datetime.datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def zone(hours: float) -> datetime.timezone:
    return datetime.timezone(datetime.timedelta(hours=hours))


def taken(data: bytes, *, now=NOW) -> TakenAt | None:
    image = Image.open(io.BytesIO(data))
    image.load()  # as processing does: a PNG's text may follow its pixels
    return read_taken_at(image, now=now)


def test_exif_date_time_original_with_its_offset_is_an_aware_time():
    data = dated("JPEG", exif=exif_dates("2024:03:04 14:05:06", offset="+01:00"))
    assert taken(data) == TakenAt(datetime.datetime(2024, 3, 4, 14, 5, 6, tzinfo=zone(1)), "exif")


def test_exif_without_an_offset_is_read_as_utc():
    data = dated("JPEG", exif=exif_dates("2024:03:04 14:05:06"))
    assert taken(data).when == datetime.datetime(2024, 3, 4, 14, 5, 6, tzinfo=UTC)


def test_exif_sub_seconds_are_kept():
    data = dated("JPEG", exif=exif_dates("2024:03:04 14:05:06", subsec="25", offset="-05:30"))
    assert taken(data).when == datetime.datetime(2024, 3, 4, 14, 5, 6, 250_000, tzinfo=zone(-5.5))


def test_the_digitized_date_stands_in_when_the_original_date_is_missing():
    data = dated("JPEG", exif=exif_dates(digitized="2020:01:02 03:04:05"))
    assert taken(data).when == datetime.datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_the_date_a_file_was_changed_is_not_when_it_was_taken():
    assert taken(dated("JPEG", exif=exif_dates(changed="2024:03:04 14:05:06"))) is None


@pytest.mark.parametrize("format", ["HEIF", "WEBP", "PNG"])
def test_heic_webp_and_png_carry_exif_as_jpeg_does(format):
    data = dated(format, exif=exif_dates("2023:07:14 09:30:00", offset="-04:00"))
    assert taken(data) == TakenAt(datetime.datetime(2023, 7, 14, 9, 30, tzinfo=zone(-4)), "exif")


@pytest.mark.parametrize(
    ("properties", "expected"),
    [
        (
            {"xmp_CreateDate": "2022-12-25T08:00:00Z"},
            datetime.datetime(2022, 12, 25, 8, tzinfo=UTC),
        ),
        (
            {"exif_DateTimeOriginal": "2022-12-25T08:00:00.5+09:00"},
            datetime.datetime(2022, 12, 25, 8, 0, 0, 500_000, tzinfo=zone(9)),
        ),
        ({"photoshop_DateCreated": "2022-12-25"}, datetime.datetime(2022, 12, 25, tzinfo=UTC)),
        ({"photoshop_DateCreated": "2022-12"}, datetime.datetime(2022, 12, 1, tzinfo=UTC)),
    ],
)
@pytest.mark.parametrize("format", ["JPEG", "WEBP", "HEIF"])
def test_xmp_dates_are_read(format, properties, expected):
    assert taken(dated(format, xmp=xmp_packet(**properties))) == TakenAt(expected, "xmp")


def test_xmp_written_as_attributes_is_read_too():
    packet = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        b'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreateDate="2021-02-03T04:05:06"/>'
        b"</rdf:RDF></x:xmpmeta>"
    )
    assert taken(dated("JPEG", xmp=packet)).when == datetime.datetime(
        2021, 2, 3, 4, 5, 6, tzinfo=UTC
    )


def test_the_original_date_of_xmp_comes_before_its_create_date():
    packet = xmp_packet(
        xmp_CreateDate="2024-01-01T00:00:00Z", exif_DateTimeOriginal="2019-08-07T06:05:04Z"
    )
    assert taken(dated("JPEG", xmp=packet)).when.year == 2019


def test_exif_comes_before_xmp():
    data = dated(
        "JPEG",
        exif=exif_dates("2018:01:01 10:00:00"),
        xmp=xmp_packet(xmp_CreateDate="2024-01-01T00:00:00Z"),
    )
    assert taken(data) == TakenAt(datetime.datetime(2018, 1, 1, 10, tzinfo=UTC), "exif")


@pytest.mark.parametrize(
    "written",
    ["Mon, 04 Mar 2024 14:05:00 +0100", "2024-03-04T14:05:00+01:00", "2024:03:04 14:05:00+01:00"],
)
def test_a_pngs_creation_time_is_read_in_the_forms_programs_write(written):
    if written.startswith("2024:"):  # EXIF's form: its offset comes apart, or not at all
        written, expected = written[:19], datetime.datetime(2024, 3, 4, 14, 5, tzinfo=UTC)
    else:
        expected = datetime.datetime(2024, 3, 4, 14, 5, tzinfo=zone(1))
    assert taken(png_with_text({"Creation Time": written})) == TakenAt(expected, "png")


def test_a_pngs_creation_time_after_its_pixels_is_read():
    data = corpus.png_with_text_after_its_pixels("Creation Time", "2020-10-11T12:13:14Z")
    assert taken(data).when == datetime.datetime(2020, 10, 11, 12, 13, 14, tzinfo=UTC)


def test_a_pngs_xmp_is_read_from_its_itxt_chunk():
    xmp = xmp_packet(exif_DateTimeOriginal="2021-05-06T07:08:09+02:00").decode()
    data = png_with_text({}, itxt={"XML:com.adobe.xmp": xmp})
    assert taken(data) == TakenAt(datetime.datetime(2021, 5, 6, 7, 8, 9, tzinfo=zone(2)), "xmp")


@pytest.mark.parametrize(
    "value",
    ["0000:00:00 00:00:00", "    :  :     :  :  ", "2024:02:30 10:00:00", "yesterday", ""],
)
def test_malformed_exif_dates_are_ignored(value):
    assert taken(dated("JPEG", exif=exif_dates(value))) is None


def test_a_malformed_exif_date_gives_way_to_the_next_source():
    data = dated(
        "JPEG",
        exif=exif_dates("0000:00:00 00:00:00"),
        xmp=xmp_packet(xmp_CreateDate="2017-03-04T05:06:07Z"),
    )
    assert taken(data) == TakenAt(datetime.datetime(2017, 3, 4, 5, 6, 7, tzinfo=UTC), "xmp")


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("1825:12:31 23:59:59", False),  # before photography
        ("1826:01:01 00:00:00", True),
        ("2025:06:02 11:00:00", True),  # a camera's clock a little ahead, or a zone east
        ("2025:06:02 12:00:01", False),  # more than a day in the future
        ("9999:12:31 23:59:59", False),
    ],
)
def test_absurd_dates_are_ignored(value, kept):
    assert (taken(dated("JPEG", exif=exif_dates(value))) is not None) is kept


def test_an_offset_far_west_of_the_last_year_does_not_crash():
    data = dated("JPEG", exif=exif_dates("9999:12:31 23:00:00", offset="-12:00"))
    assert taken(data) is None


@pytest.mark.parametrize(
    "packet",
    [
        b"<x:xmpmeta this is not XML",
        b'<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><x>&b;</x>',  # entities
        b"<x:xmpmeta/>",  # an undeclared prefix
    ],
)
def test_a_broken_or_hostile_xmp_packet_is_ignored(packet):
    data = dated("JPEG", exif=exif_dates("2016:01:02 03:04:05"), xmp=packet)
    assert taken(data).when.year == 2016  # the EXIF still counts
    assert taken(dated("JPEG", xmp=packet)) is None


def test_a_file_without_dates_says_nothing():
    assert taken(corpus.png()) is None
    assert taken(corpus.heic()) is None


def test_the_parsers_refuse_what_is_not_a_date():
    assert parse_exif_datetime(b"2024:03:04 14:05:06\x00") == datetime.datetime(
        2024, 3, 4, 14, 5, 6, tzinfo=UTC
    )
    assert parse_exif_datetime("2024:03:04 14:05:06", offset="+25:00").tzinfo is UTC
    assert parse_exif_datetime(None) is None
    assert parse_any_datetime("not a date") is None
    assert parse_any_datetime("Tue, 05 Mar 2024 10:00:00 GMT") == datetime.datetime(
        2024, 3, 5, 10, tzinfo=UTC
    )
