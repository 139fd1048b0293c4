//! Criterion benchmarks of the ledger's hot paths: `cargo bench -p vitrine-ledger`.
//! Figures and how to read them are in the README ("Performance").

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ed25519_dalek::{Signature, Signer as _, SigningKey};
use serde_json::json;
use std::hint::black_box;
use std::time::Duration;
use vitrine_ledger::hash::{Hash, leaf_hash, node_hash, sha256};
use vitrine_ledger::jcs;
use vitrine_ledger::merkle::{MemoryTree, MerkleTree, consistency_proof, inclusion_proof};
use vitrine_ledger::statement::{Entry, EntryView, SignedStatement, Statement};
use vitrine_ledger::tile::{MemoryTiles, TileBuilder, TiledTree};
use vitrine_ledger::time::Timestamp;
use vitrine_ledger::verify::{SignatureItem, SignatureVerifier};

const MILLION: u64 = 1_000_000;

fn sample_entry(i: u64, key: &SigningKey) -> Entry {
    let statement = Statement::from_value(json!({
        "kind": "bid.committed",
        "subject": format!("ocds-213czf-000-{:05}", i % 1000),
        "issued_at": "2026-11-21T08:00:00Z",
        "body": {"commitment": format!("{:064x}", i), "lot": "lot-1"},
    }))
    .expect("statement");
    let mut signed = SignedStatement::new(statement);
    signed.sign(key);
    Entry::new(
        signed,
        Timestamp::parse("2026-11-21T08:00:01.123456Z").expect("time"),
    )
    .expect("entry")
}

fn signatures(c: &mut Criterion) {
    let key = SigningKey::from_bytes(&[7; 32]);
    let entry = sample_entry(1, &key);
    let message = entry.signed().statement().signing_message();
    let signature: Signature = key.sign(&message);
    let public = key.verifying_key();
    let mut group = c.benchmark_group("ed25519");
    group.throughput(Throughput::Elements(1));
    group.bench_function("sign", |b| b.iter(|| key.sign(black_box(&message))));
    group.bench_function("verify_strict", |b| {
        b.iter(|| public.verify_strict(black_box(&message), &signature))
    });
    // 1,024 statements by 64 keys, as SignatureVerifier sees a bundle.
    let keys: Vec<SigningKey> = (0..64u8)
        .map(|i| SigningKey::from_bytes(&[i + 1; 32]))
        .collect();
    let entries: Vec<Entry> = (0..1024)
        .map(|i| sample_entry(i, &keys[i as usize % 64]))
        .collect();
    let items: Vec<SignatureItem<'_>> = entries
        .iter()
        .map(|e| SignatureItem {
            statement: e.signed().statement().canonical(),
            signature: &e.signed().signatures()[0],
        })
        .collect();
    group.throughput(Throughput::Elements(items.len() as u64));
    group.bench_function("batch_verify_1024", |b| {
        let mut verifier = SignatureVerifier::new(true);
        b.iter(|| verifier.verify(black_box(&items)).expect("valid"))
    });
    group.finish();
}

fn hashing(c: &mut Criterion) {
    let mut group = c.benchmark_group("sha256");
    group.throughput(Throughput::Elements(1));
    let block = [5u8; 64];
    group.bench_function("64_bytes", |b| b.iter(|| sha256(black_box(&block))));
    let (l, r) = (sha256(b"l"), sha256(b"r"));
    group.bench_function("node_hash", |b| {
        b.iter(|| node_hash(black_box(&l), black_box(&r)))
    });
    group.finish();
}

fn tree(c: &mut Criterion) {
    let leaves: Vec<Hash> = (0..MILLION).map(|i| leaf_hash(&i.to_le_bytes())).collect();
    let key = SigningKey::from_bytes(&[9; 32]);
    let entry = sample_entry(3, &key);
    let mut group = c.benchmark_group("tree");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(8));
    group.throughput(Throughput::Elements(MILLION));
    group.bench_function("append_1m_leaf_hashes", |b| {
        b.iter(|| {
            let mut tree = MerkleTree::new();
            for leaf in &leaves {
                tree.append_leaf_hash(*leaf);
            }
            tree.root()
        })
    });
    group.bench_function(
        format!("append_1m_entries_of_{}_bytes", entry.bytes().len()),
        |b| {
            b.iter(|| {
                let mut tree = MerkleTree::new();
                for _ in 0..MILLION {
                    tree.append_entry(black_box(entry.bytes()));
                }
                tree.root()
            })
        },
    );
    group.bench_function("tile_builder_1m_entries", |b| {
        b.iter(|| {
            let mut builder = TileBuilder::new();
            for _ in 0..MILLION {
                builder.append(black_box(entry.bytes())).expect("fits");
            }
            builder.take_tiles().len()
        })
    });
    let memory = MemoryTree::new(leaves.clone());
    group.bench_function("recursive_root_1m", |b| b.iter(|| memory.root(MILLION)));
    group.finish();
}

fn proofs(c: &mut Criterion) {
    let mut builder = TileBuilder::new();
    for i in 0..MILLION {
        builder.append(&i.to_le_bytes()).expect("fits");
    }
    let mut tiles = MemoryTiles::default();
    tiles.store(builder.take_tiles());
    let size = MILLION;
    let mut group = c.benchmark_group("proof_from_tiles_1m");
    let mut n = 0u64;
    group.bench_function("inclusion", |b| {
        b.iter_batched(
            || {
                n = (n * 6_364_136_223_846_793_005 + 1) % size;
                n
            },
            |index| {
                // A fresh tree each time: no tile is cached between proofs.
                let tree = TiledTree::new(size, &tiles);
                inclusion_proof(&tree, index, size).expect("proof")
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("consistency", |b| {
        b.iter_batched(
            || {
                n = (n * 6_364_136_223_846_793_005 + 1) % size;
                n.max(1)
            },
            |old| {
                let tree = TiledTree::new(size, &tiles);
                consistency_proof(&tree, old, size).expect("proof")
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn entries(c: &mut Criterion) {
    let key = SigningKey::from_bytes(&[9; 32]);
    let entry = sample_entry(3, &key);
    let mut group = c.benchmark_group("entry");
    group.throughput(Throughput::Elements(1));
    group.bench_function("check_canonical", |b| {
        b.iter(|| jcs::check_canonical(black_box(entry.bytes())))
    });
    group.bench_function("view_parse", |b| {
        b.iter(|| EntryView::parse(black_box(entry.bytes())).expect("valid"))
    });
    group.bench_function("full_parse", |b| {
        b.iter(|| Entry::parse(black_box(entry.bytes())).expect("valid"))
    });
    group.finish();
}

criterion_group!(benches, signatures, hashing, tree, proofs, entries);
criterion_main!(benches);
