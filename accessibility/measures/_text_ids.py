"""Arrow text ids looked up in a layer's index in one compiled pass (internal).

A cost table read from a file or built by hand carries its ids as Arrow text (pandas' ``str``
columns): 1M rows mean 1M string lookups, which Arrow's generic ``index_in`` does at about 25 ns a
row. Ids are short (``v123``, 12-digit village codes, names of a few Chinese characters), so here
each id is read as at most three 8-byte words straight from the Arrow buffers, hashed, and found
in an open-addressing table whose slots hold the index labels' first three words and length: an id
of up to 24 bytes is matched without touching the labels' text (one cache line per lookup, no
byte loops), two to three times faster than ``index_in``. Longer ids make :func:`text_positions`
give up (returning None) and the caller use ``index_in``.

The table is a quarter full at most, so almost every id is found at its first slot.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numba import njit

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
def _key(buf, a, e):
    """The first three words of the text ``a .. e`` (0 past its end) and a hash of it and its
    length (the words past 8 and 16 bytes are read only for texts that long)."""
    n = e - a
    w0 = _word(buf, a, e)
    h = (w0 ^ (np.uint64(n) * _M1)) * _M2
    w1 = _U0
    w2 = _U0
    if n > 8:
        w1 = _word(buf, a + 8, e)
        h = (h ^ w1 ^ (h >> _U29)) * _M1
        if n > 16:
            w2 = _word(buf, a + 16, e)
            h = (h ^ w2 ^ (h >> _U29)) * _M2
    h ^= h >> _U32
    return w0, w1, w2, h


@njit(
    "boolean(int64[::1], uint64[::1], int64[::1], uint64[::1], uint64[:, ::1], int64[::1])",
    cache=True,
    nogil=True,
)
def _positions(off, buf, label_off, label_buf, table, out):
    """Write the position of each text ``buf[off[i]:off[i+1]]`` among the labels to ``out``
    (-1 when absent; the first of equal labels); False when a text has more than
    :data:`MAX_BYTES` bytes (``out`` is then incomplete). ``table`` (a power of 2 rows of 4
    words, at least twice as many as labels) is the scratch hash table."""
    n_labels = label_off.size - 1
    mask = np.uint64(table.shape[0] - 1)
    table[:, 3] = _FREE  # three words, then length << 32 | position
    for j in range(n_labels):
        a, e = label_off[j], label_off[j + 1]
        w0, w1, w2, h = _key(label_buf, a, e)
        if e - a > MAX_BYTES:
            continue  # no text of at most MAX_BYTES equals it
        s = h & mask
        while table[s, 3] != _FREE:
            s = (s + _U1) & mask
        table[s, 0] = w0
        table[s, 1] = w1
        table[s, 2] = w2
        table[s, 3] = (np.uint64(e - a) << _U32) | np.uint64(j)
    for i in range(off.size - 1):
        a, e = off[i], off[i + 1]
        if e - a > MAX_BYTES:
            return False
        w0, w1, w2, h = _key(buf, a, e)
        length = np.uint64(e - a) << _U32
        s = h & mask
        code = -1
        while True:
            last = table[s, 3]
            if last == _FREE:
                break
            if (
                table[s, 0] == w0
                and table[s, 1] == w1
                and table[s, 2] == w2
                and (last & ~_FREE) == length
            ):
                code = np.int64(last & _FREE)
                break
            s = (s + _U1) & mask
        out[i] = code
    return True


def _buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The int64 offsets of a (large_)string array and its text as 64-bit words (a copy, with
    a spare zero word at the end for :func:`_word`)."""
    _, off_buf, data_buf = arr.buffers()
    if len(arr) == 0 or off_buf is None:
        return np.zeros(1, np.int64), np.zeros(2, np.uint64)
    wide = pa.types.is_large_string(arr.type)
    off = np.frombuffer(off_buf, dtype=np.int64 if wide else np.int32)
    off = off[arr.offset : arr.offset + len(arr) + 1].astype(np.int64, copy=False)
    n_bytes = int(off[-1])
    words = np.empty(n_bytes // 8 + 2, np.uint64)
    words[-2:] = 0
    if n_bytes:
        words.view(np.uint8)[:n_bytes] = np.frombuffer(data_buf, dtype=np.uint8, count=n_bytes)
    return off, words


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
    if not _positions(*_buffers(values), *_buffers(labels), table, found):
        return None
    if values.null_count:
        found[values.is_null().to_numpy(zero_copy_only=False)] = -1
    return found
