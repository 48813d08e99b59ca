"""Streams that say when they end (pure)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator


class Ending:
    """``chunks``, calling ``then`` once when they end: run out, fail, or are closed before
    (a WSGI server closes the response it stops sending, a client gone or not; Django's
    ``StreamingHttpResponse`` closes its content when it is closed)."""

    def __init__(self, chunks: Iterable[bytes], then: Callable[[], None]):
        self._chunks: Iterator[bytes] = iter(chunks)
        self._then: Callable[[], None] | None = then

    def __iter__(self) -> Ending:
        return self

    def __next__(self) -> bytes:
        try:
            return next(self._chunks)
        except BaseException:  # StopIteration too: the end
            self._end()
            raise

    def close(self) -> None:
        try:
            close = getattr(self._chunks, "close", None)
            if close is not None:
                close()
        finally:
            self._end()

    def _end(self) -> None:
        then, self._then = self._then, None
        if then is not None:
            then()
