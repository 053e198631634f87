"""A direct reader of the ways of an OSM PBF file, in arrays (no Python object per way or node).

pyosmium hands every way and every way node to Python as an object; at a million road nodes that
alone takes several seconds. This module decodes the PBF blocks itself: Python reads the blob
headers and inflates the zlib data, and one numba kernel per block walks the protobuf messages into
flat arrays (node ids and fixed-point coordinates, way ids, node references, tag string ids).

It reads what libosmium's PBF reader gives pyosmium, for the files it understands: dense and plain
nodes, ways and their tags, the default coordinate granularity, uncompressed or zlib blobs, all
nodes before the ways, no history. Anything else (other compressions, history files, locations
stored on ways, nodes after ways, an unusual granularity, a malformed block) makes
:func:`read_pbf_ways` return ``None``, and the caller reads the file with pyosmium instead.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numba import njit

__all__ = ["read_pbf_ways"]

#: header features this reader handles; a file that requires any other is left to pyosmium
_KNOWN_REQUIRED = frozenset({"OsmSchema-V0.6", "DenseNodes"})
#: optional features that change what the blocks hold
_UNSUPPORTED_OPTIONAL = frozenset({"LocationsOnWays"})
_MAX_BLOB = 64 * 1024 * 1024


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def _fields(data: bytes) -> list[tuple[int, int, Any]]:
    """(field number, wire type, value) of a small protobuf message; bytes for wire type 2."""
    out = []
    pos, end = 0, len(data)
    while 0 <= pos < end:
        key, pos = _varint(data, pos)
        field, wire = key >> 3, key & 7
        value: Any
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 2:
            size, pos = _varint(data, pos)
            value = data[pos : pos + size]
            pos += size
        elif wire == 1:
            value, pos = data[pos : pos + 8], pos + 8
        elif wire == 5:
            value, pos = data[pos : pos + 4], pos + 4
        else:
            raise ValueError(f"protobuf wire type {wire}")
        out.append((field, wire, value))
    if pos != end:
        raise ValueError("truncated protobuf message")
    return out


def _blobs(data: bytes):
    """(type, payload) of every blob of a PBF file, the payload inflated; None when unsupported."""
    pos, end = 0, len(data)
    while 0 <= pos < end:
        if pos + 4 > end:
            raise ValueError("truncated blob header length")
        size = int.from_bytes(data[pos : pos + 4], "big")
        pos += 4
        header = _fields(data[pos : pos + size])
        pos += size
        btype = next((v for f, w, v in header if f == 1 and w == 2), b"").decode()
        datasize = next((v for f, w, v in header if f == 3 and w == 0), None)
        if datasize is None or datasize > _MAX_BLOB or pos + datasize > end:
            raise ValueError("bad blob header")
        blob = _fields(data[pos : pos + datasize])
        pos += datasize
        payload = None
        raw_size = next((v for f, w, v in blob if f == 2 and w == 0), None)
        if raw_size is not None and raw_size > _MAX_BLOB:
            raise ValueError("bad blob size")
        for f, w, v in blob:
            if f == 1 and w == 2:
                payload = bytes(v)
            elif f == 3 and w == 2:
                payload = zlib.decompress(v, bufsize=raw_size or zlib.DEF_BUF_SIZE)
            elif f in (4, 5, 6, 7):
                yield btype, None  # lzma, bzip2, lz4, zstd: left to libosmium
                return
        if payload is None or (raw_size is not None and len(payload) != raw_size):
            raise ValueError("blob without data")
        yield btype, payload


def _header_supported(payload: bytes) -> bool:
    for f, w, v in _fields(payload):
        if f == 4 and w == 2 and bytes(v).decode() not in _KNOWN_REQUIRED:
            return False
        if f == 5 and w == 2 and bytes(v).decode() in _UNSUPPORTED_OPTIONAL:
            return False
    return True


@njit(cache=True, nogil=True)
def _uvarint(buf, pos):
    """The varint at ``pos`` and the position after it; position -1 when it runs off the end."""
    result = np.uint64(0)
    shift = np.uint64(0)
    while True:
        if pos < 0 or pos >= buf.shape[0]:
            return result, -1
        b = np.uint64(buf[pos])
        pos += 1
        result |= (b & np.uint64(0x7F)) << shift
        if b < np.uint64(0x80):
            return result, pos
        shift += np.uint64(7)
        if shift > np.uint64(63):
            return result, -1


@njit(cache=True, nogil=True)
def _zigzag(u):
    return np.int64(u >> np.uint64(1)) ^ -np.int64(u & np.uint64(1))


@njit(cache=True, nogil=True)
def _skip(buf, pos, wire):
    """Position after a field's value, or -1 for a wire type that protobuf 2 blocks do not use,
    a value past the end of ``buf`` or a position already -1 (a key that ran off the end)."""
    if pos < 0:
        return -1
    if wire == 0:
        _, pos = _uvarint(buf, pos)
        return pos
    if wire == 1 or wire == 5:
        after = pos + (8 if wire == 1 else 4)
        return after if after <= buf.shape[0] else -1
    if wire == 2:
        size, pos = _uvarint(buf, pos)
        if pos < 0 or size > np.uint64(buf.shape[0] - pos):
            return -1
        return pos + np.int64(size)
    return -1


@njit(cache=True, nogil=True)
def _read_strings(buf, pos, end, str_start, str_end, ns):
    """The StringTable message in ``buf[pos:end]``: (start, end) of each string."""
    while 0 <= pos < end:
        key, pos = _uvarint(buf, pos)
        if np.int64(key >> np.uint64(3)) == 1 and np.int64(key & np.uint64(7)) == 2:
            size, pos = _uvarint(buf, pos)
            if pos < 0 or size > np.uint64(end - pos):
                return -1, ns
            str_start[ns] = pos
            str_end[ns] = pos + np.int64(size)
            ns += 1
            pos += np.int64(size)
        else:
            pos = _skip(buf, pos, np.int64(key & np.uint64(7)))
            if pos < 0:
                return -1, ns
    return pos, ns


@njit(cache=True, nogil=True)
def _read_dense(buf, pos, end, node_id, node_lat, node_lon, nn):
    """A DenseNodes message: delta-coded ids and coordinates (tags and metadata are skipped)."""
    first = nn
    n_lat = n_lon = nn
    while 0 <= pos < end:
        key, pos = _uvarint(buf, pos)
        field = np.int64(key >> np.uint64(3))
        wire = np.int64(key & np.uint64(7))
        if field in (1, 8, 9) and wire == 2:
            size, pos = _uvarint(buf, pos)
            packed_end = pos + np.int64(size)
            if pos < 0 or size > np.uint64(end - pos):
                return -1, nn
            acc = np.int64(0)
            i = first
            while 0 <= pos < packed_end:
                u, pos = _uvarint(buf, pos)
                acc += _zigzag(u)
                if field == 1:
                    node_id[i] = acc
                elif field == 8:
                    node_lat[i] = acc
                else:
                    node_lon[i] = acc
                i += 1
            if field == 1:
                nn = i
            elif field == 8:
                n_lat = i
            else:
                n_lon = i
        else:
            pos = _skip(buf, pos, wire)
            if pos < 0:
                return -1, nn
    if n_lat != nn or n_lon != nn:
        return -1, nn
    return pos, nn


@njit(cache=True, nogil=True)
def _read_node(buf, pos, end, node_id, node_lat, node_lon, nn):
    """A (non-dense) Node message: its id and coordinates."""
    has_lat = has_lon = False
    while 0 <= pos < end:
        key, pos = _uvarint(buf, pos)
        field = np.int64(key >> np.uint64(3))
        wire = np.int64(key & np.uint64(7))
        if wire == 0 and field in (1, 8, 9):
            u, pos = _uvarint(buf, pos)
            if field == 1:
                node_id[nn] = _zigzag(u)
            elif field == 8:
                node_lat[nn] = _zigzag(u)
                has_lat = True
            else:
                node_lon[nn] = _zigzag(u)
                has_lon = True
        else:
            pos = _skip(buf, pos, wire)
            if pos < 0:
                return -1, nn
    if not (has_lat and has_lon):
        return -1, nn
    return pos, nn + 1


@njit(cache=True, nogil=True)
def _read_way(buf, pos, end, way_id, way_nref, way_ntag, refs, tag_k, tag_v, nw, nr, nt):
    """A Way message: its id, tag string ids and delta-coded node references."""
    way_id[nw] = 0
    way_nref[nw] = 0
    keys_at = vals_at = nt
    while 0 <= pos < end:
        key, pos = _uvarint(buf, pos)
        field = np.int64(key >> np.uint64(3))
        wire = np.int64(key & np.uint64(7))
        if field == 1 and wire == 0:
            u, pos = _uvarint(buf, pos)
            way_id[nw] = np.int64(u)
        elif field in (2, 3, 8) and wire == 2:
            size, pos = _uvarint(buf, pos)
            packed_end = pos + np.int64(size)
            if pos < 0 or size > np.uint64(end - pos):
                return -1, nr, nt
            acc = np.int64(0)
            while 0 <= pos < packed_end:
                u, pos = _uvarint(buf, pos)
                if field == 2:
                    tag_k[keys_at] = np.int64(u)
                    keys_at += 1
                elif field == 3:
                    tag_v[vals_at] = np.int64(u)
                    vals_at += 1
                else:
                    acc += _zigzag(u)
                    refs[nr] = acc
                    nr += 1
                    way_nref[nw] += 1
        elif field in (9, 10):  # locations on ways: left to libosmium
            return -1, nr, nt
        else:
            pos = _skip(buf, pos, wire)
            if pos < 0:
                return -1, nr, nt
    if keys_at != vals_at:
        return -1, nr, nt
    way_ntag[nw] = keys_at - nt
    return pos, nr, keys_at


@njit(cache=True, nogil=True)
def _read_group(buf, pos, end, out, counts):
    """A PrimitiveGroup: its nodes, dense nodes and ways (relations are skipped)."""
    (
        _,
        _,
        node_id,
        node_lat,
        node_lon,
        way_id,
        way_nref,
        way_ntag,
        refs,
        tag_k,
        tag_v,
    ) = out
    nn, nw, nr, nt = counts[1], counts[2], counts[3], counts[4]
    while 0 <= pos < end:
        key, pos = _uvarint(buf, pos)
        if np.int64(key & np.uint64(7)) != 2:
            return -1
        kind = np.int64(key >> np.uint64(3))
        size, pos = _uvarint(buf, pos)
        msg_end = pos + np.int64(size)
        if pos < 0 or size > np.uint64(end - pos):
            return -1
        if kind in (1, 2) and nw > 0:
            return -1  # nodes after ways: left to libosmium, which reads in order
        if kind == 1:
            pos, nn = _read_node(buf, pos, msg_end, node_id, node_lat, node_lon, nn)
        elif kind == 2:
            pos, nn = _read_dense(buf, pos, msg_end, node_id, node_lat, node_lon, nn)
        elif kind == 3:
            pos, nr, nt = _read_way(
                buf, pos, msg_end, way_id, way_nref, way_ntag, refs, tag_k, tag_v, nw, nr, nt
            )
            nw += 1
        else:
            pos = msg_end
        if pos != msg_end:
            return -1
    counts[1], counts[2], counts[3], counts[4] = nn, nw, nr, nt
    return pos


@njit(cache=True, nogil=True)
def _decode_block(buf, out, counts, ints):
    """Strings, nodes and ways of one PrimitiveBlock (see the module docstring) into ``out``.

    ``counts`` receives how many strings, nodes, ways, references and tags were read, ``ints``
    [error, granularity, lat_offset, lon_offset]; ``error`` is nonzero when the block holds
    anything this reader does not decode.
    """
    n = buf.shape[0]
    ints[1] = 100
    pos = 0
    while 0 <= pos < n:
        key, pos = _uvarint(buf, pos)
        field = np.int64(key >> np.uint64(3))
        wire = np.int64(key & np.uint64(7))
        if field in (1, 2) and wire == 2:
            size, pos = _uvarint(buf, pos)
            end = pos + np.int64(size)
            if pos < 0 or size > np.uint64(n - pos):
                pos = -1
            elif field == 1:
                pos, counts[0] = _read_strings(buf, pos, end, out[0], out[1], counts[0])
            else:
                pos = _read_group(buf, pos, end, out, counts)
                if pos != end:
                    pos = -1
        elif field in (17, 19, 20) and wire == 0:
            u, pos = _uvarint(buf, pos)
            ints[1 if field == 17 else (2 if field == 19 else 3)] = np.int64(u)
        else:
            pos = _skip(buf, pos, wire)
    ints[0] = 0 if pos == n else 1


def _decode(buf: np.ndarray) -> list[np.ndarray] | None:
    """:func:`_decode_block` with its output arrays: the block's arrays, or None."""
    n = len(buf)
    # upper bounds: every string, node, way, reference and tag takes at least one byte;
    # np.empty: pages never written cost no memory
    sizes = (n // 2, n // 2, n, n, n, n // 2, n // 2, n // 2, n, n, n)
    out = tuple(np.empty(k + 1, np.int64) for k in sizes)
    counts = np.zeros(5, np.int64)
    ints = np.zeros(4, np.int64)
    _decode_block(buf, out, counts, ints)
    if ints[0] != 0 or ints[1] != 100 or ints[2] != 0 or ints[3] != 0:
        return None
    ns, nn, nw, nr, nt = counts.tolist()
    used = (ns, ns, nn, nn, nn, nw, nw, nw, nr, nt, nt)
    return [a[:k].copy() for a, k in zip(out, used, strict=True)]


def _way_tags(
    payload: bytes, starts: np.ndarray, ends: np.ndarray, tag_k: np.ndarray, tag_v: np.ndarray
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The block's strings, and per tag its key's and value's string ids."""
    strings = [payload[s:e].decode("utf-8", "replace") for s, e in zip(starts, ends, strict=True)]
    if len(tag_k) and (max(int(tag_k.max()), int(tag_v.max())) >= len(strings)):
        raise ValueError("tag string id outside the string table")
    return strings, tag_k, tag_v


def read_pbf_ways(path: str, key: str, wanted: Sequence[str]) -> dict[str, Any] | None:
    """The ways of a PBF file that have a ``key`` tag, with the values of the ``wanted`` tags.

    Returns ``None`` when the file holds anything this reader does not decode (see the module
    docstring); the caller then reads it with pyosmium. Otherwise a dict: ``way_id``, ``nref``
    (node count of each way), ``ref`` (their node ids, flat), ``x`` and ``y`` (each way node's
    longitude and latitude in 1e-7 degrees, as libosmium's fixed-point ``Location``), ``valid``
    (the node is in the file with a valid location), ``strings`` (object array of the distinct tag
    values) and ``tags`` ({key: per way, the position in ``strings`` of the first value of that
    key, -1 where absent}).

    Nodes are looked up as ``FileProcessor(...).with_locations()`` does: the last node of that id
    in the file, and only nodes with a non-negative id.
    """
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        return _read(data, key, wanted)
    except (ValueError, IndexError, OverflowError, MemoryError, UnicodeDecodeError, zlib.error):
        return None


def _read(data: bytes, key: str, wanted: Sequence[str]) -> dict[str, Any] | None:
    node_parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    way_parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]] = []
    seen_header = False
    saw_ways = False
    distinct: dict[str, int] = {}  # every tag value read, numbered in order of first use
    for btype, payload in _blobs(data):
        if payload is None:
            return None
        if btype == "OSMHeader":
            if not _header_supported(payload):
                return None
            seen_header = True
            continue
        if btype != "OSMData":
            continue  # unknown blob types are skipped, as the format allows
        if not seen_header:
            return None
        buf = np.frombuffer(payload, dtype=np.uint8)
        block = _decode(buf)
        if block is None:
            return None
        s0, s1, nid, nlat, nlon, wid, wnref, wntag, refs, tk, tv = block
        if len(nid):
            if saw_ways:
                return None  # nodes after ways: left to libosmium, which reads in order
            node_parts.append((nid, nlon, nlat))
        saw_ways = saw_ways or len(wid) > 0
        if not len(wid):
            continue
        strings, tk, tv = _way_tags(payload, s0, s1, tk, tv)
        # every id of a name counts: nothing in the format makes a block's strings distinct
        names = np.array(strings, dtype=object)
        code = np.full(len(strings), -1, np.int64)
        for j, name in enumerate((key, *wanted)):
            code[names == name] = j
        if code.max(initial=-1) < 0:
            continue  # no way in this block has the key
        tag_code = code[tk]
        tag_way = np.repeat(np.arange(len(wid)), wntag)
        # the first value of each key per way, as libosmium's TagList.get
        first_val = np.full((len(wanted) + 1, len(wid)), -1, np.int64)
        for j in range(len(wanted) + 1):
            at = np.flatnonzero(tag_code == j)
            if len(at) == 0:
                continue
            w = tag_way[at]
            first = np.r_[True, w[1:] != w[:-1]]
            first_val[j, w[first]] = tv[at[first]]
        keep = first_val[0] >= 0
        if not keep.any():
            continue
        # the block's string ids as codes into the file's distinct values (-1: no such tag)
        mark = np.zeros(len(strings) + 1, bool)
        mark[first_val[:, keep]] = True
        used = np.flatnonzero(mark[:-1])
        to_code = np.full(len(strings) + 1, -1, np.int64)
        to_code[used] = [distinct.setdefault(strings[i], len(distinct)) for i in used]
        values = [to_code[first_val[j, keep]] for j in range(len(wanted) + 1)]
        way_parts.append((wid[keep], wnref[keep], refs[np.repeat(keep, wnref)], values))
    if not seen_header:
        return None
    out = _locate(node_parts, way_parts, wanted, key)
    out["strings"] = np.array([*distinct, None], dtype=object)[:-1]
    return out


def _locate(
    node_parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
    way_parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]],
    wanted: Sequence[str],
    key: str,
) -> dict[str, Any]:
    """Way node locations from the node table, and the per-block way arrays joined."""
    names = (key, *wanted)
    if way_parts:
        way_id = np.concatenate([p[0] for p in way_parts])
        nref = np.concatenate([p[1] for p in way_parts])
        ref = np.concatenate([p[2] for p in way_parts])
        tags = {n: np.concatenate([p[3][j] for p in way_parts]) for j, n in enumerate(names)}
    else:
        way_id = np.zeros(0, np.int64)
        nref = np.zeros(0, np.int64)
        ref = np.zeros(0, np.int64)
        tags = {n: np.zeros(0, np.int64) for n in names}
    if node_parts:
        nid = np.concatenate([p[0] for p in node_parts])
        nx = np.concatenate([p[1] for p in node_parts])
        ny = np.concatenate([p[2] for p in node_parts])
    else:
        nid = nx = ny = np.zeros(0, np.int64)
    # libosmium's location index holds non-negative ids only; a later node replaces an earlier one
    pos_id = nid >= 0
    if not pos_id.all():
        nid, nx, ny = nid[pos_id], nx[pos_id], ny[pos_id]
    index = pd.Index(nid)
    if not index.is_unique:
        last = ~index.duplicated(keep="last")
        nid, nx, ny = nid[last], nx[last], ny[last]
        index = pd.Index(nid)
    at = index.get_indexer(ref)
    found = at >= 0
    x = np.where(found, nx[at], 0) if len(nid) else np.zeros(len(ref), np.int64)
    y = np.where(found, ny[at], 0) if len(nid) else np.zeros(len(ref), np.int64)
    # libosmium: a location is valid within -180..180, -90..90 degrees (1e-7 fixed point)
    valid = found & (np.abs(x) <= 1_800_000_000) & (np.abs(y) <= 900_000_000)
    return {
        "way_id": way_id,
        "nref": nref,
        "ref": ref,
        "x": x,
        "y": y,
        "valid": valid,
        "tags": tags,
    }
