//! The pages' static files (`frontend/static/`), embedded in the binary and served under
//! `/static/`. Each is named in pages with its content's hash (`?v=`), so that a browser
//! may keep it forever and still never runs an old script with a new page; a script's
//! imports (`from './sign.js'`) are named by their versions too, so its version covers
//! theirs.

use sha2::{Digest, Sha256};

/// A static file.
pub struct Asset {
    /// Its path under `/static/`.
    pub path: &'static str,
    /// Its bytes (a script's with its imports versioned).
    pub bytes: actix_web::web::Bytes,
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
    "css/charity.css",
    "js/site.js",
    "js/bidder.js",
    "js/charity.js",
    "js/desk.js",
    "js/sign.js",
    "js/verify.js",
    "js/trace.js",
    "favicon.svg",
];

/// The static files, with their versions.
pub struct Assets {
    files: Vec<Asset>,
}

impl Assets {
    /// Hashes the embedded files, each script after the scripts it imports.
    pub fn load() -> Assets {
        let mut files: Vec<Asset> = Vec::new();
        for (path, _) in FILES {
            versioned(path, &mut files, 0);
        }
        Assets { files }
    }

    /// Adds a file made at start (not one of [`FILES`]), versioned by its bytes.
    pub fn add(&mut self, path: &'static str, bytes: Vec<u8>) {
        let version = version_of(&bytes);
        self.files.retain(|a| a.path != path);
        self.files.push(Asset {
            path,
            bytes: bytes.into(),
            version,
        });
    }

    /// Every file's path.
    pub fn paths(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.files.iter().map(|a| a.path)
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

/// Adds the file at `path` to `done`, after what it imports (`depth` guards against an
/// import cycle, which the tests would catch first).
fn versioned(path: &'static str, done: &mut Vec<Asset>, depth: usize) {
    if done.iter().any(|a| a.path == path) || depth > FILES.len() {
        return;
    }
    let Some((_, bytes)) = FILES.iter().find(|(p, _)| *p == path) else {
        return;
    };
    let bytes = match (path.ends_with(".js"), std::str::from_utf8(bytes)) {
        (true, Ok(text)) => {
            for import in imports(text) {
                if let Some((p, _)) = FILES.iter().find(|(p, _)| *p == format!("js/{import}")) {
                    versioned(p, done, depth + 1);
                }
            }
            let version_of = |name: &str| {
                let path = format!("js/{name}");
                done.iter()
                    .find(|a| a.path == path)
                    .map(|a| a.version.clone())
            };
            with_versions(text, version_of).into_bytes()
        }
        _ => bytes.to_vec(),
    };
    let version = version_of(&bytes);
    done.push(Asset {
        path,
        bytes: bytes.into(),
        version,
    });
}

/// The first 16 hex digits of the bytes' SHA-256.
fn version_of(bytes: &[u8]) -> String {
    Sha256::digest(bytes)[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The sibling modules a script imports (`from './name.js'`).
fn imports(text: &str) -> impl Iterator<Item = &str> {
    text.match_indices("from './").filter_map(move |(i, m)| {
        let rest = &text[i + m.len()..];
        rest.find('\'').map(|end| &rest[..end])
    })
}

/// `text` with each sibling import named by its version, where `version_of` knows it.
fn with_versions(text: &str, version_of: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    while let Some(i) = rest.find("from './") {
        let start = i + "from './".len();
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest.find('\'').unwrap_or(0);
        let name = &rest[..end];
        out.push_str(name);
        if let Some(version) = version_of(name) {
            out.push_str("?v=");
            out.push_str(&version);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
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
    fn a_script_names_its_imports_by_version_and_its_version_covers_theirs() {
        let assets = Assets::load();
        let sign = assets.get("js/sign.js").unwrap();
        let desk = assets.get("js/desk.js").unwrap();
        let text = std::str::from_utf8(&desk.bytes).unwrap();
        assert!(text.contains(&format!("from './sign.js?v={}'", sign.version)));
        let verify = assets.get("js/verify.js").unwrap();
        let site = std::str::from_utf8(&assets.get("js/site.js").unwrap().bytes).unwrap();
        assert!(site.contains(&format!("from './verify.js?v={}'", verify.version)));
        assert_eq!(assets.files.len(), FILES.len());
        // A change to an import changes the importer's version.
        let v = |n: &str| {
            if n == "sign.js" {
                Some("a".into())
            } else {
                None
            }
        };
        let w = |n: &str| {
            if n == "sign.js" {
                Some("b".into())
            } else {
                None
            }
        };
        let line = "import { x } from './sign.js';\nimport { y } from './other.js';";
        assert_eq!(
            with_versions(line, v),
            "import { x } from './sign.js?v=a';\nimport { y } from './other.js';"
        );
        assert_ne!(with_versions(line, v), with_versions(line, w));
        assert_eq!(imports(line).collect::<Vec<_>>(), ["sign.js", "other.js"]);
    }

    #[test]
    fn no_page_brings_more_than_100_kb_of_its_own_assets() {
        // What a page loads: the files its template and base.html name (`static_url('…')`),
        // with the scripts those import, each once.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../frontend/templates");
        let named = |text: &str| -> Vec<String> {
            text.match_indices("static_url('")
                .filter_map(|(i, m)| {
                    let rest = &text[i + m.len()..];
                    rest.find('\'').map(|end| rest[..end].to_owned())
                })
                .collect()
        };
        let base = named(&std::fs::read_to_string(root.join("base.html")).expect("base.html"));
        for entry in std::fs::read_dir(&root).expect("read the folder") {
            let path = entry.expect("an entry").path();
            let text = std::fs::read_to_string(&path).expect("a template");
            let mut wanted: Vec<String> = base.iter().cloned().chain(named(&text)).collect();
            let mut loaded: Vec<(String, usize)> = Vec::new();
            while let Some(file) = wanted.pop() {
                // The refusals' sentences are made at start, and fetched only on a refusal.
                let Some((_, bytes)) = FILES.iter().find(|(p, _)| *p == file) else {
                    continue;
                };
                if loaded.iter().any(|(p, _)| *p == file) {
                    continue;
                }
                if file.ends_with(".js") {
                    let script = std::str::from_utf8(bytes).expect("UTF-8");
                    wanted.extend(imports(script).map(|i| format!("js/{i}")));
                }
                loaded.push((file, bytes.len()));
            }
            let total: usize = loaded.iter().map(|(_, n)| n).sum();
            assert!(
                total < 100 * 1024,
                "{} brings {total} bytes: {loaded:?}",
                path.display()
            );
        }
    }
}
