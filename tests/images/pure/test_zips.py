"""ZIP downloads made as they are sent: names, and the archive (issue 16)."""

import datetime
import io
import zipfile

from images.pure.filenames import safe_part
from images.pure.zips import (
    Entry,
    Member,
    archive_name,
    member_names,
    zip_chunks,
)

JUNE = datetime.date(2024, 6, 1)


def names(*entries: Entry) -> list[str]:
    return member_names(entries)


def test_a_photo_is_named_by_its_date_taken_and_caption():
    assert names(Entry(JUNE, "Biscuit on the sofa", "jpg")) == [
        "2024-06-01 Biscuit on the sofa.jpg"
    ]


def test_the_same_name_twice_gets_a_number_before_the_extension():
    same = Entry(JUNE, "Biscuit on the sofa", "jpg")
    assert names(same, same, same) == [
        "2024-06-01 Biscuit on the sofa.jpg",
        "2024-06-01 Biscuit on the sofa (2).jpg",
        "2024-06-01 Biscuit on the sofa (3).jpg",
    ]


def test_names_differing_only_in_case_are_told_apart_as_case_blind_systems_need():
    assert names(Entry(JUNE, "Rex", "jpg"), Entry(JUNE, "REX", "jpg")) == [
        "2024-06-01 Rex.jpg",
        "2024-06-01 REX (2).jpg",
    ]


def test_a_name_taken_by_a_numbered_one_is_numbered_further():
    first, second = Entry(JUNE, "Rex", "jpg"), Entry(JUNE, "Rex (2)", "jpg")
    assert names(second, first, first) == [
        "2024-06-01 Rex (2).jpg",
        "2024-06-01 Rex.jpg",
        "2024-06-01 Rex (3).jpg",
    ]


def test_the_same_name_in_two_folders_is_no_clash():
    assert names(Entry(JUNE, "Nap", "jpg", "Biscuit"), Entry(JUNE, "Nap", "jpg", "Rex")) == [
        "Biscuit/2024-06-01 Nap.jpg",
        "Rex/2024-06-01 Nap.jpg",
    ]


def test_captions_lose_what_file_systems_refuse_and_never_leave_their_folder():
    assert names(Entry(JUNE, '../../etc/passwd: a "test"?\n<b>|*', "jpg")) == [
        "2024-06-01 etcpasswd a test b.jpg"
    ]
    assert names(Entry(JUNE, "..", "png", "../..")) == ["photos/2024-06-01 photo.png"]


def test_a_caption_is_cut_to_a_sane_length():
    (name,) = names(Entry(JUNE, "word " * 200, "jpg"))
    assert len(name) <= len("2024-06-01 ") + 100 + len(".jpg")
    assert not name.endswith(" .jpg")


def test_windows_device_names_are_never_a_file_name():
    assert safe_part("CON", fallback="x", limit=100) == "_CON"
    assert safe_part("nul.txt", fallback="x", limit=100) == "_nul.txt"
    assert safe_part("Console", fallback="x", limit=100) == "Console"


def test_bidi_and_other_invisible_format_characters_never_reach_a_name():
    """U+202E would show ``invoice\u202egpj.exe.jpg`` as ``invoicegpj.exe.jpg`` reversed:
    ``invoicegpj.exe`` seen as ``invoiceexe.jpg``."""
    (name,) = names(Entry(JUNE, "invoice\u202egpj.exe\u200b\u2066x\u2069\ufeff", "jpg"))
    assert name == "2024-06-01 invoicegpj.exex.jpg"
    assert archive_name("Rex\u202e\u0085\u009b photos") == "Rex photos.zip"


def test_unicode_is_kept_in_one_normal_form():
    (name,) = names(Entry(JUNE, "Cafe\u0301 ☕", "jpg"))
    assert name == "2024-06-01 Caf\u00e9 ☕.jpg"


def test_the_archive_is_named_safely():
    assert archive_name("Biscuit photos") == "Biscuit photos.zip"
    assert archive_name('a/b\\c:"d"') == "abcd.zip"
    assert archive_name("") == "photos.zip"


def member(name, data: bytes, when=datetime.datetime(2024, 6, 1, 10, 30, 2), calls=None):
    def chunks():
        if calls is not None:
            calls.append(name)
        for start in range(0, len(data), 1000):
            yield data[start : start + 1000]

    return Member(name=name, modified=when, size=len(data), chunks=chunks)


def test_the_archive_holds_each_member_as_it_was_dated_when_taken():
    data = bytes(range(256)) * 50
    archive = zipfile.ZipFile(io.BytesIO(b"".join(zip_chunks([member("a.jpg", data)]))))
    assert archive.testzip() is None
    assert archive.read("a.jpg") == data
    assert archive.getinfo("a.jpg").date_time == (2024, 6, 1, 10, 30, 2)


def test_members_are_not_compressed():
    data = b"\x00" * 100_000  # would shrink to nothing if it were
    made = b"".join(zip_chunks([member("zeros.jpg", data)]))
    assert len(made) > len(data)
    info = zipfile.ZipFile(io.BytesIO(made)).getinfo("zeros.jpg")
    assert info.compress_size >= info.file_size


def test_a_member_is_read_only_when_the_archive_reaches_it():
    calls = []
    members = [member(name, b"x" * 10, calls=calls) for name in ("1.jpg", "2.jpg", "3.jpg")]
    stream = zip_chunks(members, chunk_size=16)
    next(stream)
    assert calls in ([], ["1.jpg"])  # the first member's header, maybe its bytes, no further
    b"".join(stream)
    assert calls == ["1.jpg", "2.jpg", "3.jpg"]


def test_a_photo_taken_before_1980_is_dated_1980_as_zip_can_say_no_earlier():
    old = member("old.jpg", b"x", when=datetime.datetime(1975, 3, 3, tzinfo=datetime.UTC))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(zip_chunks([old]))))
    assert archive.getinfo("old.jpg").date_time == (1980, 1, 1, 0, 0, 0)
