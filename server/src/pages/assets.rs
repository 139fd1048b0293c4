//! The pages' static files (`frontend/static/`), embedded in the binary and served under
//! `/static/`. Each is named in pages with its content's hash (`?v=`), so that a browser
//! may keep it forever and still never runs an old script with a new page.

use sha2::{Digest, Sha256};

/// A static file.
pub struct Asset {
    /// Its path under `/static/`.
    pub path: &'static str,
    /// Its bytes.
    pub bytes: &'static [u8],
    /// The first 16 hex digits of its SHA-256: its version.
    pub version: String,
}

macro_rules! assets {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_bytes!(concat!("../../../frontend/static/", $path)) as &[u8])),*]
    };
}

/// Every static file; `tests` checks that the list holds every file of the folder.
pub const FILES: &[(&str, &[u8])] = assets![
    "css/site.css",
    "js/site.js",
    "js/bidder.js",
    "js/desk.js",
    "js/sign.js",
    "js/verify.js",
    "favicon.svg",
];

/// The static files, with their versions.
pub struct Assets {
    files: Vec<Asset>,
}

impl Assets {
    /// Hashes the embedded files.
    pub fn load() -> Assets {
        let files = FILES
            .iter()
            .map(|(path, bytes)| {
                let digest = Sha256::digest(bytes);
                let version: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
                Asset {
                    path,
                    bytes,
                    version,
                }
            })
            .collect();
        Assets { files }
    }

    /// The file at `path`.
    pub fn get(&self, path: &str) -> Option<&Asset> {
        self.files.iter().find(|a| a.path == path)
    }

    /// The URL pages name a file by: its path and version.
    pub fn url(&self, path: &str) -> Option<String> {
        self.get(path)
            .map(|a| format!("/static/{}?v={}", a.path, a.version))
    }
}

/// The media type of a static file.
pub(super) fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_of_the_folder_is_embedded() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../frontend/static");
        let mut on_disk = Vec::new();
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("read the folder") {
                let path = entry.expect("an entry").path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let relative = path.strip_prefix(&root).expect("under the root");
                    on_disk.push(relative.to_string_lossy().replace('\\', "/"));
                }
            }
        }
        on_disk.sort();
        let mut embedded: Vec<String> = FILES.iter().map(|(p, _)| (*p).to_owned()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded);
    }

    #[test]
    fn no_page_brings_more_than_100_kb_of_its_own_assets() {
        let total: usize = FILES.iter().map(|(_, b)| b.len()).sum();
        assert!(total < 100 * 1024, "the static files weigh {total} bytes");
    }
}
