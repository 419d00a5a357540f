//! HTTP/1.x request line and `Host` header (RFC 9112).

const METHODS: &[&[u8]] = &[
    b"GET",
    b"POST",
    b"HEAD",
    b"PUT",
    b"DELETE",
    b"OPTIONS",
    b"CONNECT",
    b"TRACE",
    b"PATCH",
    b"M-SEARCH",
    b"NOTIFY",
    // WebDAV and UPnP (GENA) methods, which Wireshark's HTTP dissector knows.
    b"PROPFIND",
    b"PROPPATCH",
    b"MKCOL",
    b"COPY",
    b"MOVE",
    b"LOCK",
    b"UNLOCK",
    b"SEARCH",
    b"SUBSCRIBE",
    b"UNSUBSCRIBE",
];

/// TCP ports whose own protocol Wireshark decodes there, even when a
/// scanner sends an HTTP request to them (NetBIOS session, SMB, mail, …).
pub fn port_owned_by_other_protocol(port: u16) -> bool {
    matches!(port, 21 | 22 | 23 | 25 | 88 | 110 | 139 | 143 | 445)
}

/// A parsed request head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    /// `http.request.method`
    pub method: &'a [u8],
    /// `http.request.uri`
    pub uri: &'a [u8],
    /// `http.request.version`
    pub version: &'a [u8],
    /// `http.host`
    pub host: Option<&'a [u8]>,
    /// `http.user_agent`
    pub user_agent: Option<&'a [u8]>,
}

/// True when the payload begins with a known method and a space.
pub fn looks_like_request(b: &[u8]) -> bool {
    METHODS
        .iter()
        .any(|m| b.len() > m.len() && b.starts_with(m) && b[m.len()] == b' ')
}

/// Parses the request line and finds `Host` among the headers present.
pub fn parse_request(b: &[u8]) -> Option<Request<'_>> {
    if !looks_like_request(b) {
        return None;
    }
    let line_end = b.iter().position(|&c| c == b'\n')?;
    let line = b[..line_end].strip_suffix(b"\r").unwrap_or(&b[..line_end]);
    let mut parts = line.splitn(3, |&c| c == b' ');
    let method = parts.next()?;
    let uri = parts.next()?;
    // Wireshark goes by the method alone: an HTTP/0.9 request ("GET /")
    // has no version, and whatever follows the URI is taken as one.
    let version = parts.next().unwrap_or(b"");
    let mut host = None;
    let mut user_agent = None;
    for h in b[line_end + 1..].split(|&c| c == b'\n') {
        let h = h.strip_suffix(b"\r").unwrap_or(h);
        if h.is_empty() {
            break;
        }
        if h.len() > 5 && h[..5].eq_ignore_ascii_case(b"host:") {
            host = Some(trim(&h[5..]));
        } else if h.len() > 11 && h[..11].eq_ignore_ascii_case(b"user-agent:") {
            user_agent = Some(trim(&h[11..]));
        }
    }
    Some(Request {
        method,
        uri,
        version,
        host,
        user_agent,
    })
}

fn trim(b: &[u8]) -> &[u8] {
    let s = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let e = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(s, |e| e + 1);
    &b[s..e]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_line_and_host() {
        let r = parse_request(
            b"GET /index.html HTTP/1.1\r\nUser-Agent: x\r\nHost: example.com\r\n\r\n",
        )
        .unwrap();
        assert_eq!(r.method, b"GET");
        assert_eq!(r.uri, b"/index.html");
        assert_eq!(r.version, b"HTTP/1.1");
        assert_eq!(r.host, Some(&b"example.com"[..]));
        assert!(parse_request(b"GETX / HTTP/1.1\r\n").is_none());
        let simple = parse_request(b"GET /\r\n\r\n").unwrap();
        assert_eq!(
            (simple.method, simple.uri, simple.version),
            (&b"GET"[..], &b"/"[..], &b""[..])
        );
    }
}
