import sys,re
d=open(sys.argv[1],'rb').read()
names=[]
for m in re.finditer(rb'\x15((?:[A-Za-z0-9_\-\.][\x00]){3,60})\x00\x00', d):
    s=m.group(1).decode('utf-16le')
    # check preceding 3 bytes = size
    st=m.start()-3
    sz=int.from_bytes(d[st:st+3],'little')
    if sz==4+len(m.group(1))+2:
        names.append(s)
print(len(names)); print(' '.join(sorted(set(names))))
