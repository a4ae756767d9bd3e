"""Parsing of tfds-style split strings such as ``"test[:8000]"``.

The same strings work for TensorFlow Datasets and for local files, with the
tfds semantics: ``"train"``, ``"test[:8000]"``, ``"test[8000:]"``,
``"train[:10%]"``, ``"train[-10%:]"``, ``"train[10%:20%]"``. Percentages are
rounded to the closest example like tfds does. Concatenations
(``"train+test"``) and rounding options are not supported.
"""

import dataclasses
import re

_SPLIT_RE = re.compile(
    r"^(?P<name>[A-Za-z_][\w-]*)"
    r"(?:\[(?P<start>[^\[\]:]*):(?P<stop>[^\[\]:]*)\])?$"
)
_BOUND_RE = re.compile(r"^(?P<value>-?\d+(?:\.\d+)?)(?P<percent>%?)$")
_FORMAT_HELP = (
    'Expected "<name>" or "<name>[<start>:<stop>]" with optional integer or '
    'percent bounds, e.g. "train", "test[:8000]", "test[8000:]", '
    '"train[:10%]", "train[-10%:]"'
)


@dataclasses.dataclass(frozen=True)
class SplitSpec:
    """A parsed split string: a split name and an optional slice of it.

    Use `parse_split` to build one and `SplitSpec.bounds` to resolve it.

    Attributes:
        name: Split name, e.g. ``"train"``.
        start: Start bound (int or float) or None (from the first example).
        stop: Stop bound (int or float) or None (to the last example).
        start_is_percent: Whether `start` is a percentage.
        stop_is_percent: Whether `stop` is a percentage.
    """

    name: str
    start: float | int | None = None
    stop: float | int | None = None
    start_is_percent: bool = False
    stop_is_percent: bool = False

    @property
    def is_sliced(self):
        """Whether the split selects a slice rather than the whole split."""
        return self.start is not None or self.stop is not None

    def bounds(self, num_examples):
        """Resolves the slice to absolute example indices.

        Args:
            num_examples: Number of examples in the whole split ``name``.

        Returns:
            A pair ``(start, stop)`` of ints with
            ``0 <= start < stop <= num_examples``.

        Raises:
            ValueError: If `num_examples` is negative, a bound is out of range,
                or the slice selects no examples.

        Example:

        >>> parse_split("test[8000:]").bounds(10000)
        (8000, 10000)
        >>> parse_split("train[:10%]").bounds(60000)
        (0, 6000)
        """
        if isinstance(num_examples, bool) or not isinstance(num_examples, int):
            raise TypeError(
                f"num_examples must be an int. Received: num_examples={num_examples!r}"
            )
        if num_examples < 0:
            raise ValueError(
                f"num_examples must be >= 0. Received: num_examples={num_examples}"
            )
        start = self._resolve(self.start, self.start_is_percent, num_examples, 0)
        stop = self._resolve(
            self.stop, self.stop_is_percent, num_examples, num_examples
        )
        if stop <= start:
            raise ValueError(
                f"Split {self} selects no examples: it resolves to "
                f"[{start}:{stop}] of a split with {num_examples} examples."
            )
        return start, stop

    def _resolve(self, value, is_percent, num_examples, default):
        if value is None:
            return default
        if is_percent:
            value = round(value * num_examples / 100.0)
        if abs(value) > num_examples:
            raise ValueError(
                f"Split {self} is out of range: bound {value} for a split "
                f"with {num_examples} examples."
            )
        return value + num_examples if value < 0 else value

    def __str__(self):
        if not self.is_sliced:
            return repr(self.name)

        def fmt(value, is_percent):
            if value is None:
                return ""
            return f"{value:g}%" if is_percent else str(value)

        start = fmt(self.start, self.start_is_percent)
        stop = fmt(self.stop, self.stop_is_percent)
        return repr(f"{self.name}[{start}:{stop}]")


def parse_split(split):
    """Parses a tfds-style split string.

    Args:
        split: A split string: ``"train"``, ``"test[:8000]"``,
            ``"test[8000:]"``, ``"train[:10%]"``, ``"train[-10%:]"``,
            ``"train[10%:20%]"``. Integer bounds follow Python slicing
            (negative counts from the end); percent bounds must be within
            [-100, 100] and are rounded to the closest example.

    Returns:
        A `SplitSpec`.

    Raises:
        TypeError: If `split` is not a str.
        ValueError: If `split` is not in the supported format.

    Example:

    >>> spec = parse_split("test[:8000]")
    >>> spec.name, spec.bounds(10000)
    ('test', (0, 8000))
    """
    if not isinstance(split, str):
        raise TypeError(
            f"split must be a str such as 'train' or 'test[:8000]'. "
            f"Received: split={split!r}"
        )
    match = _SPLIT_RE.match(split.replace(" ", ""))
    if match is None:
        raise ValueError(f"Invalid split. {_FORMAT_HELP}. Received: split={split!r}")
    start, start_is_percent = _parse_bound(match.group("start"), split)
    stop, stop_is_percent = _parse_bound(match.group("stop"), split)
    return SplitSpec(
        name=match.group("name"),
        start=start,
        stop=stop,
        start_is_percent=start_is_percent,
        stop_is_percent=stop_is_percent,
    )


def _parse_bound(text, split):
    if not text:
        return None, False
    match = _BOUND_RE.match(text)
    if match is None:
        raise ValueError(
            f"Invalid split bound {text!r}. {_FORMAT_HELP}. Received: split={split!r}"
        )
    is_percent = bool(match.group("percent"))
    raw = match.group("value")
    if not is_percent:
        if "." in raw:
            raise ValueError(
                f"Invalid split bound {text!r}: only percent bounds may be "
                f"fractional. Received: split={split!r}"
            )
        return int(raw), False
    value = float(raw)
    if abs(value) > 100:
        raise ValueError(
            f"Invalid split bound {text!r}: percentages must be within "
            f"[-100%, 100%]. Received: split={split!r}"
        )
    return (int(value) if value.is_integer() else value), True
