"""Input validation shared by every single-text API of ``voc``.

``coerce_text`` is the one place that decides what counts as a text: a ``str``
(kept as is, lone surrogates repaired) or ``bytes`` (decoded as UTF-8, then
GB18030). Everything else is a ``TypeError``; empty text is a ``ValueError``.
Batch APIs (``pipe``) call it per item and turn the exception into an error
message instead of raising.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["InputError", "check_texts", "coerce_text"]


class InputError(ValueError):
    """A text of the right type whose value cannot be used (empty, undecodable).

    Subclasses ``ValueError`` so ``except ValueError`` keeps working.

    Examples:
        >>> issubclass(InputError, ValueError)
        True
    """


def _describe(x: Any) -> str:
    if x is None:
        return "None"
    if isinstance(x, float) and math.isnan(x):
        return "float NaN (a missing value)"
    cls = type(x)
    name = cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    if cls.__name__ in {"NAType", "NaTType"}:
        return f"{name} (a missing value)"
    return name


def _repair_surrogates(text: str) -> str:
    # Valid surrogate pairs (from some JSON decoders) become the real character; lone
    # surrogates become U+FFFD.
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def coerce_text(x: Any) -> str:
    """Validate one text input and return it as a clean ``str``.

    Args:
        x: A ``str`` or ``bytes``/``bytearray``/``memoryview`` (UTF-8 or GB18030).

    Returns:
        The text. A ``str`` subclass is returned as a plain ``str``; lone surrogate
        code points are replaced by U+FFFD. Surrounding whitespace is kept.

    Raises:
        TypeError: For ``None``, NaN, numbers, booleans and any other type; the message
            names the type received.
        InputError: (a ``ValueError``) if bytes decode neither as UTF-8 nor GB18030,
            or the text is empty or whitespace only.

    Examples:
        >>> coerce_text("客服电话打不通")
        '客服电话打不通'
        >>> coerce_text("退款".encode("gb18030"))
        '退款'
        >>> coerce_text(None)
        Traceback (most recent call last):
        ...
        TypeError: expected a text (str or bytes), got None
    """
    if type(x) is not str:
        if isinstance(x, str):
            x = str.__str__(x)
        elif isinstance(x, (bytes, bytearray, memoryview)):
            raw = bytes(x)
            try:
                x = raw.decode("utf-8")
            except UnicodeDecodeError:
                try:
                    x = raw.decode("gb18030")
                except UnicodeDecodeError:
                    raise InputError("could not decode bytes as UTF-8 or GB18030") from None
            if x.startswith("\ufeff"):
                x = x[1:]
        else:
            raise TypeError(f"expected a text (str or bytes), got {_describe(x)}")
    if not x or x.isspace():
        raise InputError("empty text")
    if not x.isascii():
        try:
            x.encode("utf-8")
        except UnicodeEncodeError:
            x = _repair_surrogates(x)
    return x


def check_texts(X: Any) -> list[str]:
    """Validate the texts given to a model's ``fit`` / ``predict``: a sequence of ``str``.

    Raises:
        TypeError: A single ``str`` (wrap it in a list) or a non-``str`` item.
    """
    if isinstance(X, str):
        raise TypeError("expected a sequence of texts, got a single str; wrap it in a list")
    X = list(X)
    bad = [i for i, x in enumerate(X) if not isinstance(x, str)]
    if bad:
        raise TypeError(f"texts must be str; item {bad[0]} is {type(X[bad[0]]).__name__}")
    return X
