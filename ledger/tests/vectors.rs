//! Known-answer tests from the public specifications.

#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

use ed25519_dalek::{Signer as _, SigningKey};
use vitrine_ledger::hash::{Hash, hex_decode, leaf_hash};
use vitrine_ledger::jcs;
use vitrine_ledger::merkle::{
    MemoryTree, MerkleTree, consistency_proof, inclusion_proof, verify_consistency,
    verify_inclusion,
};

fn hex(text: &str) -> Vec<u8> {
    hex_decode(text).unwrap()
}

/// The eight test leaves of the RFC 6962 reference implementations (certificate-transparency
/// and transparency-dev/merkle) and the roots of the trees of their first n leaves.
const LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];
const ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

fn test_leaves() -> Vec<Hash> {
    LEAVES.iter().map(|l| leaf_hash(&hex(l))).collect()
}

#[test]
fn rfc6962_roots_of_the_eight_test_leaves() {
    let mut tree = MerkleTree::new();
    assert_eq!(
        tree.root().to_hex(),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    for (leaf, root) in test_leaves().into_iter().zip(ROOTS) {
        tree.append_leaf_hash(leaf);
        assert_eq!(tree.root().to_hex(), root, "size {}", tree.size());
    }
}

#[test]
fn rfc6962_proofs_over_the_test_leaves_verify() {
    let leaves = test_leaves();
    let memory = MemoryTree::new(leaves.clone());
    let root = |n: usize| Hash::from_hex(ROOTS[n - 1]).unwrap();
    for size in 1..=8u64 {
        for index in 0..size {
            let proof = inclusion_proof(&memory, index, size).unwrap();
            verify_inclusion(
                &leaves[index as usize],
                index,
                size,
                &proof,
                &root(size as usize),
            )
            .unwrap();
        }
        for old in 1..=size {
            let proof = consistency_proof(&memory, old, size).unwrap();
            verify_consistency(old, size, &proof, &root(old as usize), &root(size as usize))
                .unwrap();
        }
    }
}

/// RFC 8032 §7.1, TEST 1 to TEST 3.
#[test]
fn rfc8032_ed25519_vectors() {
    let cases = [
        (
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            "",
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        ),
        (
            "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
            "72",
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
        ),
        (
            "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
            "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
            "af82",
            "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
        ),
    ];
    for (secret, public, message, signature) in cases {
        let key = SigningKey::from_bytes(&hex(secret).try_into().unwrap());
        assert_eq!(key.verifying_key().as_bytes().to_vec(), hex(public));
        let sig = key.sign(&hex(message));
        assert_eq!(sig.to_bytes().to_vec(), hex(signature));
        key.verifying_key()
            .verify_strict(&hex(message), &sig)
            .unwrap();
        let mut other = hex(message);
        other.push(0);
        assert!(key.verifying_key().verify_strict(&other, &sig).is_err());
    }
}

/// RFC 8785 §3.2.2: the canonical form of the example object.
#[test]
fn rfc8785_example() {
    let input = r#"{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}"#;
    let expected = "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],\"string\":\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";
    let value = jcs::parse(input.as_bytes()).unwrap();
    assert_eq!(
        String::from_utf8(jcs::canonicalize(&value)).unwrap(),
        expected
    );
    // Vitrine statements refuse it: it has floating-point numbers.
    assert!(jcs::check_integers(&value).is_err());
    assert!(jcs::check_canonical(expected.as_bytes()).is_err());
}

/// RFC 8785 §3.2.3: members sorted by UTF-16 code units.
#[test]
fn rfc8785_sorting() {
    let input = r#"{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}"#;
    let canonical = jcs::canonicalize(&jcs::parse(input.as_bytes()).unwrap());
    let value: serde_json::Value = serde_json::from_slice(&canonical).unwrap();
    let text = String::from_utf8(canonical.clone()).unwrap();
    let order: Vec<&str> = [
        "Carriage Return",
        "One",
        "Control",
        "Latin Small Letter O With Diaeresis",
        "Euro Sign",
        "Emoji: Grinning Face",
        "Hebrew Letter Dalet With Dagesh",
    ]
    .to_vec();
    let positions: Vec<usize> = order.iter().map(|v| text.find(v).unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
    assert_eq!(value.as_object().unwrap().len(), 7);
    assert_eq!(jcs::check_canonical(&canonical), Ok(()));
}

/// RFC 8785 Appendix B: IEEE 754 doubles and their canonical text.
#[test]
fn rfc8785_numbers() {
    let cases = [
        ("0000000000000000", "0"),
        ("8000000000000000", "0"),
        ("0000000000000001", "5e-324"),
        ("8000000000000001", "-5e-324"),
        ("7fefffffffffffff", "1.7976931348623157e+308"),
        ("ffefffffffffffff", "-1.7976931348623157e+308"),
        ("4340000000000000", "9007199254740992"),
        ("c340000000000000", "-9007199254740992"),
        ("4430000000000000", "295147905179352830000"),
        ("44b52d02c7e14af5", "9.999999999999997e+22"),
        ("44b52d02c7e14af6", "1e+23"),
        ("44b52d02c7e14af7", "1.0000000000000001e+23"),
        ("444b1ae4d6e2ef4e", "999999999999999700000"),
        ("444b1ae4d6e2ef4f", "999999999999999900000"),
        ("444b1ae4d6e2ef50", "1e+21"),
        ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
        ("3eb0c6f7a0b5ed8d", "0.000001"),
        ("41b3de4355555553", "333333333.3333332"),
        ("41b3de4355555554", "333333333.33333325"),
        ("41b3de4355555555", "333333333.3333333"),
        ("41b3de4355555556", "333333333.3333334"),
        ("41b3de4355555557", "333333333.33333343"),
        ("becbf647612f3696", "-0.0000033333333333333333"),
        ("43143ff3c1cb0959", "1424953923781206.2"),
    ];
    for (bits, expected) in cases {
        let value = f64::from_bits(u64::from_str_radix(bits, 16).unwrap());
        assert_eq!(jcs::format_es_number(value), expected, "{bits}");
        // And through parse: the text of the double parses back to it and canonicalizes.
        let parsed = jcs::parse(format!("[{value:e}]").as_bytes()).unwrap();
        assert_eq!(
            jcs::canonicalize(&parsed),
            format!("[{expected}]").into_bytes(),
            "{bits}"
        );
    }
}

/// The example key and note of Go's `golang.org/x/mod/sumdb/note` tests.
#[test]
fn go_sumdb_note_example() {
    use vitrine_ledger::note::{Note, NoteSigner, NoteVerifier};
    let signer = NoteSigner::parse(
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
    )
    .unwrap();
    let verifier =
        NoteVerifier::parse("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
            .unwrap();
    assert_eq!(signer.verifier(), verifier);
    let text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    let signed = format!(
        "{text}\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    );
    let mut note = Note::new(text).unwrap();
    note.sign(&signer, 0);
    assert_eq!(note.to_text(), signed);
    assert_eq!(
        Note::parse(signed.as_bytes()).unwrap().verify_by(&verifier),
        Ok(Some(None))
    );
}

/// Inclusion and consistency proofs published with transparency-dev/merkle: ours are
/// byte for byte the same, and the published ones verify.
#[test]
fn rfc6962_published_proofs() {
    let leaves = test_leaves();
    let memory = MemoryTree::new(leaves.clone());
    let root = |n: u64| Hash::from_hex(ROOTS[n as usize - 1]).unwrap();
    let mut cases = 0;
    for line in include_str!("data/rfc6962-proofs.txt")
        .lines()
        .filter(|l| !l.starts_with('#'))
    {
        let fields: std::collections::HashMap<&str, &str> = line
            .split_whitespace()
            .skip(1)
            .filter_map(|f| f.split_once('='))
            .collect();
        let proof: Vec<Hash> = fields["proof"]
            .split(',')
            .filter(|h| !h.is_empty())
            .map(|h| Hash::from_hex(h).unwrap())
            .collect();
        if line.starts_with("inclusion ") {
            let (leaf, size): (u64, u64) = (
                fields["leaf"].parse().unwrap(),
                fields["size"].parse().unwrap(),
            );
            assert_eq!(
                inclusion_proof(&memory, leaf, size).unwrap(),
                proof,
                "{line}"
            );
            verify_inclusion(&leaves[leaf as usize], leaf, size, &proof, &root(size)).unwrap();
        } else {
            let (from, to): (u64, u64) = (
                fields["from"].parse().unwrap(),
                fields["to"].parse().unwrap(),
            );
            assert_eq!(
                consistency_proof(&memory, from, to).unwrap(),
                proof,
                "{line}"
            );
            verify_consistency(from, to, &proof, &root(from), &root(to)).unwrap();
        }
        cases += 1;
    }
    assert_eq!(cases, 10);
}

/// The edge cases of transparency-dev/merkle's consistency verification.
#[test]
fn rfc6962_consistency_edge_cases() {
    let (r1, r2) = (
        vitrine_ledger::hash::sha256(b"don't care 1"),
        vitrine_ledger::hash::sha256(b"don't care 2"),
    );
    let empty = vitrine_ledger::hash::empty_root();
    assert!(verify_consistency(1, 1, &[], &r1, &r2).is_err());
    assert!(verify_consistency(0, 0, &[], &r1, &r1).is_ok());
    assert!(verify_consistency(1, 1, &[], &r2, &r2).is_ok());
    assert!(
        verify_consistency(0, 1, &[], &r1, &r2).is_err(),
        "the empty tree's root is fixed"
    );
    assert!(verify_consistency(0, 1, &[], &empty, &r2).is_ok());
    assert!(
        verify_consistency(1, 0, &[], &r1, &r2).is_err(),
        "time travel"
    );
    assert!(
        verify_consistency(2, 1, &[], &r1, &r2).is_err(),
        "time travel"
    );
    assert!(
        verify_consistency(1, 2, &[], &r1, &r2).is_err(),
        "empty proof"
    );
    assert!(verify_consistency(1, 1, &[], &empty, &r2).is_err());
    assert!(
        verify_inclusion(&r1, 0, 0, &[], &r1).is_err(),
        "an empty tree holds nothing"
    );
    assert!(verify_inclusion(&r1, 1, 1, &[], &r1).is_err());
    assert!(verify_inclusion(&r1, 0, 1, &[], &r1).is_ok());
}
