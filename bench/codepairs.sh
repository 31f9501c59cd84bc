#!/usr/bin/env bash
# bench/codepairs.sh REV [MOST=N]: duplicates over the tree at REV, as is and with every grouped Go import block
# written as single-line imports (which the tool passes over, as its README says it passes over
# import lines) — the count of repeated code without import lists.
set -eu
rev=$1; cd "$(dirname "$(readlink -f "$0")")/.."
d=$(mktemp -d); git archive "$rev" | tar -x -C "$d"
echo "as is:         $(duplicates --repo "$d" | head -1)"
python3 - "$d" <<'PY'
import os,re,sys
root=sys.argv[1]
pat=re.compile(r'^import \(\n(.*?)^\)\n', re.S|re.M)
def one(m):
    out=[]
    for l in m.group(1).splitlines():
        s=l.strip()
        if not s: continue
        if s.startswith('//'): continue
        out.append('import '+s)
    return '\n'.join(out)+'\n'
for dp,_,fs in os.walk(root):
    for f in fs:
        if f.endswith('.go'):
            p=os.path.join(dp,f); s=open(p).read(); t=pat.sub(one,s)
            if t!=s: open(p,'w').write(t)
PY
echo "without imports: $(duplicates --repo "$d" | head -1)"
[ -n "${MOST:-}" ] && duplicates --repo "$d" --most "$MOST" | tail -n +2
rm -rf "$d"
