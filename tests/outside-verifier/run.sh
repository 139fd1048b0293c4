#!/usr/bin/env bash
# Outside-verifier test: build a log with the vitrine CLI, then check it with verify_log.py,
# an independent Python verifier written from the public specs only (C2SP signed-note,
# tlog-checkpoint, tlog-tiles; RFC 6962/9162; RFC 8785), and check that tampering is caught.
#
#   run.sh <path-to-vitrine-binary> [number-of-statements]     (default 600)
#   KEEP=1 run.sh ...   keeps the temporary directory for inspection
set -u
export PYTHONDONTWRITEBYTECODE=1

VITRINE=${1:?usage: run.sh <path-to-vitrine-binary> [N]}
N=${2:-600}
HERE=$(cd "$(dirname "$0")" && pwd)
VERIFY="$HERE/verify_log.py"
VITRINE=$(cd "$(dirname "$VITRINE")" && pwd)/$(basename "$VITRINE")
[ -x "$VITRINE" ] || { echo "not executable: $VITRINE" >&2; exit 2; }

if ! python3 -c 'import cryptography' 2>/dev/null; then
    python3 -m pip install --quiet --user cryptography || python3 -m pip install --quiet cryptography \
        || { echo "cannot install the cryptography package" >&2; exit 2; }
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/outside-verifier.XXXXXX")
if [ -n "${KEEP:-}" ]; then echo "work directory kept: $WORK"; else trap 'rm -rf "$WORK"' EXIT; fi
cd "$WORK" || exit 2
passed=0
failed=0
ok()  { passed=$((passed + 1)); echo "ok   - $1"; }
bad() { failed=$((failed + 1)); echo "FAIL - $1"; [ -n "${2:-}" ] && sed 's/^/       /' <<<"$2"; }
die() { echo "setup failed: $1" >&2; echo "outside-verifier: $passed passed, $((failed + 1)) failed"; exit 1; }

# --- keys -----------------------------------------------------------------------------
"$VITRINE" keygen --name vitrine.example/log --out log.key >/dev/null 2>&1 || die "keygen log"
"$VITRINE" keygen --name acme.example --out acme.key >/dev/null 2>&1 || die "keygen acme"
"$VITRINE" keygen --name bob.example --out bob.key >/dev/null 2>&1 || die "keygen bob"
LOG_VKEY=$(grep -m1 '+' log.key.pub | sed 's/^verifier key: *//')

# --- statements: JCS edge cases (CJK, non-BMP, escapes, control chars, nesting, integers) --
mkdir stmts signed
python3 - "$N" <<'EOF' || die "generating statements"
import json, sys
n = int(sys.argv[1])
kinds = ["tender.published", "bid.committed", "award.published", "donation.received",
         "disbursement.made"]
for i in range(n):
    st = {
        "kind": kinds[i % len(kinds)],
        "subject": f"ocds-xyz-{i // 7}",
        "body": {
            "title": f"采购公告 第{i}号：办公设备 😀 \"quoted\" back\\slash",
            "lines": "line one\nline two\ttab\r\n\u0001\u001f\u007f end",
            "value": {"amount": f"{1000 + i * 37}.50", "currency": "CNY"},
            "count": i, "negative": -i, "big": 9007199254740991 - i, "zero": 0,
            "flags": [True, False, None], "empty": {}, "list": [],
            "nested": {"z": {"ä": 1, "a": [1, {"€": "euro", "\u00e9": "é"}]}, "A": "𝄞 clef",
                       "\u2028sep": "\u2028\u2029", "slash": "/</script>"},
            "tags": ["中文", "العربية", "emoji 🎉🏳️‍🌈"],
        },
    }
    if i % 11 == 0:
        st["body"]["docs"] = [{"sha256": "ab" * 32, "name": f"附件-{i}.pdf"}]
    with open(f"stmts/{i:05d}.json", "w", encoding="utf-8") as f:
        json.dump(st, f, ensure_ascii=(i % 2 == 0), indent=(2 if i % 3 == 0 else None))
EOF

for f in stmts/*.json; do
    out=signed/$(basename "$f")
    "$VITRINE" sign --key acme.key --now "$f" >"$out" 2>sign.err || die "sign $f: $(cat sign.err)"
    # every 50th statement gets a second signature (two officers approving)
    case $(basename "$f" .json) in
        *00|*50) "$VITRINE" sign --key bob.key "$out" >"$out.2" 2>sign.err && mv "$out.2" "$out" \
                     || die "cosign $f: $(cat sign.err)";;
    esac
done

echo "# $N statements signed in ${SECONDS}s"

# --- the log: three batches, so it grows over several checkpoints ------------------------
"$VITRINE" log init logdir --key log.key >/dev/null 2>&1 || die "log init"
mapfile -t files < <(ls signed/*.json)
b1=$((N / 3)); b2=$((N * 3 / 4))
: >receipts.jsonl
append() {
    "$VITRINE" log append logdir --key log.key --receipts r.part "$@" >/dev/null 2>append.err \
        || die "log append: $(cat append.err)"
    cat r.part >>receipts.jsonl
}
append "${files[@]:0:b1}"
append "${files[@]:b1:b2-b1}"
# the last batch as one JSON Lines file
python3 -c '
import json, sys
for f in sys.argv[1:]:
    print(json.dumps(json.load(open(f, encoding="utf-8")), ensure_ascii=False))
' "${files[@]:b2}" >batch3.jsonl || die "making batch3.jsonl"
append batch3.jsonl

echo "# log of $N entries built in three batches (${SECONDS}s)"

# --- verification of the genuine log --------------------------------------------------
expect_pass() {  # name, args...
    local name=$1; shift
    local out
    if out=$(python3 "$VERIFY" "$@" 2>&1); then ok "$name: $out"; else bad "$name (should pass)" "$out"; fi
}
expect_fail() {  # name, args...  (exit status 1 = a verification failure, not a crash)
    local name=$1; shift
    local out rc
    out=$(python3 "$VERIFY" "$@" 2>&1); rc=$?
    if [ "$rc" -eq 1 ]; then ok "$name rejected: $out"; else bad "$name (should fail with status 1, got $rc)" "$out"; fi
}

expect_pass "whole log" logdir --log-key "$LOG_VKEY"
expect_pass "whole log (key file)" logdir --log-key log.key.pub
expect_pass "receipts" --log-key "$LOG_VKEY" --receipt receipts.jsonl
nreceipts=$(wc -l <receipts.jsonl)
[ "$nreceipts" -eq "$N" ] && ok "one receipt per statement ($N)" || bad "receipts: $nreceipts lines, expected $N"
expect_pass "receipts against the log directory" logdir --log-key "$LOG_VKEY" --receipt receipts.jsonl
head -n1 receipts.jsonl >one.json
expect_pass "single receipt object" --log-key "$LOG_VKEY" --receipt one.json

# --- tampering ------------------------------------------------------------------------
flip() {  # file, offset: flip the low bit of one byte
    python3 - "$1" "$2" <<'EOF'
import sys
p, off = sys.argv[1], int(sys.argv[2])
b = bytearray(open(p, "rb").read()); b[off] ^= 0x01; open(p, "wb").write(bytes(b))
EOF
}
tamper() {  # name, file, offset
    cp -p "$2" "$WORK/backup"
    flip "$2" "$3"
    expect_fail "$1" logdir --log-key "$LOG_VKEY"
    cp -p "$WORK/backup" "$2"
}
bundle=logdir/tile/entries/000
[ -f "$bundle" ] || bundle=$(find logdir/tile/entries -type f | sort | head -n1)
tamper "flipped byte in entry bundle $bundle" "$bundle" 30
tile0=logdir/tile/0/000
[ -f "$tile0" ] || tile0=$(find logdir/tile/0 -type f | sort | head -n1)
tamper "flipped byte in level-0 tile $tile0" "$tile0" 40
partial=$(find logdir/tile/0 -path '*.p/*' -type f | sort | tail -n1)
[ -n "$partial" ] && tamper "flipped byte in partial level-0 tile $partial" "$partial" 0
# the root line of the checkpoint is line 3; flip a byte inside it
root_off=$(python3 -c 'import sys; t=open(sys.argv[1],"rb").read(); i=t.index(b"\n", t.index(b"\n")+1)+1; print(i+5)' logdir/checkpoint)
tamper "flipped byte in checkpoint root" logdir/checkpoint "$root_off"
# a consistent rewrite of history: swap entries 0 and 1 (both validly signed) in the bundle, the
# level-0 tile and the level-1 tile; only the checkpoint root (signed) can still catch it
cp -a logdir logdir.orig
if python3 - "$HERE" <<'EOF'
import glob, sys
sys.path.insert(0, sys.argv[1])
from verify_log import mth
def first(kind):  # tile N=0: full if present, else the partial
    return sorted(glob.glob(f"logdir/tile/{kind}/000") + glob.glob(f"logdir/tile/{kind}/000.p/*"))[0]
bundle, tile0 = first("entries"), first("0")
b = open(bundle, "rb").read()
ents, pos = [], 0
while pos < len(b):
    n = int.from_bytes(b[pos:pos + 2], "big"); ents.append(b[pos:pos + 2 + n]); pos += 2 + n
ents[0], ents[1] = ents[1], ents[0]
open(bundle, "wb").write(b"".join(ents))
t = open(tile0, "rb").read()
t = t[32:64] + t[0:32] + t[64:]
open(tile0, "wb").write(t)
if len(t) == 8192:  # a full tile 0 is hashed into level 1
    l1 = first("1")
    h = open(l1, "rb").read()
    open(l1, "wb").write(mth([t[i:i + 32] for i in range(0, len(t), 32)]) + h[32:])
EOF
then
    expect_fail "consistently rewritten history (entries, tiles; checkpoint kept)" logdir --log-key "$LOG_VKEY"
else
    bad "making the rewritten history"
fi
rm -rf logdir && mv logdir.orig logdir
expect_pass "log restored after tampering" logdir --log-key "$LOG_VKEY"

# a receipt with one flipped proof hash, and the wrong log key
python3 - <<'EOF' || bad "making tampered receipts"
import json
lines = [l for l in open("receipts.jsonl", encoding="utf-8").read().split("\n") if l]  # not splitlines(): U+2028
rc = next(json.loads(l) for l in lines if json.loads(l)["inclusion_proof"])
p = rc["inclusion_proof"][0]; rc["inclusion_proof"][0] = ("B" if p[0] == "A" else "A") + p[1:]
json.dump(rc, open("bad-proof.json", "w"))
rc = json.loads(lines[-1]); rc["entry"]["statement"]["body"]["count"] += 1
json.dump(rc, open("bad-entry.json", "w"))
EOF
if [ -f bad-proof.json ] && [ -f bad-entry.json ]; then
    expect_fail "receipt with a tampered inclusion proof" --log-key "$LOG_VKEY" --receipt bad-proof.json
    expect_fail "receipt with a tampered entry" --log-key "$LOG_VKEY" --receipt bad-entry.json
fi
OTHER_VKEY=$(grep -m1 '+' acme.key.pub | sed 's/^verifier key: *//')
expect_fail "log checked with another key" logdir --log-key "$OTHER_VKEY"

echo "outside-verifier: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
