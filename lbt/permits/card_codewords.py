"""The codewords of the card's QR (ISO/IEC 18004 §7.4-7.6): the data bits, the terminator and padding,
then Reed-Solomon error correction per block, interleaved. ``qrcode.util.create_data`` computes the
same list (tests/permits/test_print_streaming.py compares them) but writes the bits one at a time and
divides polynomials by recursion, about 6 ms of a card's 20 here; this keeps the bits in one integer
and divides with a table per generator polynomial. The chunks, block table and field tables are
qrcode's own."""

from __future__ import annotations

from functools import cache

from qrcode import base, util


class _Bits:
    """The data bits in one integer, with the ``put`` that ``QRData.write`` calls."""

    def __init__(self) -> None:
        self.value = 0
        self.length = 0

    def put(self, number: int, length: int) -> None:
        self.value = (self.value << length) | number
        self.length += length


def _multiply(a: int, b: int) -> int:
    if a == 0 or b == 0:
        return 0
    return base.EXP_TABLE[(base.LOG_TABLE[a] + base.LOG_TABLE[b]) % 255]


@cache
def _generator_rows(degree: int) -> tuple[tuple[int, ...], ...]:
    """For each byte f, f times the generator polynomial of ``degree`` (its coefficients after the
    leading 1): the row that one division step adds to the remainder."""
    generator = [1]
    for power in range(degree):  # the product of (x - a^i), i < degree, in GF(256)
        root = base.EXP_TABLE[power]
        generator = [
            (generator[i] if i < len(generator) else 0) ^ (_multiply(generator[i - 1], root) if i else 0)
            for i in range(len(generator) + 1)
        ]
    return tuple(tuple(_multiply(factor, g) for g in generator[1:]) for factor in range(256))


def _error_correction(data: list[int], degree: int) -> list[int]:
    """The remainder of data(x) * x^degree divided by the generator polynomial."""
    rows = _generator_rows(degree)
    remainder = [0] * degree
    for byte in data:
        row = rows[byte ^ remainder[0]]
        remainder.append(0)
        remainder = [a ^ b for a, b in zip(remainder[1:], row, strict=True)]
    return remainder


def codewords(chunks: list[util.QRData], version: int, level: int) -> list[int]:
    """The symbol's codewords in placement order, as ``qrcode.util.create_data`` returns them."""
    bits = _Bits()
    for chunk in chunks:
        bits.put(chunk.mode, 4)
        bits.put(len(chunk), util.length_in_bits(chunk.mode, version))
        chunk.write(bits)
    blocks = base.rs_blocks(version, level)
    limit = sum(block.data_count * 8 for block in blocks)
    if bits.length > limit:
        raise ValueError(f"the data ({bits.length} bits) does not fit version {version}")
    bits.put(0, min(limit - bits.length, 4))  # the terminator
    bits.put(0, -bits.length % 8)
    data = list(bits.value.to_bytes(bits.length // 8, "big"))
    data += [util.PAD0 if index % 2 == 0 else util.PAD1 for index in range(limit // 8 - len(data))]
    data_blocks, ec_blocks, offset = [], [], 0
    for block in blocks:
        part = data[offset : offset + block.data_count]
        offset += block.data_count
        data_blocks.append(part)
        ec_blocks.append(_error_correction(part, block.total_count - block.data_count))
    interleaved = []
    for group in (data_blocks, ec_blocks):
        for index in range(max(len(block) for block in group)):
            interleaved += [block[index] for block in group if index < len(block)]
    return interleaved
