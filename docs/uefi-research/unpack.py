import lzma, sys, re
data = open(sys.argv[1],'rb').read()
out = bytearray()
# LZMA GUIDed section GUID EE4E5898-3914-4259-9D6E-DC7BD79403CF
import uuid
g = uuid.UUID('EE4E5898-3914-4259-9D6E-DC7BD79403CF').bytes_le
def scan(buf, depth=0):
    res = bytearray(buf)
    pos = 0
    while True:
        i = buf.find(g, pos)
        if i < 0: break
        # section header: 3-byte size + type (0x02) then GUID; GUID-defined header: guid(16) dataoffset(2) attrs(2)
        hdr = i - 4
        if hdr >= 0 and buf[hdr+3] == 0x02:
            size = int.from_bytes(buf[hdr:hdr+3],'little')
            doff = int.from_bytes(buf[i+16:i+18],'little')
            payload = buf[hdr+doff: hdr+size] if size != 0xffffff else None
            if payload:
                try:
                    d = lzma.LZMADecompressor(format=lzma.FORMAT_ALONE).decompress(payload)
                    print('  '*depth + f'lzma section at {hdr:#x} size {size:#x} -> {len(d):#x}', file=sys.stderr)
                    res += scan(d, depth+1)
                except Exception as e:
                    print('  '*depth + f'fail at {hdr:#x}: {e}', file=sys.stderr)
        pos = i + 16
    return bytes(res)
allb = scan(data)
open(sys.argv[2],'wb').write(allb)
