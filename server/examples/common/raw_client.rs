//! A keep-alive HTTP/1.1 client for the load generators: loopback only, bounded by its
//! callers.

use std::time::Duration;

/// A keep-alive HTTP/1.1 client that does only what the measurement needs, so that the
/// load generator's own CPU stays small next to the server's on a shared machine.
pub struct RawClient {
    stream: std::net::TcpStream,
    host: String,
    buffer: Vec<u8>,
}

impl RawClient {
    pub fn connect(address: &str) -> Result<RawClient, String> {
        let stream = std::net::TcpStream::connect(address).map_err(|e| e.to_string())?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .map_err(|e| e.to_string())?;
        Ok(RawClient {
            stream,
            host: address.to_owned(),
            buffer: Vec::with_capacity(16 * 1024),
        })
    }

    /// Sends one request, with extra header lines (each ending in `\r\n`), and reads the
    /// whole answer; returns its status.
    pub fn post_with(&mut self, path: &str, body: &str, headers: &str) -> Result<u16, String> {
        use std::io::{Read as _, Write as _};
        let request = format!(
            "POST {path} HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{headers}\r\n{body}",
            self.host,
            body.len()
        );
        self.stream
            .write_all(request.as_bytes())
            .map_err(|e| e.to_string())?;
        self.buffer.clear();
        let mut chunk = [0u8; 16 * 1024];
        loop {
            if let Some(end) = self.buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = std::str::from_utf8(&self.buffer[..end]).map_err(|e| e.to_string())?;
                let status: u16 = head
                    .get(9..12)
                    .and_then(|s| s.parse().ok())
                    .ok_or("a malformed status line")?;
                let length: usize = head
                    .lines()
                    .find_map(|line| {
                        let (name, value) = line.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse().ok())?
                    })
                    .ok_or("an answer without content-length")?;
                while self.buffer.len() < end + 4 + length {
                    let n = self.stream.read(&mut chunk).map_err(|e| e.to_string())?;
                    if n == 0 {
                        return Err("the server closed the connection".into());
                    }
                    self.buffer.extend_from_slice(&chunk[..n]);
                }
                return Ok(status);
            }
            let n = self.stream.read(&mut chunk).map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("the server closed the connection".into());
            }
            self.buffer.extend_from_slice(&chunk[..n]);
        }
    }
}
