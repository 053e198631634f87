"""Shapefile text encodings: the code page of a .dbf, from its .cpg, its header or its bytes."""

from __future__ import annotations

import codecs
import logging
from pathlib import Path

from ..errors import InvalidValueError

logger = logging.getLogger(__name__)


#: dBase language driver ids (byte 29 of the .dbf header) of East Asian code pages, as GDAL reads
#: them when there is no .cpg file.
_LDID_CODEC = {0x4D: "cp936", 0x7A: "cp936", 0x4F: "cp950", 0x78: "cp950", 0x4E: "cp949",
               0x79: "cp949", 0x13: "cp932", 0x7B: "cp932"}  # fmt: skip


#: .dbf language drivers of Western code pages that Chinese data often carries wrongly: 0x57 is
#: "ANSI", the writing machine's code page (GBK on a Chinese Windows); GDAL reads them as Latin.
_WESTERN_LDID = {0x01: "cp437", 0x02: "cp850", 0x03: "cp1252", 0x57: "cp1252", 0x58: "cp1252",
                 0x59: "cp1252"}  # fmt: skip


_ENCODING_FIX = (
    'pass encoding="..." to read_layer (in a project file, the [input] key of the layer, e.g. '
    '`villages_encoding = "gbk"`; keys: roads_encoding, villages_encoding, facilities_encoding, '
    "townships_encoding), or put the encoding in a .cpg file next to the .shp"
)


def shapefile_dbf(path: Path, layer: str | None) -> Path | None:
    """The .dbf of a Shapefile (a .shp path, or a folder of Shapefiles and a layer name)."""
    if path.is_dir():
        if layer is None:
            return None
        stem = path / layer
    elif path.suffix.lower() == ".shp":
        stem = path.with_suffix("")
    else:
        return None
    for suffix in (".dbf", ".DBF", ".Dbf"):
        candidate = stem.with_name(stem.name + suffix)
        if candidate.exists():
            return candidate
    return None


def _cpg_codec(dbf: Path) -> tuple[str | None, str | None]:
    """``(text of the .cpg file, Python codec it names)``; ``(None, None)`` without a .cpg."""
    for suffix in (".cpg", ".CPG", ".Cpg"):
        cpg = dbf.with_suffix(suffix)
        if cpg.exists():
            break
    else:
        return None, None
    text = cpg.read_bytes().decode("ascii", errors="replace").strip()
    name = text.upper().replace("_", "-")
    if name in ("UTF-8", "UTF8", "65001"):
        return text, "utf-8"
    if name.replace("-", "").startswith("8859"):  # "88591", "8859-1" as GDAL reads them
        name = "iso8859-" + name.replace("-", "")[4:]
    elif name.isdigit():
        name = f"cp{name}"
    elif name.startswith("ANSI ") and name[5:].strip().isdigit():
        name = f"cp{name[5:].strip()}"
    try:
        return text, codecs.lookup(name).name
    except LookupError:
        return text, None


def _dbf_text(dbf: Path) -> tuple[list[tuple[bytes, bool]], int]:
    """The distinct non-ASCII texts of a .dbf (field names and the values of its character
    fields), each with whether it fills its field (and so may end in a cut character), and the
    language driver id of its header."""
    import numpy as np

    with open(dbf, "rb") as f:
        head = f.read(32)
        if len(head) < 32:
            return [], 0
        n_records = int.from_bytes(head[4:8], "little")
        header_len = int.from_bytes(head[8:10], "little")
        record_len = int.from_bytes(head[10:12], "little")
        descriptors = f.read(max(header_len - 32, 0))
    texts: list[tuple[bytes, bool]] = []
    fields: list[tuple[int, int]] = []  # (offset in the record, width) of character fields
    offset = 1  # the deletion flag comes first
    for i in range(0, len(descriptors) - 31, 32):
        d = descriptors[i : i + 32]
        if d[0] == 0x0D:
            break
        name = d[:11].split(b"\x00", 1)[0]
        if any(b >= 0x80 for b in name):
            texts.append((name, False))
        width = d[16]
        if d[11:12] == b"C":
            width = d[16] + 256 * d[17]  # long character fields keep the high byte in "decimals"
            fields.append((offset, width))
        offset += width
    if not fields or n_records == 0 or record_len == 0:
        return texts, head[29]
    size = dbf.stat().st_size
    n_records = min(n_records, max((size - header_len) // record_len, 0))
    if n_records == 0:
        return texts, head[29]
    records = np.memmap(dbf, dtype=np.uint8, mode="r", offset=header_len,
                        shape=(n_records, record_len))  # fmt: skip
    for start, width in fields:
        if start + width > record_len:
            break
        block = np.ascontiguousarray(records[:, start : start + width])
        rows = block[(block >= 0x80).any(axis=1)]
        # distinct values through a bytes view: np.unique(axis=0) takes minutes on wide fields
        for value in set(rows.view(np.dtype((np.void, width))).ravel().tolist()):
            raw = bytes(value).rstrip(b" \x00")
            texts.append((raw, len(raw) == width))
    del records
    return texts, head[29]


def _valid_in(texts: list[tuple[bytes, bool]], codec: str) -> bool:
    """Whether every text decodes in ``codec`` (a character cut at the end of a full field, as
    writers that truncate by bytes leave it, is tolerated)."""
    for raw, full in texts:
        try:
            raw.decode(codec)
        except UnicodeDecodeError as exc:
            if not (full and exc.end == len(raw) and exc.start >= len(raw) - 3):
                return False
        except LookupError:
            return False
    return True


def _gbk_extension_pair(lead: int, trail: int) -> bool:
    """A GBK character outside GB2312 that Western (Latin-1) text does not look like: GBK/3
    (lead 0x81-0x9F, C1 control codes in Latin-1, with any trail byte) or GBK/4 with a trail
    byte 0x80-0xA0 (an accented letter followed by an ASCII letter stays Western)."""
    gbk3 = 0x81 <= lead <= 0x9F and 0x40 <= trail <= 0xFE and trail != 0x7F
    gbk4 = 0xAA <= lead <= 0xFE and 0x80 <= trail <= 0xA0
    return gbk3 or gbk4


def _double_byte_chinese(texts: list[tuple[bytes, bool]]) -> bool:
    """Whether every non-ASCII byte pairs up as a GB2312 character (both bytes 0xA1-0xFE), as in
    Chinese text, and unlike Western text, whose accented letters stand alone among ASCII."""
    for raw, full in texts:
        i, n = 0, len(raw)
        while i < n:
            if raw[i] < 0x80:
                i += 1
            elif i + 1 < n and 0xA1 <= raw[i] <= 0xFE and 0xA1 <= raw[i + 1] <= 0xFE:
                i += 2
            elif i + 1 < n and _gbk_extension_pair(raw[i], raw[i + 1]):
                i += 2  # a GBK character beyond GB2312, common in place names (塅 = 89 46)
            elif full and i == n - 1:  # a character cut at the end of a full field
                i += 1
            else:
                return False
    return True


def shapefile_encoding(dbf: Path, encoding: str | None) -> str | None:
    """The encoding to read a Shapefile with (``None``: as its .cpg or .dbf header declares).

    See :func:`read_layer` for the rules. Raises InvalidValueError when the text is not valid in
    the encoding given or declared by a .cpg file, and warns when it guesses.
    """
    import warnings

    from ..errors import InputWarning

    shp = str(dbf.with_suffix(".shp"))
    try:
        texts, ldid = _dbf_text(dbf)
    except (OSError, ValueError) as exc:  # not a dBase file GDAL could read either
        logger.debug("could not check the text encoding of %s: %s", dbf, exc)
        return encoding
    if not texts:  # plain ASCII: every encoding reads it alike
        return encoding
    valid = [c for c in ("utf-8", "gb18030") if _valid_in(texts, c)]
    example = texts[0][0]
    if encoding is not None:
        if _valid_in(texts, encoding):
            return encoding
        raise InvalidValueError(
            f"{shp!r}: the text is not valid {encoding} (e.g. the bytes {example[:24]!r}), the "
            f"encoding given. "
            + (
                f"It is valid {' and '.join(valid)}: use encoding={valid[0]!r}."
                if valid
                else "Find the encoding it was written in and give it: " + _ENCODING_FIX + "."
            )
        )
    cpg_text, declared = _cpg_codec(dbf)
    source = f"its .cpg file says {cpg_text!r}"
    if cpg_text is not None and declared is None:
        # a name GDAL may know and Python does not: GDAL decodes as declared
        logger.info("%s: .cpg %r is not a Python codec; GDAL decodes the text", shp, cpg_text)
        return None
    if cpg_text is None:
        declared = _LDID_CODEC.get(ldid)
        source = f"its .dbf header declares code page {declared}"
        if declared is None and ldid not in (0, *_WESTERN_LDID):
            return None  # another declared code page (Cyrillic, Greek, ...): GDAL reads it
        if ldid in _WESTERN_LDID and not (
            "gb18030" in valid and "utf-8" not in valid and _double_byte_chinese(texts)
        ):
            return "utf-8" if "utf-8" in valid else _WESTERN_LDID[ldid]
    if declared is not None and _valid_in(texts, declared):
        return None  # GDAL reads it as declared
    if cpg_text is None and declared is None:  # nothing declared: GDAL would read Latin-1
        if "utf-8" in valid:
            logger.info("%s: no .cpg file; the text is UTF-8 and is read as such", shp)
            return "utf-8"
        if "gb18030" in valid and _double_byte_chinese(texts):
            warnings.warn(
                f"{shp!r} has no .cpg file saying its text encoding; the text is not UTF-8 but "
                "is valid GB18030 (GBK), the usual encoding of Chinese Shapefiles, and was read "
                f"as GB18030. If the names look wrong, set the encoding explicitly: "
                f"{_ENCODING_FIX}.",
                InputWarning,
                stacklevel=3,
            )
            return "gb18030"
        warnings.warn(
            f"{shp!r} has no .cpg file saying its text encoding and its text is neither UTF-8 "
            f"nor GB18030 (e.g. the bytes {example[:24]!r}); it was read as Latin-1 "
            f"(ISO-8859-1), which may garble names. Set the real encoding: {_ENCODING_FIX}.",
            InputWarning,
            stacklevel=3,
        )
        return "latin1"
    if cpg_text is not None and declared is None:
        described = f"{shp!r}: its .cpg file names an unknown encoding {cpg_text!r}"
    else:
        described = f"{shp!r}: {source} but the text is not valid {declared}"
    choice = "gb18030" if "gb18030" in valid else (valid[0] if valid else None)
    if choice is None:
        raise InvalidValueError(
            f"{described} (e.g. the bytes {example[:24]!r}), nor UTF-8 or GB18030. Find the "
            f"encoding it was written in and give it: {_ENCODING_FIX}."
        )
    warnings.warn(
        f"{described}; it is valid {choice.upper()} and was read as {choice.upper()}. Correct "
        f"the .cpg file or set the encoding explicitly: {_ENCODING_FIX}.",
        InputWarning,
        stacklevel=3,
    )
    return choice


def undecodable(path: Path, encoding: str | None, exc: UnicodeDecodeError) -> InvalidValueError:
    return InvalidValueError(
        f"{str(path)!r}: text cannot be decoded as {encoding or exc.encoding} ({exc.reason} at "
        f"the bytes {exc.object[exc.start : exc.start + 8]!r}). Set the encoding it was written "
        f"in: {_ENCODING_FIX}."
    )
