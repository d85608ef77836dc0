"""From delivered bytes to numbered text lines: encodings, byte-order marks and line endings.

Departments export with whatever their system or spreadsheet uses. What is decided here:

- A byte-order mark is the exporter's own statement of the encoding and wins over the
  contract (recorded as a note): UTF-8, UTF-16 and UTF-32 are all read.
- Without one, the contract's encoding is used, unless the bytes are plainly something else:
  UTF-16 without a mark, UTF-8 where the contract says GBK (GBK would read it as mojibake without
  an error), or GB18030 where the contract says UTF-8. Those refuse the file with a clear message
  instead of quarantining every line or, worse, publishing garbled text.
- A few undecodable bytes in an otherwise good file cost only their lines.
- Lines end with CRLF, LF or a lone CR (old Mac exports), also mixed in one file.
- A line longer than the limit is reported as too long without being held in memory.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import BinaryIO, Iterator

from govlake.errors import DeliveryError

CHUNK = 1 << 20
PROBE = 1 << 16
BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_GB_FAMILY = {"gbk", "gb2312", "gb18030", "big5", "big5hkscs", "cp936", "hz"}
_EOL = re.compile(rb"\r\n|\r|\n")


def canonical(encoding: str) -> str:
    name = codecs.lookup(encoding).name
    return "utf-8" if name == "utf-8-sig" else name


def ascii_compatible(encoding: str) -> bool:
    """True when a line break byte can never be part of a multi-byte character."""
    return not canonical(encoding).startswith(("utf-16", "utf-32"))


@dataclass(frozen=True)
class Line:
    number: int  # physical line, 1-based (the header is line 1)
    text: str | None  # None when the line is longer than the limit
    undecodable: bool = False  # the text holds U+FFFD where bytes could not be decoded

    @property
    def too_long(self) -> bool:
        return self.text is None


@dataclass
class Decoding:
    """What the bytes turned out to be."""

    encoding: str  # what they are decoded as
    declared: str
    bom: bool
    notes: list[str]


def detect(head: bytes, declared: str, name: str) -> Decoding:
    """Decide how to decode a file from its first bytes; refuse what would only produce garbage."""
    declared_c = canonical(declared)
    for mark, encoding in BOMS:
        if head.startswith(mark):
            notes = []
            if canonical(encoding) != declared_c and not (encoding == "utf-8" and declared_c == "utf-8"):
                notes.append(f"delivered as {encoding.upper()} (byte-order mark) although the contract says "
                             f"{declared}; read as {encoding.upper()}")
            return Decoding(encoding, declared, True, notes)
    if not ascii_compatible(declared_c):
        return Decoding(declared_c, declared, False, [])
    sample = head[:PROBE]
    if sample and _looks_like_utf16(sample):
        raise DeliveryError(f"{name}: the bytes look like UTF-16 text without a byte-order mark (every other byte "
                            f"is zero); the contract says {declared}: re-export as {declared} or UTF-8, or declare "
                            "encoding utf-16-le in the contract")
    if declared_c in _GB_FAMILY and _non_ascii(sample) and _is_utf8(sample):
        raise DeliveryError(f"{name}: the bytes are UTF-8 but the contract says {declared}; reading them as "
                            f"{declared} would garble every Chinese character. Re-export as {declared}, or "
                            "change the contract's encoding")
    if declared_c == "utf-8" and _non_ascii(sample) and not _is_utf8(sample):
        bad, total = _undecodable_lines(sample, "utf-8")
        if total and bad * 2 >= total and _decodes(sample, "gb18030"):
            raise DeliveryError(f"{name}: {bad} of the first {total} lines with non-ASCII text are not valid UTF-8 but "
                                f"read as GB18030/GBK; the contract says {declared}. Re-export as UTF-8, or change the "
                                "contract's encoding")
    return Decoding(declared_c, declared, False, [])


def _looks_like_utf16(sample: bytes) -> bool:
    even, odd = sample[0::2], sample[1::2]
    zeros = max(even.count(0), odd.count(0))
    return len(sample) >= 4 and zeros >= 0.3 * len(sample) / 2


def _non_ascii(sample: bytes) -> bool:
    return any(b >= 0x80 for b in sample)


def _trim_partial(sample: bytes) -> bytes:
    """Drop an incomplete last line so a multi-byte character cut by the probe does not count."""
    cut = max(sample.rfind(b"\n"), sample.rfind(b"\r"))
    return sample[: cut + 1] if cut > 0 else sample


def _is_utf8(sample: bytes) -> bool:
    return _decodes(sample, "utf-8")


def _decodes(sample: bytes, encoding: str) -> bool:
    try:
        _trim_partial(sample).decode(encoding)
        return True
    except UnicodeDecodeError:
        return False


def _undecodable_lines(sample: bytes, encoding: str) -> tuple[int, int]:
    bad = total = 0
    for raw in _EOL.split(_trim_partial(sample)):
        if any(b >= 0x80 for b in raw):
            total += 1
            try:
                raw.decode(encoding)
            except UnicodeDecodeError:
                bad += 1
    return bad, total


def _chunks(stream: BinaryIO, first: bytes = b"") -> Iterator[bytes]:
    if first:
        yield first
    while chunk := stream.read(CHUNK):
        yield chunk


def _transcoded(chunks: Iterator[bytes], encoding: str) -> Iterator[bytes]:
    """UTF-16/32 -> UTF-8, so line splitting can work on bytes. Bad sequences become U+FFFD."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    for chunk in chunks:
        text = decoder.decode(chunk)
        if text:
            yield text.encode("utf-8", errors="surrogatepass")
    tail = decoder.decode(b"", final=True)
    if tail:
        yield tail.encode("utf-8", errors="surrogatepass")


def split_line_batches(chunks: Iterator[bytes], max_bytes: int) -> Iterator[list[bytes | None]]:
    """Raw lines without their terminators (CRLF, LF or CR), a chunk's worth at a time; None
    for a line over ``max_bytes``. Splitting is ``bytes.splitlines`` (the same three
    terminators), so the per-line cost stays in C."""
    pending = b""
    skipping = False  # inside a line already reported as too long
    for chunk in chunks:
        data = pending + chunk if pending else chunk
        # A CR at the very end may be the first half of CRLF: decide when more data comes.
        end = len(data) - 1 if data.endswith(b"\r") else len(data)
        cut = max(data.rfind(b"\n", 0, end), data.rfind(b"\r", 0, end))
        if cut >= 0:
            lines: list[bytes | None] = data[: cut + 1].splitlines()
            if skipping:  # the rest of the over-long line
                skipping = False
                lines[0] = None
            yield lines
            pending = data[cut + 1:]
        else:
            pending = data
        if len(pending) > max_bytes:
            skipping = True
            pending = pending[-1:] if pending.endswith(b"\r") else b""
    if skipping:
        yield [None]
    elif pending:
        yield [pending[:-1] if pending.endswith(b"\r") else pending]


def split_lines(chunks: Iterator[bytes], max_bytes: int) -> Iterator[bytes | None]:
    """Raw lines without their terminators (CRLF, LF or CR); None for a line over ``max_bytes``."""
    for lines in split_line_batches(chunks, max_bytes):
        yield from lines


@dataclass
class LineBlock:
    """Consecutive physical lines, still as bytes: numbered and decoded only when needed."""

    first: int  # the number of the first line
    raws: list[bytes | None]
    codec: str
    transcoded: bool  # decoded from UTF-8 that was transcoded from UTF-16/32 (U+FFFD marks bad bytes)

    def lines(self) -> list[Line]:
        out = []
        codec, transcoded = self.codec, self.transcoded
        for number, raw in enumerate(self.raws, start=self.first):
            if raw is None:
                out.append(Line(number, None))
                continue
            try:
                text = raw.decode(codec)
                out.append(Line(number, text, transcoded and "\ufffd" in text))
            except UnicodeDecodeError:
                out.append(Line(number, raw.decode(codec, errors="replace"), True))
        return out

    def halves(self) -> tuple[LineBlock, LineBlock]:
        h = len(self.raws) // 2
        return (LineBlock(self.first, self.raws[:h], self.codec, self.transcoded),
                LineBlock(self.first + h, self.raws[h:], self.codec, self.transcoded))

    def clean_text(self) -> str | None:
        """The block's lines joined by LF when all decode cleanly and none is over-long; else None."""
        if None in self.raws:
            return None
        try:
            text = b"\n".join(self.raws).decode(self.codec)  # type: ignore[arg-type]
        except UnicodeDecodeError:
            return None
        if self.transcoded and "\ufffd" in text:
            return None
        return text


def decoded_line_blocks(stream: BinaryIO, declared: str, name: str, max_bytes: int,
                        head: bytes | None = None) -> tuple[Decoding, Iterator[LineBlock]]:
    """Detect the encoding from the first bytes, then the file's lines in numbered blocks."""
    first = head if head is not None else stream.read(PROBE)
    decoding = detect(first, declared, name)
    if decoding.bom:
        first = first[len(next(m for m, e in BOMS if e == decoding.encoding)):]
    chunks = _chunks(stream, first)
    codec = decoding.encoding
    if not ascii_compatible(codec):
        chunks, codec = _transcoded(chunks, codec), "utf-8"
    transcoded = codec != decoding.encoding

    def blocks() -> Iterator[LineBlock]:
        number = 1
        for raws in split_line_batches(chunks, max_bytes):
            yield LineBlock(number, raws, codec, transcoded)
            number += len(raws)

    return decoding, blocks()


def decoded_lines(stream: BinaryIO, declared: str, name: str, max_bytes: int,
                  head: bytes | None = None) -> tuple[Decoding, Iterator[Line]]:
    """Detect the encoding from the first bytes, then number and decode every line."""
    decoding, blocks = decoded_line_blocks(stream, declared, name, max_bytes, head)

    def lines() -> Iterator[Line]:
        for block in blocks:
            yield from block.lines()

    return decoding, lines()
