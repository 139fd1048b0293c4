#!/usr/bin/env python3
"""Outside verifier for a Vitrine transparency log, written from the public specs only:

  * DESIGN.md, section "The log" (normative),
  * C2SP signed-note, tlog-checkpoint, tlog-tiles,
  * RFC 6962 / RFC 9162 (Merkle tree hashing, inclusion proofs), RFC 8785 (JCS).

It shares no code with the Rust implementation.

  verify_log.py LOG_DIR --log-key VKEY|FILE              verify a whole log directory
  verify_log.py --log-key VKEY|FILE --receipt FILE        verify receipts (JSON Lines or one object)
  verify_log.py LOG_DIR --log-key ... --receipt FILE      both, and that the log contains each receipt's
                                                          leaf and is consistent with its checkpoint

Exit status: 0 verified, 1 verification failed, 2 usage or internal error.
"""
import argparse
import base64
import binascii
import hashlib
import json
import os
import re
import sys
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

TILE_WIDTH = 256
HASH_SIZE = 32
STATEMENT_CONTEXT = b"vitrine/statement/v1\n"
MAX_SAFE_INT = 2**53 - 1  # integers beyond this are not exact IEEE doubles, so JCS is ambiguous
RFC3339_UTC = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?Z$")


class Fail(Exception):
    """A verification failure; the message says what failed and where."""


# ---------------------------------------------------------------- primitives

def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def leaf_hash(entry: bytes) -> bytes:
    return sha256(b"\x00" + entry)


def node_hash(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right)


def mth(hashes: list) -> bytes:
    """RFC 6962 §2.1 Merkle Tree Hash over already-computed leaf (or subtree) hashes."""
    n = len(hashes)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return hashes[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(mth(hashes[:k]), mth(hashes[k:]))


def b64decode(s, what: str, length: int = None) -> bytes:
    """Strict standard base64 (RFC 4648 §4): canonical padding, no stray characters."""
    if not isinstance(s, str):
        raise Fail(f"{what}: expected a base64 string, got {type(s).__name__}")
    try:
        raw = base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError) as e:
        raise Fail(f"{what}: invalid base64 ({e})")
    if base64.b64encode(raw).decode() != s:
        raise Fail(f"{what}: non-canonical base64")
    if length is not None and len(raw) != length:
        raise Fail(f"{what}: expected {length} bytes, got {len(raw)}")
    return raw


def ed25519_verify(pub: bytes, sig: bytes, msg: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(pub).verify(sig, msg)
        return True
    except (InvalidSignature, ValueError):
        return False


# ---------------------------------------------------------------- JCS (RFC 8785)

def _no_float(s):
    raise Fail(f"floating-point number {s} is not allowed")


def _no_constant(s):
    raise Fail(f"non-JSON constant {s} is not allowed")


def _no_duplicates(pairs):
    obj = {}
    for k, v in pairs:
        if k in obj:
            raise Fail(f"duplicate key {k!r}")
        obj[k] = v
    return obj


def parse_json(text: str):
    """Parse strict JSON: duplicate keys, floats, NaN/Infinity refused."""
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates,
                          parse_float=_no_float, parse_constant=_no_constant)
    except json.JSONDecodeError as e:
        raise Fail(f"invalid JSON: {e}")


_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t",
                  "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _jcs_string(s: str) -> str:
    out = ['"']
    for ch in s:
        if ch in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[ch])
        elif ch < " ":
            out.append("\\u%04x" % ord(ch))
        elif 0xD800 <= ord(ch) <= 0xDFFF:
            raise Fail("lone surrogate in string")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _jcs(v) -> str:
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        if abs(v) > MAX_SAFE_INT:
            raise Fail(f"integer {v} is outside the exactly representable range (|n| <= 2^53-1)")
        return str(v)  # ES6 Number serialisation of a safe integer is its decimal form
    if isinstance(v, float):
        raise Fail("floating-point number is not allowed")
    if isinstance(v, str):
        return _jcs_string(v)
    if isinstance(v, list):
        return "[" + ",".join(_jcs(x) for x in v) + "]"
    if isinstance(v, dict):
        keys = sorted(v, key=lambda k: k.encode("utf-16-be"))  # sort by UTF-16 code units
        return "{" + ",".join(_jcs_string(k) + ":" + _jcs(v[k]) for k in keys) + "}"
    raise Fail(f"unsupported JSON value {type(v).__name__}")


def jcs(v) -> bytes:
    return _jcs(v).encode("utf-8")


# ---------------------------------------------------------------- keys, notes, checkpoints

class VKey:
    def __init__(self, text: str):
        text = text.strip()
        parts = text.split("+", 2)
        if len(parts) != 3:
            raise Fail(f"log key {text!r}: not a verifier key name+hex8+base64")
        self.name, key_id_hex, key_b64 = parts
        if not self.name or re.search(r"\s", self.name):
            raise Fail("log key: bad key name")
        if not re.fullmatch(r"[0-9a-f]{8}", key_id_hex):
            raise Fail("log key: key ID is not 8 lowercase hex digits")
        material = b64decode(key_b64, "log key material", 33)
        if material[0] != 0x01:
            raise Fail(f"log key: signature type 0x{material[0]:02x}, expected 0x01 (Ed25519)")
        self.pub = material[1:]
        self.key_id = bytes.fromhex(key_id_hex)
        expect = sha256(self.name.encode() + b"\n" + b"\x01" + self.pub)[:4]
        if expect != self.key_id:
            raise Fail(f"log key: key ID {key_id_hex} != SHA-256(name||0x0A||0x01||key)[:4] = {expect.hex()}")


def load_vkey(arg: str) -> VKey:
    if os.path.isfile(arg):
        with open(arg, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line.startswith("verifier key:"):
                    line = line.split(":", 1)[1].strip()
                if line.count("+") >= 2:
                    return VKey(line)
        raise Fail(f"{arg}: no verifier key found")
    return VKey(arg)


def verify_note(note: str, vkey: VKey, where: str) -> str:
    """C2SP signed-note: return the note text once a signature by vkey verifies over it."""
    if any(c < " " and c != "\n" for c in note):
        raise Fail(f"{where}: control character in signed note")
    if not note.endswith("\n"):
        raise Fail(f"{where}: signed note does not end in a newline")
    sep = note.rfind("\n\n")
    if sep < 0:
        raise Fail(f"{where}: signed note has no blank line before its signatures")
    text, sig_block = note[:sep + 1], note[sep + 2:]
    sig_lines = sig_block[:-1].split("\n") if sig_block else []
    if not sig_lines:
        raise Fail(f"{where}: signed note has no signature lines")
    if len(sig_lines) > 100:
        raise Fail(f"{where}: too many signature lines")
    verified = False
    for i, line in enumerate(sig_lines, 1):
        m = re.fullmatch(r"\u2014 (\S+) (\S+)", line)
        if not m or "+" in m.group(1):
            raise Fail(f"{where}: malformed signature line {i}: {line!r}")
        name, sig = m.group(1), b64decode(m.group(2), f"{where}: signature line {i}")
        if len(sig) < 5:
            raise Fail(f"{where}: signature line {i} too short")
        if name != vkey.name or sig[:4] != vkey.key_id:
            continue  # unknown key: ignored, as the spec requires
        if len(sig) != 4 + 64 or not ed25519_verify(vkey.pub, sig[4:], text.encode("utf-8")):
            raise Fail(f"{where}: log signature (line {i}) does not verify")
        verified = True
    if not verified:
        raise Fail(f"{where}: no signature by {vkey.name}+{vkey.key_id.hex()}")
    return text


def parse_checkpoint(note: str, vkey: VKey, where: str):
    text = verify_note(note, vkey, where)
    lines = text[:-1].split("\n")
    if len(lines) < 3 or any(not l for l in lines):
        raise Fail(f"{where}: checkpoint needs at least 3 non-empty lines")
    origin, size_s, root_s = lines[:3]
    if origin != vkey.name:
        raise Fail(f"{where}: origin {origin!r} != log key name {vkey.name!r}")
    if not re.fullmatch(r"0|[1-9][0-9]*", size_s):
        raise Fail(f"{where}: bad tree size {size_s!r}")
    return int(size_s), b64decode(root_s, f"{where}: root hash", HASH_SIZE)


# ---------------------------------------------------------------- entries

def check_time(v, what: str):
    m = RFC3339_UTC.match(v) if isinstance(v, str) else None
    if not m:
        raise Fail(f"{what}: {v!r} is not an RFC 3339 UTC time ending in Z")
    try:
        datetime(*(int(g) for g in m.groups()[:6]))
    except ValueError as e:
        raise Fail(f"{what}: {v!r}: {e}")


def check_entry_object(e, where: str) -> int:
    """Structure and signatures of a parsed entry; returns the number of signatures checked."""
    if not isinstance(e, dict) or set(e) != {"logged_at", "signatures", "statement"}:
        keys = sorted(e) if isinstance(e, dict) else type(e).__name__
        raise Fail(f"{where}: entry must be an object with exactly logged_at, signatures, statement (got {keys})")
    check_time(e["logged_at"], f"{where}: logged_at")
    st = e["statement"]
    if not isinstance(st, dict):
        raise Fail(f"{where}: statement is not an object")
    for k in ("kind", "subject", "body", "issued_at"):
        if k not in st:
            raise Fail(f"{where}: statement lacks {k!r}")
    for k in ("kind", "subject"):
        if not isinstance(st[k], str) or not st[k]:
            raise Fail(f"{where}: statement {k} must be a non-empty string")
    if not isinstance(st["body"], dict):
        raise Fail(f"{where}: statement body must be an object")
    check_time(st["issued_at"], f"{where}: statement issued_at")
    sigs = e["signatures"]
    if not isinstance(sigs, list) or not sigs:
        raise Fail(f"{where}: signatures must be a non-empty list")
    message = STATEMENT_CONTEXT + jcs(st)
    for i, s in enumerate(sigs):
        if not isinstance(s, dict) or set(s) != {"public_key", "sig"}:
            raise Fail(f"{where}: signature {i} must be exactly {{public_key, sig}}")
        pub = b64decode(s["public_key"], f"{where}: signature {i} public_key", 32)
        sig = b64decode(s["sig"], f"{where}: signature {i} sig", 64)
        if not ed25519_verify(pub, sig, message):
            raise Fail(f"{where}: signature {i} (key {s['public_key']}) does not verify over the statement")
    return len(sigs)


def check_entry_bytes(raw: bytes, where: str) -> int:
    try:
        text = raw.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        raise Fail(f"{where}: entry is not UTF-8 ({e})")
    try:
        obj = parse_json(text)
        canon = jcs(obj)
    except Fail as e:
        raise Fail(f"{where}: {e}")
    if canon != raw:
        n = next((i for i in range(min(len(raw), len(canon))) if raw[i] != canon[i]), min(len(raw), len(canon)))
        raise Fail(f"{where}: entry is not JCS (RFC 8785); first difference at byte {n}: "
                   f"log has {raw[n:n + 24]!r}, JCS gives {canon[n:n + 24]!r}")
    return check_entry_object(obj, where)


# ---------------------------------------------------------------- tiles

def tile_path(n: int) -> str:
    s = str(n)
    s = "0" * (-len(s) % 3) + s
    groups = [s[i:i + 3] for i in range(0, len(s), 3)]
    return "/".join(["x" + g for g in groups[:-1]] + [groups[-1]])


def read_file(root: str, rel: str) -> bytes:
    path = os.path.join(root, rel)
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise Fail(f"{rel}: cannot read ({e.strerror})")


def tiles_at(count: int):
    """(index, width, relative suffix) of the tiles holding `count` hashes at one level."""
    for n in range(count // TILE_WIDTH):
        yield n, TILE_WIDTH, tile_path(n)
    if count % TILE_WIDTH:
        n = count // TILE_WIDTH
        yield n, count % TILE_WIDTH, f"{tile_path(n)}.p/{count % TILE_WIDTH}"


def read_hash_tile(root: str, rel: str, width: int) -> list:
    data = read_file(root, rel)
    if len(data) != width * HASH_SIZE:
        raise Fail(f"{rel}: {len(data)} bytes, expected {width} hashes = {width * HASH_SIZE} bytes")
    return [data[i:i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


def check_stale_partials(root: str, kind: str, current: dict):
    """Partial tiles left over from earlier checkpoints must be prefixes of the current tile."""
    base = os.path.join(root, "tile", kind)
    checked = 0
    for dirpath, _, files in os.walk(base):
        if not dirpath.endswith(".p"):
            continue
        n_rel = os.path.relpath(dirpath, base)[:-2]
        for w in files:
            rel = f"tile/{kind}/{n_rel}.p/{w}"
            if rel in current["paths"] or n_rel not in current["data"]:
                continue
            old, new = read_file(root, rel), current["data"][n_rel]
            if not re.fullmatch(r"[1-9][0-9]*", w) or not new.startswith(old) or len(old) >= len(new):
                raise Fail(f"{rel}: stale partial tile is not a prefix of the current tile (history rewritten?)")
            checked += 1
    return checked


def verify_log(root: str, vkey: VKey):
    """Verify a whole log directory; returns (summary, leaf hashes)."""
    cp_path = os.path.join(root, "checkpoint")
    try:
        note = read_file(root, "checkpoint").decode("utf-8")
    except UnicodeDecodeError:
        raise Fail("checkpoint: not UTF-8")
    size, root_hash = parse_checkpoint(note, vkey, "checkpoint")

    # Level 0 tiles and entry bundles.
    leaves, nsigs = [], 0
    seen0 = {"paths": set(), "data": {}}
    seenE = {"paths": set(), "data": {}}
    for n, width, suffix in tiles_at(size):
        rel0, relE = f"tile/0/{suffix}", f"tile/entries/{suffix}"
        hashes = read_hash_tile(root, rel0, width)
        bundle = read_file(root, relE)
        seen0["paths"].add(rel0); seen0["data"][tile_path(n)] = b"".join(hashes)
        seenE["paths"].add(relE); seenE["data"][tile_path(n)] = bundle
        pos = 0
        for i in range(width):
            index = n * TILE_WIDTH + i
            where = f"{relE} entry {i} (log index {index})"
            if pos + 2 > len(bundle):
                raise Fail(f"{relE}: truncated: {i} entries, expected {width}")
            length = int.from_bytes(bundle[pos:pos + 2], "big")
            entry = bundle[pos + 2:pos + 2 + length]
            if len(entry) != length:
                raise Fail(f"{where}: truncated entry")
            pos += 2 + length
            h = leaf_hash(entry)
            if h != hashes[i]:
                raise Fail(f"{where}: leaf hash {base64.b64encode(h).decode()} != "
                           f"{rel0} hash {i} {base64.b64encode(hashes[i]).decode()}")
            nsigs += check_entry_bytes(entry, where)
            leaves.append(h)
        if pos != len(bundle):
            raise Fail(f"{relE}: {len(bundle) - pos} trailing bytes after {width} entries")

    # Higher levels: each hash is the Merkle root of a full tile below.
    below, level, ntiles = leaves, 1, 0
    while size // TILE_WIDTH ** level > 0:
        expected = [mth(below[i:i + TILE_WIDTH]) for i in range(0, len(below) - TILE_WIDTH + 1, TILE_WIDTH)]
        got = []
        for n, width, suffix in tiles_at(len(expected)):
            rel = f"tile/{level}/{suffix}"
            hashes = read_hash_tile(root, rel, width)
            for i, h in enumerate(hashes):
                if h != expected[n * TILE_WIDTH + i]:
                    raise Fail(f"{rel}: hash {i} is not the Merkle root of tile/{level - 1}/{tile_path(n * TILE_WIDTH + i)}")
            got += hashes
            ntiles += 1
        below, level = got, level + 1

    computed = mth(leaves)
    if computed != root_hash:
        raise Fail(f"checkpoint: root hash {base64.b64encode(root_hash).decode()} != RFC 6962 root of the "
                   f"{size} entries {base64.b64encode(computed).decode()}")
    stale = check_stale_partials(root, "0", seen0) + check_stale_partials(root, "entries", seenE)
    ntiles += len(seen0["paths"]) + len(seenE["paths"])
    return (f"OK: log {vkey.name} at {cp_path}: {size} entries, {nsigs} statement signatures, "
            f"{ntiles} tiles/bundles ({stale} older partials consistent), "
            f"root {base64.b64encode(root_hash).decode()}"), leaves


# ---------------------------------------------------------------- receipts

def verify_inclusion(index: int, size: int, leaf: bytes, proof: list, root: bytes) -> bool:
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_receipt(rc, vkey: VKey, where: str, leaves=None) -> int:
    if not isinstance(rc, dict):
        raise Fail(f"{where}: receipt is not an object")
    for k in ("index", "leaf_hash", "logged_at", "checkpoint", "inclusion_proof"):
        if k not in rc:
            raise Fail(f"{where}: receipt lacks {k!r}")
    index = rc["index"]
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise Fail(f"{where}: bad index {index!r}")
    where = f"{where} (log index {index})"
    leaf = b64decode(rc["leaf_hash"], f"{where}: leaf_hash", HASH_SIZE)
    check_time(rc["logged_at"], f"{where}: logged_at")
    if not isinstance(rc["checkpoint"], str):
        raise Fail(f"{where}: checkpoint is not a string")
    size, root = parse_checkpoint(rc["checkpoint"], vkey, f"{where}: checkpoint")
    if not isinstance(rc["inclusion_proof"], list):
        raise Fail(f"{where}: inclusion_proof is not a list")
    proof = [b64decode(p, f"{where}: inclusion_proof[{i}]", HASH_SIZE) for i, p in enumerate(rc["inclusion_proof"])]
    if not verify_inclusion(index, size, leaf, proof, root):
        raise Fail(f"{where}: inclusion proof does not lead to the checkpoint root (tree size {size})")
    if leaves is not None:  # also checked against a verified log: same leaf, and the log extends this checkpoint
        if size > len(leaves):
            raise Fail(f"{where}: receipt checkpoint size {size} > log size {len(leaves)}")
        if leaves[index] != leaf:
            raise Fail(f"{where}: leaf_hash differs from the log's leaf {index}")
        if mth(leaves[:size]) != root:
            raise Fail(f"{where}: the log is not consistent with the receipt's checkpoint (size {size})")
    entry = rc.get("entry")
    if entry is not None:
        try:
            raw = jcs(entry)
        except Fail as e:
            raise Fail(f"{where}: entry: {e}")
        if leaf_hash(raw) != leaf:
            raise Fail(f"{where}: SHA-256(0x00 || JCS(entry)) != leaf_hash")
        check_entry_object(entry, f"{where}: entry")
        if isinstance(entry, dict) and entry.get("logged_at") != rc["logged_at"]:
            raise Fail(f"{where}: receipt logged_at != entry logged_at")
    return 1 if entry is not None else 0


def missing_partials(log_dir: str, size: int) -> list:
    """tlog-tiles: partial tiles for a checkpointed size MUST stay served until the full tile exists."""
    missing = []
    for kind, level in [("entries", 0)] + [(str(l), l) for l in range(64) if size // TILE_WIDTH ** l]:
        count = size // TILE_WIDTH ** level
        n, w = count // TILE_WIDTH, count % TILE_WIDTH
        if w and not os.path.exists(os.path.join(log_dir, "tile", kind, tile_path(n))):
            rel = f"tile/{kind}/{tile_path(n)}.p/{w}"
            if not os.path.exists(os.path.join(log_dir, rel)):
                missing.append(rel)
    return missing


def verify_receipts(path: str, vkey: VKey, leaves=None, log_dir=None) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise Fail(f"{path}: cannot read ({e})")
    try:
        receipts = [(f"{path}", parse_json(text))]
    except Fail:
        receipts = [(f"{path}:{ln}", parse_json(line))
                    for ln, line in enumerate(text.split("\n"), 1) if line.strip()]
    if not receipts:
        raise Fail(f"{path}: no receipts")
    with_entry = sum(verify_receipt(rc, vkey, where, leaves) for where, rc in receipts)
    also = " and the log directory" if leaves is not None else ""
    if log_dir is not None:  # tlog-tiles: a log MUST serve the partial tiles of its checkpoints
        sizes = sorted({int(rc["checkpoint"].split("\n")[1]) for _, rc in receipts})
        for size in sizes:
            for rel in missing_partials(log_dir, size):
                raise Fail(f"{rel} (needed by the receipts' checkpoint of size {size}) is missing and its "
                           f"full tile does not exist yet (tlog-tiles: logs MUST serve it)")
    return f"OK: {len(receipts)} receipts verified against {vkey.name}{also} ({with_entry} with their entry)"


# ---------------------------------------------------------------- main

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Independent verifier for a Vitrine log (C2SP tlog-tiles).")
    ap.add_argument("log_dir", nargs="?", help="log directory (checkpoint, tile/...)")
    ap.add_argument("--log-key", required=True, help="the log's verifier key, or a file holding it")
    ap.add_argument("--receipt", help="receipts to check (JSON Lines or one JSON object)")
    args = ap.parse_args(argv)
    if not args.log_dir and not args.receipt:
        ap.error("give a log directory, --receipt FILE, or both")
    try:
        vkey = load_vkey(args.log_key)
        leaves = None
        if args.log_dir:
            summary, leaves = verify_log(args.log_dir, vkey)
            print(summary)
        if args.receipt:
            print(verify_receipts(args.receipt, vkey, leaves, args.log_dir))
        return 0
    except Fail as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # a bug in this verifier, not a verdict on the log
        import traceback
        traceback.print_exc()
        print(f"internal error: {e!r}", file=sys.stderr)
        sys.exit(2)
