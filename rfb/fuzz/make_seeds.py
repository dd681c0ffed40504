#!/usr/bin/env python3
"""Writes a small seed corpus for the client_feed target into seeds/client_feed/.

Each seed is a mode byte (0x0e: the target prepends a valid handshake for a 64x48 framebuffer
and feeds in 8-byte chunks) followed by server messages that exercise one feature, so the
fuzzer starts from inputs that already reach every decoder.
"""
import os
import struct
import zlib

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds", "client_feed")


def rect(x, y, w, h, enc):
    return struct.pack(">HHHHi", x, y, w, h, enc)


def update(*rects, count=None):
    return struct.pack(">BxH", 0, len(rects) if count is None else count) + b"".join(rects)


def px(r, g, b):
    return bytes([r, g, b, 0])


def zrle(x, y, w, h, tiles, stream):
    data = stream.compress(tiles) + stream.flush(zlib.Z_SYNC_FLUSH)
    return rect(x, y, w, h, 16) + struct.pack(">I", len(data)) + data


def seeds():
    yield "raw", update(rect(0, 0, 4, 2, 0) + b"".join(px(i, 2 * i, 255 - i) for i in range(8)))
    yield "copyrect", update(rect(0, 0, 2, 2, 0) + px(1, 2, 3) * 4, rect(10, 10, 2, 2, 1) + struct.pack(">HH", 0, 0))
    yield "rre", update(rect(1, 1, 8, 8, 2) + struct.pack(">I", 2) + px(9, 9, 9)
                        + px(200, 0, 0) + struct.pack(">HHHH", 0, 0, 3, 3)
                        + px(0, 200, 0) + struct.pack(">HHHH", 4, 4, 4, 4))
    hextile = (bytes([1]) + px(5, 5, 5) * 256
               + bytes([2 | 4 | 8]) + px(1, 1, 1) + px(250, 250, 250) + bytes([1, 0x11, 0x22])
               + bytes([8 | 16, 1]) + px(0, 0, 255) + bytes([0x00, 0xff]))
    yield "hextile", update(rect(0, 0, 40, 16, 5) + hextile)
    stream = zlib.compressobj()
    tiles = (bytes([1, 10, 20, 30])  # solid 64x48 tile
             )
    palette = bytes([2]) + bytes([255, 0, 0, 0, 255, 0]) + bytes([0b10101010]) * 2
    prle = bytes([130]) + bytes([1, 2, 3, 4, 5, 6]) + bytes([0x81, 3, 0, 0x80, 2])
    yield "zrle", (update(zrle(0, 0, 64, 48, tiles, stream))
                   + update(zrle(0, 0, 8, 2, palette, stream))
                   + update(zrle(8, 8, 3, 3, prle, stream))
                   + update(zrle(0, 0, 2, 2, bytes([128, 7, 7, 7, 3]), stream)))
    cursor = rect(1, 1, 3, 2, -239) + px(255, 255, 255) * 6 + bytes([0b10100000, 0b01000000])
    yield "pseudo", (update(cursor, rect(0, 0, 0, 0, -258), rect(0, 0, 80, 60, -223))
                     + update(rect(0, 0, 32, 32, -308) + bytes([1, 0, 0, 0]) + struct.pack(">IHHHHI", 1, 0, 0, 32, 32, 0))
                     + update(rect(0, 0, 0, 0, -307) + struct.pack(">I", 3) + b"abc",
                              rect(0, 0, 0, 0, -224), count=0xFFFF))
    yield "messages", (bytes([2]) + struct.pack(">BxxxI", 3, 5) + b"hello"
                       + struct.pack(">Bxxxi", 3, -4) + bytes(4)
                       + struct.pack(">BxHH", 1, 0, 1) + bytes(6)
                       + bytes([150])
                       + struct.pack(">BxxxIB", 248, 0x80000003, 2) + b"ab")


def handshakes():
    # mode byte 0x0f: no handshake prepended, 8-byte chunks
    auth = b"RFB 003.008\n" + bytes([1, 2]) + bytes(range(16)) + struct.pack(">I", 0)
    init = struct.pack(">HH", 16, 16) + bytes(16) + struct.pack(">I", 2) + b"vm"
    yield "auth38", auth + init
    yield "none37", b"RFB 003.007\n" + bytes([1, 1]) + init
    yield "none33", b"RFB 003.003\n" + struct.pack(">I", 1) + init
    yield "refused", b"RFB 003.008\n" + bytes([0]) + struct.pack(">I", 3) + b"no!"


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, body in seeds():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(bytes([0x0E]) + body)
    for name, body in handshakes():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(bytes([0x0F]) + body)


if __name__ == "__main__":
    main()
