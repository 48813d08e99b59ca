import pytest

from images.pure.streams import Ending


def chunks(log):
    try:
        yield b"a"
        yield b"b"
    finally:
        log.append("inner closed")


def test_the_end_is_told_once_when_the_chunks_run_out():
    ended = []
    stream = Ending(chunks([]), lambda: ended.append("end"))
    assert b"".join(stream) == b"ab"
    stream.close()
    assert ended == ["end"]


def test_a_stream_closed_mid_way_closes_its_chunks_and_tells_its_end():
    log = []
    stream = Ending(chunks(log), lambda: log.append("end"))
    assert next(stream) == b"a"
    stream.close()
    assert log == ["inner closed", "end"]


def test_a_stream_closed_before_it_began_tells_its_end():
    ended = []
    Ending(chunks([]), lambda: ended.append("end")).close()
    assert ended == ["end"]


def test_a_stream_that_fails_tells_its_end_and_the_failure():
    ended = []

    def failing():
        yield b"a"
        raise OSError("storage gone")

    stream = Ending(failing(), lambda: ended.append("end"))
    with pytest.raises(OSError, match="storage gone"):
        list(stream)
    assert ended == ["end"]
