"""Arrow text ids looked up in a layer's index in one compiled pass (internal).

A cost table read from a file or built by hand carries its ids as Arrow text (pandas' ``str``
columns): 1M rows mean 1M string lookups through Arrow's generic ``index_in``. Ids are short
(``v123``, 12-digit village codes, names of a few Chinese characters), so here each id is read as
at most three 8-byte words straight from the Arrow buffers, hashed, and found in an
open-addressing table whose slots hold the index labels' first three words and length: an id
of up to 24 bytes is matched without touching the labels' text (one cache line per lookup, no
byte loops), faster than ``index_in`` (``python bench/bench_user_path.py --steps fca`` compares
them). Longer ids make :func:`text_positions` give up (returning None) and the caller use
``index_in``.

The table is a quarter full at most, so almost every id is found at its first slot.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numba import njit, types

_M1 = np.uint64(0x9E3779B97F4A7C15)
_M2 = np.uint64(0xBF58476D1CE4E5B9)
_U0 = np.uint64(0)
_U1 = np.uint64(1)
_U3 = np.uint64(3)
_U7 = np.uint64(7)
_U29 = np.uint64(29)
_U32 = np.uint64(32)
_U63 = np.uint64(63)
#: the low ``k`` bytes of a word, for k = 0 .. 8
_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [2**64 - 1], dtype=np.uint64)
#: a free slot (no position) in the low half of a slot's last word
_FREE = np.uint64(0xFFFFFFFF)
#: ids (and labels) of more bytes than this are left to ``index_in``
MAX_BYTES = 24


@njit(inline="always")
def _word(buf, a, e):
    """The bytes ``a .. min(a + 8, e)`` of the byte buffer seen as 64-bit words ``buf``, as a
    little-endian word (0 when ``a >= e``): two aligned loads, no loop. ``buf`` has a spare word
    at the end."""
    n = min(max(e - a, 0), 8)
    ua = np.uint64(a)
    q = ua >> _U3
    r = (ua & _U7) << _U3
    # (x << 1) << (63 - r) is x << (64 - r) without a shift by 64 when r = 0
    return ((buf[q] >> r) | ((buf[q + _U1] << _U1) << (_U63 - r))) & _MASKS[n]


@njit(inline="always")
def _hash(w0, w1, w2, n):
    """A hash of a text's first three words (see :func:`_word`; 0 past its end) and its length
    ``n`` (the words past 8 and 16 bytes count only for texts that long).

    The callers read the words themselves (:func:`_word`, the second and third only for texts
    that long): a helper returning the words and the hash as a tuple compiled to much slower
    code."""
    h = (w0 ^ (np.uint64(n) * _M1)) * _M2
    if n > 8:
        h = (h ^ w1 ^ (h >> _U29)) * _M1
        if n > 16:
            h = (h ^ w2 ^ (h >> _U29)) * _M2
    return h ^ (h >> _U32)


@njit(inline="always")
def _find(words, a, e, table, mask):
    """The position stored in ``table`` (see :func:`_positions`) for the text ``a .. e`` of
    ``words``, -1 when it is not there."""
    n = e - a
    w0 = _word(words, a, e)
    w1 = _word(words, a + 8, e) if n > 8 else _U0
    w2 = _word(words, a + 16, e) if n > 16 else _U0
    length = np.uint64(n) << _U32
    s = _hash(w0, w1, w2, n) & mask
    while True:
        last = table[s, 3]
        if last == _FREE:
            return -1
        if (
            table[s, 0] == w0
            and table[s, 1] == w1
            and table[s, 2] == w2
            and (last & ~_FREE) == length
        ):
            return np.int64(last & _FREE)
        s = (s + _U1) & mask


_IN_INT = types.Array(types.int64, 1, "C", readonly=True)  # (writable arrays are taken too)
_IN_WORDS = types.Array(types.uint64, 1, "C", readonly=True)


@njit(
    types.boolean(
        _IN_INT,
        _IN_WORDS,
        types.int64,
        _IN_WORDS,
        types.int64,
        _IN_INT,
        _IN_WORDS,
        types.Array(types.uint64, 2, "C"),
        types.Array(types.int64, 1, "C"),
    ),
    cache=True,
    nogil=True,
)
def _positions(off, buf, split, tail, tail_start, label_off, label_buf, table, out):
    """Write the position of each text ``off[i] .. off[i+1]`` among the labels to ``out`` (-1
    when absent; the first of equal labels); False when a text has more than :data:`MAX_BYTES`
    bytes (``out`` is then incomplete).

    The texts are read from ``buf`` (the Arrow buffer itself, as words) when they end at byte
    ``split`` or before, else from ``tail`` (a padded copy of the bytes from ``tail_start``):
    reading a word needs the next one. ``table`` (a power of 2 rows of 4 words, at least twice
    as many as labels) is the scratch hash table."""
    n_labels = label_off.size - 1
    mask = np.uint64(table.shape[0] - 1)
    table[:, 3] = _FREE  # three words, then length << 32 | position
    for j in range(n_labels):
        a, e = label_off[j], label_off[j + 1]
        n = e - a
        if n > MAX_BYTES:
            continue  # no text of at most MAX_BYTES equals it
        w0 = _word(label_buf, a, e)
        w1 = _word(label_buf, a + 8, e) if n > 8 else _U0
        w2 = _word(label_buf, a + 16, e) if n > 16 else _U0
        h = _hash(w0, w1, w2, n)
        s = h & mask
        while table[s, 3] != _FREE:
            s = (s + _U1) & mask
        table[s, 0] = w0
        table[s, 1] = w1
        table[s, 2] = w2
        table[s, 3] = (np.uint64(e - a) << _U32) | np.uint64(j)
    # the texts that end after ``split`` are the last ones (the offsets grow): they are read
    # from the tail, the others from the buffer, in two loops (one loop choosing the array text
    # by text compiled to much slower code)
    n_texts = off.size - 1
    k = n_texts
    while k > 0 and off[k] > split:
        k -= 1
    for i in range(k):
        a, e = off[i], off[i + 1]
        if e - a > MAX_BYTES:
            return False
        out[i] = _find(buf, a, e, table, mask)
    for i in range(k, n_texts):
        a, e = off[i], off[i + 1]
        if e - a > MAX_BYTES:
            return False
        out[i] = _find(tail, a - tail_start, e - tail_start, table, mask)
    return True


def _offsets(arr: pa.Array) -> np.ndarray:
    """The int64 offsets of a (large_)string array's texts in its data buffer."""
    off_buf = arr.buffers()[1]
    if len(arr) == 0 or off_buf is None:
        return np.zeros(1, np.int64)
    off = np.frombuffer(off_buf, dtype=np.int64 if pa.types.is_large_string(arr.type) else np.int32)
    return off[arr.offset : arr.offset + len(arr) + 1].astype(np.int64, copy=False)


def _words(data: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Bytes ``start .. stop`` of ``data`` as 64-bit words (a copy), with two spare zero words."""
    words = np.zeros(max(stop - start, 0) // 8 + 2, np.uint64)
    if stop > start:
        words.view(np.uint8)[: stop - start] = data[start:stop]
    return words


def _text(arr: pa.Array) -> tuple[np.ndarray, np.ndarray, int, np.ndarray, int]:
    """A string array's offsets and text for :func:`_positions`: its data buffer seen as words
    (no copy) when it is 8-byte aligned, and a copy of its last bytes (the texts that end within
    two words of its end); the whole text copied otherwise."""
    off = _offsets(arr)
    stop = int(off[-1])
    data_buf = arr.buffers()[2]
    data = np.zeros(0, np.uint8) if data_buf is None else np.frombuffer(data_buf, np.uint8)
    n_words = data.size // 8
    if data_buf is None or data_buf.address % 8 or n_words < 2:
        return off, _words(data, 0, stop), stop, np.zeros(2, np.uint64), 0
    # a text ending at byte split or before reads words up to n_words - 1 (see _word); the
    # others are no longer than MAX_BYTES (or _positions gives up) so they start after start
    split = 8 * (n_words - 2)
    start = max(split - MAX_BYTES, 0)
    return off, data[: 8 * n_words].view(np.uint64), split, _words(data, start, stop), start


def text_positions(values: pa.Array, labels: pa.Array) -> np.ndarray | None:
    """Position of each of ``values`` (an Arrow string or large_string array) among ``labels``
    (the same, without nulls), -1 for absent and null values; None when an id is longer than
    :data:`MAX_BYTES` bytes (then ``pyarrow.compute.index_in`` is as fast)."""
    if labels.null_count:
        return None
    # a table a quarter full at most (a sixteenth for small ones, which stay in the fast caches
    # anyway), so almost every id is found at its first slot; numpy allocates the large arrays
    # (it asks for huge pages: far fewer page faults than the compiled code's own allocations)
    n_slots = 1 << max(4, int(len(labels) * (16 if len(labels) <= 1024 else 4) - 1).bit_length())
    table = np.empty((n_slots, 4), np.uint64)
    found = np.empty(len(values), np.int64)
    label_off = _offsets(labels)
    label_data = labels.buffers()[2]
    label_buf = _words(
        np.zeros(0, np.uint8) if label_data is None else np.frombuffer(label_data, np.uint8),
        0,
        int(label_off[-1]),
    )
    if not _positions(*_text(values), label_off, label_buf, table, found):
        return None
    if values.null_count:
        found[values.is_null().to_numpy(zero_copy_only=False)] = -1
    return found
