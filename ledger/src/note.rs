//! C2SP signed notes (`c2sp.org/signed-note`), their Ed25519 signatures (type `0x01`) and
//! timestamped Ed25519 cosignatures (type `0x04`, `c2sp.org/tlog-cosignature`), and the
//! text forms of keys: verifier keys (`name+hash+base64`) and signer keys
//! (`PRIVATE+KEY+name+hash+base64`, as Go's `golang.org/x/mod/sumdb/note` writes them).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// Notes larger than this are refused before parsing.
pub const MAX_NOTE_SIZE: usize = 64 * 1024;
/// Notes with more signatures than this are refused (the specification asks for at least 16).
pub const MAX_SIGNATURES: usize = 100;

/// The signature types this crate implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// `0x01`: Ed25519 over the note text; the log signs its checkpoints with it.
    Ed25519,
    /// `0x04`: timestamped Ed25519 checkpoint cosignature, made by witnesses.
    Cosignature,
}

impl KeyType {
    fn byte(self) -> u8 {
        match self {
            KeyType::Ed25519 => 0x01,
            KeyType::Cosignature => 0x04,
        }
    }

    fn from_byte(byte: u8) -> Option<KeyType> {
        match byte {
            0x01 => Some(KeyType::Ed25519),
            0x04 => Some(KeyType::Cosignature),
            _ => None,
        }
    }
}

/// Why a key or a key string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The key name is empty or has spaces or `+`.
    #[error("invalid key name {0:?}: it must be non-empty, without spaces or '+'")]
    Name(String),
    /// The text does not have the shape of a key string.
    #[error("malformed key string: {0}")]
    Malformed(&'static str),
    /// The key string names a signature type this crate does not implement.
    #[error("unsupported signature type 0x{0:02x}")]
    UnsupportedType(u8),
    /// The key hash does not match the name and key.
    #[error("the key hash {given:08x} does not match the key (expected {expected:08x})")]
    HashMismatch {
        /// The hash in the string.
        given: u32,
        /// The hash of the name and key.
        expected: u32,
    },
    /// The public key is not a valid Ed25519 point, or is of small order.
    #[error("not a usable Ed25519 public key")]
    BadPublicKey,
}

/// Checks a key name: non-empty, no Unicode spaces, no `+`.
pub fn check_key_name(name: &str) -> Result<(), KeyError> {
    if name.is_empty() || name.contains('+') || name.chars().any(char::is_whitespace) {
        return Err(KeyError::Name(name.to_owned()));
    }
    Ok(())
}

/// The key ID: the first four bytes of `SHA-256(name || 0x0A || type || public key)`.
pub fn key_id(name: &str, key_type: KeyType, public_key: &[u8; 32]) -> u32 {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update([b'\n', key_type.byte()]);
    hasher.update(public_key);
    let digest = hasher.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// A named private key that signs notes: a log's checkpoint key or a witness's key.
#[derive(Clone)]
pub struct NoteSigner {
    name: String,
    key_type: KeyType,
    key_id: u32,
    key: SigningKey,
}

impl std::fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the private key.
        f.debug_struct("NoteSigner")
            .field("name", &self.name)
            .field("key_id", &format_args!("{:08x}", self.key_id))
            .finish_non_exhaustive()
    }
}

impl NoteSigner {
    /// A signer of the given type for `name`.
    pub fn new(name: &str, key_type: KeyType, key: SigningKey) -> Result<NoteSigner, KeyError> {
        check_key_name(name)?;
        let key_id = key_id(name, key_type, key.verifying_key().as_bytes());
        Ok(NoteSigner {
            name: name.to_owned(),
            key_type,
            key_id,
            key,
        })
    }

    /// Parses `PRIVATE+KEY+<name>+<hex key ID>+<base64(type || 32-byte seed)>`.
    pub fn parse(text: &str) -> Result<NoteSigner, KeyError> {
        let text = text.trim_end_matches(['\n', '\r']);
        let rest = text
            .strip_prefix("PRIVATE+KEY+")
            .ok_or(KeyError::Malformed("a signer key starts with PRIVATE+KEY+"))?;
        let (name, hash, material) = split_key(rest)?;
        let key_type =
            KeyType::from_byte(*material.first().ok_or(KeyError::Malformed("empty key"))?)
                .ok_or(KeyError::UnsupportedType(material[0]))?;
        let seed: [u8; 32] = material[1..]
            .try_into()
            .map_err(|_| KeyError::Malformed("an Ed25519 private key has 32 bytes"))?;
        let signer = NoteSigner::new(name, key_type, SigningKey::from_bytes(&seed))?;
        if signer.key_id != hash {
            return Err(KeyError::HashMismatch {
                given: hash,
                expected: signer.key_id,
            });
        }
        Ok(signer)
    }

    /// The signer key string; keep it secret.
    pub fn to_signer_key(&self) -> String {
        let mut material = vec![self.key_type.byte()];
        material.extend_from_slice(self.key.as_bytes());
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.key_id,
            BASE64.encode(material)
        )
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The signature type.
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// The Ed25519 key, for signing statements with the same key.
    pub fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    /// The matching verifier.
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            name: self.name.clone(),
            key_type: self.key_type,
            key_id: self.key_id,
            key: self.key.verifying_key(),
        }
    }

    /// Signs a note text. An Ed25519 key signs the text; a cosigner key signs
    /// `cosignature/v1`, the time line and the text, with `timestamp` (POSIX seconds).
    pub fn sign(&self, text: &str, timestamp: u64) -> NoteSignature {
        let signature = match self.key_type {
            KeyType::Ed25519 => self.key.sign(text.as_bytes()).to_bytes().to_vec(),
            KeyType::Cosignature => {
                let message = cosignature_message(text, timestamp);
                let mut bytes = timestamp.to_be_bytes().to_vec();
                bytes.extend_from_slice(&self.key.sign(&message).to_bytes());
                bytes
            }
        };
        NoteSignature {
            name: self.name.clone(),
            key_id: self.key_id,
            signature,
        }
    }
}

/// The message a cosigner signs (C2SP tlog-cosignature, Ed25519).
fn cosignature_message(text: &str, timestamp: u64) -> Vec<u8> {
    format!("cosignature/v1\ntime {timestamp}\n{text}").into_bytes()
}

/// A named public key that verifies note signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    key_type: KeyType,
    key_id: u32,
    key: VerifyingKey,
}

impl NoteVerifier {
    /// A verifier for `name` and an Ed25519 public key.
    pub fn new(name: &str, key_type: KeyType, key: VerifyingKey) -> Result<NoteVerifier, KeyError> {
        check_key_name(name)?;
        if key.is_weak() {
            return Err(KeyError::BadPublicKey);
        }
        Ok(NoteVerifier {
            name: name.to_owned(),
            key_type,
            key_id: key_id(name, key_type, key.as_bytes()),
            key,
        })
    }

    /// Parses a verifier key `<name>+<hex key ID>+<base64(type || public key)>`.
    pub fn parse(text: &str) -> Result<NoteVerifier, KeyError> {
        let text = text.trim();
        if text.starts_with("PRIVATE+KEY+") {
            return Err(KeyError::Malformed(
                "this is a private signer key; give the public verifier key",
            ));
        }
        let (name, hash, material) = split_key(text)?;
        let key_type =
            KeyType::from_byte(*material.first().ok_or(KeyError::Malformed("empty key"))?)
                .ok_or(KeyError::UnsupportedType(material[0]))?;
        let public: [u8; 32] = material[1..]
            .try_into()
            .map_err(|_| KeyError::Malformed("an Ed25519 public key has 32 bytes"))?;
        let key = VerifyingKey::from_bytes(&public).map_err(|_| KeyError::BadPublicKey)?;
        let verifier = NoteVerifier::new(name, key_type, key)?;
        if verifier.key_id != hash {
            return Err(KeyError::HashMismatch {
                given: hash,
                expected: verifier.key_id,
            });
        }
        Ok(verifier)
    }

    /// The verifier key string.
    pub fn to_verifier_key(&self) -> String {
        let mut material = vec![self.key_type.byte()];
        material.extend_from_slice(self.key.as_bytes());
        format!(
            "{}+{:08x}+{}",
            self.name,
            self.key_id,
            BASE64.encode(material)
        )
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The signature type.
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// The Ed25519 public key.
    pub fn public_key(&self) -> &VerifyingKey {
        &self.key
    }

    /// Whether a signature line names this key.
    pub fn matches(&self, signature: &NoteSignature) -> bool {
        signature.name == self.name && signature.key_id == self.key_id
    }

    /// Verifies one signature by this key over a note text. For a cosignature, returns its
    /// timestamp; for a plain Ed25519 signature, `None`.
    pub fn verify(&self, text: &str, signature: &NoteSignature) -> Result<Option<u64>, NoteError> {
        let bad = || NoteError::BadSignature(self.name.clone());
        match self.key_type {
            KeyType::Ed25519 => {
                let sig = Signature::from_slice(&signature.signature).map_err(|_| bad())?;
                self.key
                    .verify_strict(text.as_bytes(), &sig)
                    .map_err(|_| bad())?;
                Ok(None)
            }
            KeyType::Cosignature => {
                if signature.signature.len() != 72 {
                    return Err(bad());
                }
                let (time, sig) = signature.signature.split_at(8);
                let timestamp = u64::from_be_bytes(time.try_into().map_err(|_| bad())?);
                if timestamp > i64::MAX as u64 {
                    return Err(bad());
                }
                let sig = Signature::from_slice(sig).map_err(|_| bad())?;
                self.key
                    .verify_strict(&cosignature_message(text, timestamp), &sig)
                    .map_err(|_| bad())?;
                Ok(Some(timestamp))
            }
        }
    }
}

fn split_key(text: &str) -> Result<(&str, u32, Vec<u8>), KeyError> {
    let mut parts = text.splitn(3, '+');
    let (Some(name), Some(hash), Some(material)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(KeyError::Malformed("expected name+hash+key"));
    };
    check_key_name(name)?;
    if hash.len() != 8
        || !hash
            .bytes()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    {
        return Err(KeyError::Malformed(
            "the key hash is 8 lowercase hex digits",
        ));
    }
    let hash = u32::from_str_radix(hash, 16).map_err(|_| KeyError::Malformed("bad key hash"))?;
    let material = BASE64
        .decode(material)
        .map_err(|_| KeyError::Malformed("the key is not valid base64"))?;
    Ok((name, hash, material))
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key name.
    pub name: String,
    /// The key ID.
    pub key_id: u32,
    /// The signature bytes after the key ID.
    pub signature: Vec<u8>,
}

/// Why a note was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// Larger than [`MAX_NOTE_SIZE`].
    #[error("the note is larger than {MAX_NOTE_SIZE} bytes")]
    TooLarge,
    /// Not UTF-8, or has control characters other than newline.
    #[error("the note is not valid UTF-8 text without control characters")]
    BadText,
    /// No blank line before the signatures, or text not ending in a newline.
    #[error("malformed note: {0}")]
    Malformed(&'static str),
    /// A signature line is malformed.
    #[error("malformed signature line {0:?}")]
    BadSignatureLine(String),
    /// More signatures than [`MAX_SIGNATURES`].
    #[error("the note has more than {MAX_SIGNATURES} signatures")]
    TooManySignatures,
    /// A signature by a known key does not verify.
    #[error("the signature by {0} does not verify")]
    BadSignature(String),
    /// No signature by the required key.
    #[error("the note is not signed by {0}")]
    MissingSignature(String),
}

/// A note: a text and its signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    text: String,
    signatures: Vec<NoteSignature>,
}

fn check_text(text: &str) -> Result<(), NoteError> {
    if text.bytes().any(|b| b < 0x20 && b != b'\n') {
        return Err(NoteError::BadText);
    }
    Ok(())
}

impl Note {
    /// An unsigned note; the text must end with a newline.
    pub fn new(text: &str) -> Result<Note, NoteError> {
        check_text(text)?;
        if !text.ends_with('\n') {
            return Err(NoteError::Malformed("the text must end with a newline"));
        }
        Ok(Note {
            text: text.to_owned(),
            signatures: Vec::new(),
        })
    }

    /// Parses a signed note.
    pub fn parse(bytes: &[u8]) -> Result<Note, NoteError> {
        if bytes.len() > MAX_NOTE_SIZE {
            return Err(NoteError::TooLarge);
        }
        let all = std::str::from_utf8(bytes).map_err(|_| NoteError::BadText)?;
        check_text(all)?;
        if !all.ends_with('\n') {
            return Err(NoteError::Malformed("a signed note ends with a newline"));
        }
        let split = all
            .rfind("\n\n")
            .ok_or(NoteError::Malformed("no blank line before the signatures"))?;
        let text = &all[..split + 1];
        let lines = &all[split + 2..];
        let mut signatures = Vec::new();
        for line in lines.split_terminator('\n') {
            if signatures.len() == MAX_SIGNATURES {
                return Err(NoteError::TooManySignatures);
            }
            signatures.push(parse_signature_line(line)?);
        }
        if signatures.is_empty() {
            return Err(NoteError::Malformed("no signature lines"));
        }
        Ok(Note {
            text: text.to_owned(),
            signatures,
        })
    }

    /// The signed text, with its final newline.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The signatures, in order.
    pub fn signatures(&self) -> &[NoteSignature] {
        &self.signatures
    }

    /// Adds a signature line, replacing an earlier one by the same key.
    pub fn add_signature(&mut self, signature: NoteSignature) {
        self.signatures
            .retain(|s| !(s.name == signature.name && s.key_id == signature.key_id));
        self.signatures.push(signature);
    }

    /// Signs the text with `signer` and adds the signature.
    pub fn sign(&mut self, signer: &NoteSigner, timestamp: u64) {
        let signature = signer.sign(&self.text, timestamp);
        self.add_signature(signature);
    }

    /// Verifies the signatures by `verifier`: `Ok(None)` if there is none, an error if one
    /// fails. Returns the verified signature's cosignature timestamp, if any.
    pub fn verify_by(&self, verifier: &NoteVerifier) -> Result<Option<Option<u64>>, NoteError> {
        let mut result = None;
        for signature in self.signatures.iter().filter(|s| verifier.matches(s)) {
            result = Some(verifier.verify(&self.text, signature)?);
        }
        Ok(result)
    }

    /// The signed note in its text form.
    pub fn to_text(&self) -> String {
        let mut out = self.text.clone();
        out.push('\n');
        for s in &self.signatures {
            let mut bytes = s.key_id.to_be_bytes().to_vec();
            bytes.extend_from_slice(&s.signature);
            out.push_str(&format!("\u{2014} {} {}\n", s.name, BASE64.encode(bytes)));
        }
        out
    }
}

fn parse_signature_line(line: &str) -> Result<NoteSignature, NoteError> {
    let bad = || NoteError::BadSignatureLine(line.chars().take(120).collect());
    let rest = line.strip_prefix("\u{2014} ").ok_or_else(bad)?;
    let (name, b64) = rest.split_once(' ').ok_or_else(bad)?;
    check_key_name(name).map_err(|_| bad())?;
    let bytes = BASE64.decode(b64).map_err(|_| bad())?;
    if bytes.len() < 5 {
        return Err(bad());
    }
    Ok(NoteSignature {
        name: name.to_owned(),
        key_id: u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]),
        signature: bytes[4..].to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of c2sp.org/signed-note ("Verifier keys / Example").
    #[test]
    fn c2sp_example_note_verifies() {
        let verifier = NoteVerifier::parse(
            "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        )
        .unwrap();
        let note = Note::parse(
            "This is an example message.\n\n\u{2014} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(note.verify_by(&verifier), Ok(Some(None)));
        assert_eq!(note.text(), "This is an example message.\n");
    }

    #[test]
    fn signer_round_trip_and_tamper() {
        let signer = NoteSigner::new(
            "example.org/log",
            KeyType::Ed25519,
            SigningKey::from_bytes(&[7; 32]),
        )
        .unwrap();
        let again = NoteSigner::parse(&signer.to_signer_key()).unwrap();
        assert_eq!(again.verifier(), signer.verifier());
        let verifier = NoteVerifier::parse(&signer.verifier().to_verifier_key()).unwrap();
        let mut note = Note::new("hello\n\nworld\n").unwrap();
        note.sign(&signer, 0);
        let text = note.to_text();
        let parsed = Note::parse(text.as_bytes()).unwrap();
        assert_eq!(parsed.text(), "hello\n\nworld\n");
        assert_eq!(parsed.verify_by(&verifier), Ok(Some(None)));
        let tampered = text.replace("world", "worle");
        assert!(
            Note::parse(tampered.as_bytes())
                .unwrap()
                .verify_by(&verifier)
                .is_err()
        );
    }

    #[test]
    fn cosignature_round_trip() {
        let witness = NoteSigner::new(
            "witness.example/w1",
            KeyType::Cosignature,
            SigningKey::from_bytes(&[9; 32]),
        )
        .unwrap();
        let mut note =
            Note::new("example.org/log\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")
                .unwrap();
        note.sign(&witness, 1_679_315_147);
        assert_eq!(
            note.verify_by(&witness.verifier()),
            Ok(Some(Some(1_679_315_147)))
        );
        // The same key as a plain Ed25519 key has another key ID and does not match.
        let plain = NoteVerifier::new(
            "witness.example/w1",
            KeyType::Ed25519,
            witness.verifier().key,
        )
        .unwrap();
        assert_eq!(note.verify_by(&plain), Ok(None));
    }

    #[test]
    fn refuses_malformed_keys_and_notes() {
        assert!(matches!(
            NoteVerifier::parse("a+b+c"),
            Err(KeyError::Malformed(_))
        ));
        assert!(matches!(
            NoteVerifier::parse(
                "example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
            ),
            Err(KeyError::HashMismatch { .. })
        ));
        assert!(matches!(
            NoteVerifier::parse("PRIVATE+KEY+x+00000000+AA=="),
            Err(KeyError::Malformed(_))
        ));
        assert!(Note::parse(b"no signatures\n").is_err());
        assert!(Note::parse(b"text\n\n").is_err());
        assert!(Note::parse(b"text\n\n- name AAAAAAA=\n").is_err());
        assert!(Note::parse(b"te\x01xt\n\n\xe2\x80\x94 name AAAAAAA=\n").is_err());
    }
}
