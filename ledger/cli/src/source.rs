//! Where a log is read from: a directory laid out as tlog-tiles, or a base URL.

use std::fmt;
use std::io::Read as _;
use std::path::PathBuf;
use std::time::Duration;
use vitrine_ledger::tile::{TileId, TileReader};
use vitrine_ledger::verify::LogReader;

/// The largest resource read: a full entry bundle of maximal entries.
const MAX_RESOURCE: u64 = 256 * (65_535 + 2) + 1;

/// Why a resource could not be read.
#[derive(Debug)]
pub struct ReadError(pub String);

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A log in a local directory.
pub struct DirSource {
    pub root: PathBuf,
}

impl DirSource {
    fn read(&self, relative: &str) -> Result<Vec<u8>, ReadError> {
        let path = self.root.join(relative);
        std::fs::read(&path).map_err(|e| ReadError(format!("{}: {e}", path.display())))
    }
}

impl TileReader for DirSource {
    type Error = ReadError;
    fn read_tile(&self, tile: TileId) -> Result<Vec<u8>, ReadError> {
        self.read(&tile.path())
    }
}

impl LogReader for DirSource {
    fn read_checkpoint(&self) -> Result<Vec<u8>, ReadError> {
        self.read("checkpoint")
    }

    fn partial_widths(&self, tile: TileId) -> Vec<u16> {
        // `tile/<L>/<N>.p/` holds one file per width.
        let dir = self.root.join(format!("{}.p", tile.full().path()));
        let mut widths: Vec<u16> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse().ok())
            .filter(|w| (1..=255).contains(w))
            .collect();
        widths.sort_unstable();
        widths
    }
}

/// A log served over HTTP(S) at a base URL (`https://host/log`).
pub struct HttpSource {
    base: String,
    agent: ureq::Agent,
}

impl HttpSource {
    pub fn new(base: &str) -> HttpSource {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(60)))
            .http_status_as_error(false)
            .user_agent(concat!("vitrine/", env!("CARGO_PKG_VERSION")))
            .build();
        HttpSource {
            base: base.trim_end_matches('/').to_owned(),
            agent: config.into(),
        }
    }

    fn read(&self, relative: &str) -> Result<Vec<u8>, ReadError> {
        let url = format!("{}/{relative}", self.base);
        let mut response = self
            .agent
            .get(&url)
            .call()
            .map_err(|e| ReadError(format!("{url}: {e}")))?;
        let status = response.status();
        if !status.is_success() {
            return Err(ReadError(format!("{url}: HTTP {}", status.as_u16())));
        }
        let mut body = Vec::new();
        response
            .body_mut()
            .as_reader()
            .take(MAX_RESOURCE)
            .read_to_end(&mut body)
            .map_err(|e| ReadError(format!("{url}: {e}")))?;
        if body.len() as u64 >= MAX_RESOURCE {
            return Err(ReadError(format!("{url}: larger than any tile")));
        }
        Ok(body)
    }
}

impl TileReader for HttpSource {
    type Error = ReadError;
    fn read_tile(&self, tile: TileId) -> Result<Vec<u8>, ReadError> {
        self.read(&tile.path())
    }
}

impl LogReader for HttpSource {
    fn read_checkpoint(&self) -> Result<Vec<u8>, ReadError> {
        self.read("checkpoint")
    }
}

/// A directory or a URL, decided by the argument's scheme.
pub enum Source {
    Dir(DirSource),
    Http(HttpSource),
}

impl Source {
    pub fn open(argument: &str) -> Source {
        if argument.starts_with("http://") || argument.starts_with("https://") {
            Source::Http(HttpSource::new(argument))
        } else {
            Source::Dir(DirSource {
                root: PathBuf::from(argument),
            })
        }
    }

    pub fn is_remote(&self) -> bool {
        matches!(self, Source::Http(_))
    }
}

impl TileReader for Source {
    type Error = ReadError;
    fn read_tile(&self, tile: TileId) -> Result<Vec<u8>, ReadError> {
        match self {
            Source::Dir(d) => d.read_tile(tile),
            Source::Http(h) => h.read_tile(tile),
        }
    }
}

impl LogReader for Source {
    fn read_checkpoint(&self) -> Result<Vec<u8>, ReadError> {
        match self {
            Source::Dir(d) => d.read_checkpoint(),
            Source::Http(h) => h.read_checkpoint(),
        }
    }

    fn partial_widths(&self, tile: TileId) -> Vec<u16> {
        match self {
            Source::Dir(d) => d.partial_widths(tile),
            Source::Http(_) => Vec::new(),
        }
    }
}
