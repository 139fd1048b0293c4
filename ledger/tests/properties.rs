//! Property tests: any sequence of appends gives proofs that verify between any two sizes,
//! from leaves and from tiles alike; changing any one byte of an entry bundle, a tile, a
//! proof or a checkpoint makes verification fail; the canonical-JSON scanner agrees with
//! parse-and-canonicalize on arbitrary input.

#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

use ed25519_dalek::SigningKey;
use proptest::prelude::*;
use serde_json::{Value, json};
use std::sync::OnceLock;
use vitrine_ledger::checkpoint::{Checkpoint, CheckpointPolicy};
use vitrine_ledger::hash::{Hash, leaf_hash};
use vitrine_ledger::jcs;
use vitrine_ledger::merkle::{
    MemoryTree, MerkleTree, consistency_proof, inclusion_proof, verify_consistency,
    verify_inclusion,
};
use vitrine_ledger::note::{KeyType, NoteSigner};
use vitrine_ledger::statement::{Entry, SignedStatement, Statement};
use vitrine_ledger::tile::{MemoryTiles, NoSuchTile, TileBuilder, TileId, TileReader, TiledTree};
use vitrine_ledger::time::Timestamp;
use vitrine_ledger::verify::{LogReader, Verification, verify_log};

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

fn leaves(n: usize, seed: u64) -> Vec<Hash> {
    (0..n as u64)
        .map(|i| leaf_hash(&(i ^ seed.rotate_left(17)).to_le_bytes()))
        .collect()
}

fn tiles_of(leaves: &[Hash]) -> MemoryTiles {
    // Hash tiles only: the entries are irrelevant to proofs.
    let mut builder = TileBuilder::new();
    let mut tiles = MemoryTiles::default();
    for (i, _) in leaves.iter().enumerate() {
        builder.append(&(i as u64).to_le_bytes()).unwrap();
        if i % 97 == 0 {
            tiles.store(builder.take_tiles());
        }
    }
    tiles.store(builder.take_tiles());
    tiles
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn proofs_verify_between_any_two_sizes(n in 1usize..700, seed: u64, picks in prop::collection::vec((any::<u64>(), any::<u64>()), 8)) {
        let leaves = leaves(n, seed);
        let memory = MemoryTree::new(leaves.clone());
        let mut tree = MerkleTree::new();
        let mut roots = vec![vitrine_ledger::hash::empty_root()];
        for leaf in &leaves {
            tree.append_leaf_hash(*leaf);
            roots.push(tree.root());
        }
        for (a, b) in picks {
            let new = 1 + b % n as u64;
            let old = a % (new + 1);
            let proof = consistency_proof(&memory, old, new).unwrap();
            prop_assert_eq!(
                verify_consistency(old, new, &proof, &roots[old as usize], &roots[new as usize]),
                Ok(())
            );
            let index = a % new;
            let proof = inclusion_proof(&memory, index, new).unwrap();
            prop_assert_eq!(
                verify_inclusion(&leaves[index as usize], index, new, &proof, &roots[new as usize]),
                Ok(())
            );
        }
    }

    #[test]
    fn proofs_from_tiles_equal_proofs_from_leaves(n in 1usize..1500, a: u64, b: u64) {
        // Tiles are built from entries i.to_le_bytes(); use the same leaves.
        let leaves: Vec<Hash> = (0..n as u64).map(|i| leaf_hash(&i.to_le_bytes())).collect();
        let memory = MemoryTree::new(leaves.clone());
        let tiles = tiles_of(&leaves);
        let new = 1 + b % n as u64;
        let old = a % (new + 1);
        let tiled = TiledTree::new(n as u64, &tiles);
        prop_assert_eq!(
            consistency_proof(&tiled, old, new).unwrap(),
            consistency_proof(&memory, old, new).unwrap()
        );
        let index = a % new;
        prop_assert_eq!(
            inclusion_proof(&tiled, index, new).unwrap(),
            inclusion_proof(&memory, index, new).unwrap()
        );
        prop_assert_eq!(tiled.root().unwrap(), memory.root(n as u64).unwrap());
    }

    #[test]
    fn any_changed_proof_byte_fails(n in 2usize..300, a: u64, b: u64, byte: usize, bit in 0u8..8) {
        let leaves = leaves(n, 7);
        let memory = MemoryTree::new(leaves.clone());
        let new = 2 + b % (n as u64 - 1);
        let old = 1 + a % (new - 1);
        let (old_root, new_root) = (memory.root(old).unwrap(), memory.root(new).unwrap());
        let mut proof = consistency_proof(&memory, old, new).unwrap();
        let len = proof.len();
        proof[byte % len].0[(byte / len) % 32] ^= 1 << bit;
        prop_assert!(verify_consistency(old, new, &proof, &old_root, &new_root).is_err());
        let index = a % new;
        let mut proof = inclusion_proof(&memory, index, new).unwrap();
        let len = proof.len();
        proof[byte % len].0[(byte / len) % 32] ^= 1 << bit;
        prop_assert!(verify_inclusion(&leaves[index as usize], index, new, &proof, &new_root).is_err());
        // A correct proof for another index does not verify either.
        let proof = inclusion_proof(&memory, index, new).unwrap();
        let other = (index + 1) % new;
        if leaves[other as usize] != leaves[index as usize] {
            prop_assert!(verify_inclusion(&leaves[index as usize], other, new, &proof, &new_root).is_err());
        }
    }
}

/// A complete log in memory: tiles, bundles and a signed checkpoint.
struct MemoryLog {
    tiles: MemoryTiles,
    checkpoint: Vec<u8>,
}

impl TileReader for MemoryLog {
    type Error = NoSuchTile;
    fn read_tile(&self, tile: TileId) -> Result<Vec<u8>, NoSuchTile> {
        self.tiles.read_tile(tile)
    }
}

impl LogReader for MemoryLog {
    fn read_checkpoint(&self) -> Result<Vec<u8>, NoSuchTile> {
        Ok(self.checkpoint.clone())
    }
}

fn log_key() -> NoteSigner {
    NoteSigner::new(
        "vitrine.example/log",
        KeyType::Ed25519,
        SigningKey::from_bytes(&[42; 32]),
    )
    .unwrap()
}

/// 600 signed entries, made once.
fn entry_pool() -> &'static [Entry] {
    static POOL: OnceLock<Vec<Entry>> = OnceLock::new();
    POOL.get_or_init(|| {
        let keys: Vec<SigningKey> = (1..=3).map(|i| SigningKey::from_bytes(&[i; 32])).collect();
        let start = Timestamp::parse("2026-11-21T08:00:00Z").unwrap();
        (0..600u32)
            .map(|i| {
                let statement = Statement::from_value(json!({
                    "kind": "bid.committed",
                    "subject": format!("ocds-213czf-{:05}", i % 7),
                    "issued_at": "2026-11-21T08:00:00Z",
                    "body": {"commitment": format!("{:064x}", i), "note": "投标 \"quoted\"\n😀", "n": i},
                }))
                .unwrap();
                let mut signed = SignedStatement::new(statement);
                signed.sign(&keys[i as usize % 3]);
                if i % 5 == 0 {
                    signed.sign(&keys[(i as usize + 1) % 3]);
                }
                let at = Timestamp::from_unix(start.unix_seconds() + i64::from(i), 0).unwrap();
                Entry::new(signed, at).unwrap()
            })
            .collect()
    })
}

fn build_log(n: usize) -> MemoryLog {
    let mut builder = TileBuilder::new();
    let mut tiles = MemoryTiles::default();
    for entry in &entry_pool()[..n] {
        builder.append(entry.bytes()).unwrap();
    }
    tiles.store(builder.take_tiles());
    let checkpoint = Checkpoint {
        origin: "vitrine.example/log".into(),
        size: n as u64,
        root: builder.root(),
        extensions: vec![],
    }
    .sign(&log_key())
    .unwrap();
    MemoryLog {
        tiles,
        checkpoint: checkpoint.into_bytes(),
    }
}

fn verify(log: &MemoryLog) -> Result<u64, String> {
    let policy = CheckpointPolicy::log_only(log_key().verifier()).unwrap();
    let how = Verification {
        policy: &policy,
        since: None,
        threads: 2,
        batch: true,
        progress: None,
    };
    verify_log(log, &how)
        .map(|r| r.entries)
        .map_err(|e| e.to_string())
}

#[test]
fn whole_logs_verify() {
    for n in [0, 1, 255, 256, 257, 600] {
        assert_eq!(verify(&build_log(n)), Ok(n as u64), "size {n}");
    }
}

proptest! {
    #![proptest_config(config(96))]

    #[test]
    fn any_changed_byte_of_a_log_fails_verification(n in 1usize..600, which: usize, offset: usize, delta in 1u8..=255) {
        let mut log = build_log(n);
        let mut names: Vec<TileId> = log.tiles.tiles().keys().copied().collect();
        names.sort();
        // Choose the checkpoint or one of the tiles and bundles.
        let choice = which % (names.len() + 1);
        if choice == names.len() {
            let at = offset % log.checkpoint.len();
            log.checkpoint[at] = log.checkpoint[at].wrapping_add(delta);
        } else {
            let data = log.tiles.tiles_mut().get_mut(&names[choice]).unwrap();
            let at = offset % data.len();
            data[at] = data[at].wrapping_add(delta);
        }
        prop_assert!(verify(&log).is_err());
    }

    #[test]
    fn a_rewritten_history_fails_since(n in 2usize..300, cut in 1usize..300, delta in 1u8..=255) {
        let old = 1 + cut % (n - 1);
        let old_log = build_log(old);
        let policy = CheckpointPolicy::log_only(log_key().verifier()).unwrap();
        let how = Verification { policy: &policy, since: Some(&old_log.checkpoint), threads: 2, batch: true, progress: None };
        let log = build_log(n);
        prop_assert!(verify_log(&log, &how).is_ok());
        // A log that rewrote one of the first `old` entries, correctly re-tiled and re-signed.
        let mut entries: Vec<Entry> = entry_pool()[..n].to_vec();
        let victim = (delta as usize) % old;
        // Move logged_at by half a second, keeping the order: still a well-formed entry whose
        // signatures verify, but not the entry the older checkpoint covered.
        let at = entries[victim].logged_at();
        let moved = Timestamp::from_unix(at.unix_seconds(), 500_000_000).unwrap();
        entries[victim] = Entry::new(entries[victim].signed().clone(), moved).unwrap();
        let mut builder = TileBuilder::new();
        for entry in &entries {
            builder.append(entry.bytes()).unwrap();
        }
        let mut tiles = MemoryTiles::default();
        tiles.store(builder.take_tiles());
        let checkpoint = Checkpoint { origin: "vitrine.example/log".into(), size: n as u64, root: builder.root(), extensions: vec![] }
            .sign(&log_key()).unwrap();
        let forged = MemoryLog { tiles, checkpoint: checkpoint.into_bytes() };
        let result = verify_log(&forged, &how);
        prop_assert!(
            matches!(result, Err(vitrine_ledger::verify::VerifyError::Rewritten { .. })),
            "{:?}", result.err()
        );
    }
}

/// Arbitrary JSON with integers only, strings over a wide range of characters.
fn json_value() -> impl Strategy<Value = Value> {
    let string = prop::collection::vec(
        prop_oneof![
            any::<char>(),
            prop::char::range('\u{0}', '\u{7f}'),
            Just('"'),
            Just('\\'),
            Just('\u{e000}'),
            Just('😀'),
        ],
        0..8,
    )
    .prop_map(|chars| chars.into_iter().collect::<String>());
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-(1i64 << 53) + 1..(1i64 << 53)).prop_map(|n| json!(n)),
        string.clone().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(string.clone(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// The reference: bytes are canonical iff parsing and canonicalising gives them back and
/// every number is a safe integer.
fn reference_canonical(bytes: &[u8]) -> bool {
    match jcs::parse(bytes) {
        Ok(value) => jcs::check_integers(&value).is_ok() && jcs::canonicalize(&value) == bytes,
        Err(_) => false,
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// Entries and signed statements are assembled from canonical parts without a JSON
    /// tree: the bytes must equal canonicalising the whole.
    #[test]
    fn entries_are_built_canonical(body in json_value(), subject in "\\PC{1,12}", nanos in 0u32..1_000_000_000, signers in 1usize..4) {
        let statement = Statement::from_value(json!({
            "kind": "document.published",
            "subject": subject,
            "issued_at": "2026-11-21T08:00:00Z",
            "body": {"x": body},
        }))
        .unwrap();
        let mut signed = SignedStatement::new(statement);
        for i in 0..signers {
            signed.sign(&SigningKey::from_bytes(&[i as u8 + 1; 32]));
        }
        prop_assert_eq!(signed.canonical_bytes(), jcs::canonicalize(&signed.to_value()));
        let at = Timestamp::from_unix(1_795_000_000, nanos).unwrap();
        let mut whole = signed.to_value();
        whole["logged_at"] = json!(at.to_string());
        let bound = Entry::check_fits(&signed).unwrap();
        let entry = Entry::new(signed, at).unwrap();
        prop_assert_eq!(entry.bytes(), &jcs::canonicalize(&whole)[..]);
        // The size check without the entry is exact but for the time's length.
        prop_assert_eq!(bound, entry.bytes().len() + 30 - at.to_string().len());
    }
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn canonical_scanner_agrees_with_the_reference(value in json_value(), at: usize, byte: u8) {
        let canonical = jcs::canonicalize(&value);
        prop_assert!(jcs::check_canonical(&canonical).is_ok());
        prop_assert_eq!(jcs::canonicalize(&jcs::parse(&canonical).unwrap()), canonical.clone());
        let mut mutated = canonical.clone();
        let at = at % mutated.len();
        mutated[at] = byte;
        prop_assert_eq!(jcs::check_canonical(&mutated).is_ok(), reference_canonical(&mutated), "{:?}", String::from_utf8_lossy(&mutated));
        let mut inserted = canonical.clone();
        inserted.insert(at, byte);
        prop_assert_eq!(jcs::check_canonical(&inserted).is_ok(), reference_canonical(&inserted));
    }

    #[test]
    fn canonical_scanner_agrees_on_arbitrary_bytes(bytes in prop::collection::vec(prop::sample::select(b"{}[]\",:0123456789-.eE \\u00abntrulfase\x01\xc3\xa9".to_vec()), 0..24)) {
        prop_assert_eq!(jcs::check_canonical(&bytes).is_ok(), reference_canonical(&bytes));
    }
}

proptest! {
    #![proptest_config(config(2048))]

    #[test]
    fn es_number_text_reads_back_as_the_same_double(bits: u64) {
        let value = f64::from_bits(bits);
        prop_assume!(value.is_finite());
        let text = jcs::format_es_number(value);
        let back: f64 = text.parse().unwrap();
        prop_assert!(back == value || (value == 0.0 && back == 0.0), "{} -> {}", value, text);
        // No longer text reads back: the digits are the shortest.
        let digits = text.trim_start_matches('-').split('e').next().unwrap().replace('.', "");
        let significant = digits.trim_start_matches('0').trim_end_matches('0').len();
        prop_assert!(significant <= 17, "{}", text);
    }
}

proptest! {
    #![proptest_config(config(1024))]

    /// Parsers of untrusted input return errors, never panic.
    #[test]
    fn parsers_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400), text in "\\PC{0,80}") {
        let _ = vitrine_ledger::note::Note::parse(&bytes);
        let _ = vitrine_ledger::checkpoint::Checkpoint::parse(&text);
        let _ = vitrine_ledger::note::NoteVerifier::parse(&text);
        let _ = vitrine_ledger::note::NoteSigner::parse(&text);
        let _ = TileId::parse_path(&text);
        let _ = vitrine_ledger::tile::parse_entry_bundle(TileId::entries(0, 3), &bytes);
        let _ = vitrine_ledger::tile::parse_hash_tile(TileId::hashes(0, 0, 3), &bytes);
        let _ = vitrine_ledger::statement::EntryView::parse(&bytes);
        let _ = Entry::parse(&bytes);
        let _ = SignedStatement::parse(&bytes);
        let _ = vitrine_ledger::receipt::Receipt::parse(&bytes);
        let _ = vitrine_ledger::bid::Bid::parse(&bytes);
        let _ = Timestamp::parse(&text);
        let _ = jcs::check_canonical(&bytes);
        let _ = jcs::parse(&bytes);
    }

    /// Mutated real entries: parsing them never panics either.
    #[test]
    fn mutated_entries_never_panic(which in 0usize..600, at: usize, byte: u8) {
        let mut bytes = entry_pool()[which].bytes().to_vec();
        let at = at % bytes.len();
        bytes[at] = byte;
        if let Ok(view) = vitrine_ledger::statement::EntryView::parse(&bytes) {
            // A well-formed mutation must still agree with the full parser.
            prop_assert!(Entry::parse(&bytes).is_ok(), "{:?}", view.kind);
        }
    }
}
