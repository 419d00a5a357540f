//! HTTP/1.x: request line, `Host` and `User-Agent`, status line, and where
//! a message ends (RFC 9112), as Wireshark's HTTP dissector finds it.

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
/// scanner sends an HTTP request to them (NetBIOS session, SMB, mail, IRC,
/// …).
pub fn port_owned_by_other_protocol(port: u16) -> bool {
    matches!(port, 21 | 22 | 23 | 25 | 88 | 110 | 139 | 143 | 445 | 6667)
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

/// True when the payload begins a status line (`HTTP/`), as Wireshark
/// recognises a response.
pub fn looks_like_response(b: &[u8]) -> bool {
    b.len() > 5 && b.starts_with(b"HTTP/")
}

/// A parsed status line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Response<'a> {
    /// `http.response.version`
    pub version: &'a [u8],
    /// `http.response.code`, when the status is three digits.
    pub code: Option<u16>,
    /// `http.response.phrase`
    pub phrase: &'a [u8],
}

/// Parses the status line of a response.
pub fn parse_response(b: &[u8]) -> Option<Response<'_>> {
    if !looks_like_response(b) {
        return None;
    }
    let line = first_line(b);
    let mut parts = line.splitn(3, |&c| c == b' ');
    let version = parts.next()?;
    let status = parts.next().unwrap_or(b"");
    let code = (status.len() == 3 && status.iter().all(u8::is_ascii_digit)).then(|| {
        status
            .iter()
            .fold(0u16, |n, d| n * 10 + u16::from(d - b'0'))
    });
    Some(Response {
        version,
        code,
        phrase: parts.next().unwrap_or(b""),
    })
}

/// The first line of `b` without its terminator.
fn first_line(b: &[u8]) -> &[u8] {
    let end = b
        .iter()
        .position(|&c| c == b'\r' || c == b'\n')
        .unwrap_or(b.len());
    &b[..end]
}

/// The line starting at `at`: its length and where the next one starts.
/// A line ends in CR LF, LF or CR; `None` when no end is in `b` yet (a CR
/// at the very end might still be followed by its LF).
fn line_at(b: &[u8], at: usize) -> Option<(usize, usize)> {
    let rest = b.get(at..)?;
    let i = rest.iter().position(|&c| c == b'\r' || c == b'\n')?;
    if rest[i] == b'\n' {
        return Some((i, at + i + 1));
    }
    match rest.get(i + 1) {
        Some(b'\n') => Some((i, at + i + 2)),
        Some(_) => Some((i, at + i + 1)),
        None => None,
    }
}

/// Where an HTTP message that begins a TCP stream's data ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extent {
    /// The message is this many bytes long (more than `b` holds when its
    /// `Content-Length` body has not all arrived).
    Complete(usize),
    /// More bytes are needed to know.
    More,
    /// A response body with neither a length nor chunks: it runs until
    /// the server closes the connection.
    UntilFin,
}

/// How far the message at the start of `b` runs, with Wireshark's default
/// preferences (headers and bodies reassembled): the headers end at an
/// empty line; then `Content-Length` bytes, or chunks up to the last one,
/// or for a response with neither, everything up to the FIN. `body` is
/// false where no body can follow (a response to HEAD, a 1xx, 204 or 304).
pub fn message_extent(b: &[u8], body: bool) -> Extent {
    let response = looks_like_response(b);
    let mut at = 0;
    let mut content_length = None;
    let mut chunked = false;
    loop {
        let Some((len, next)) = line_at(b, at) else {
            return Extent::More;
        };
        let line = &b[at..at + len];
        at = next;
        if len == 0 {
            break;
        }
        if line.len() >= 15 && line[..15].eq_ignore_ascii_case(b"content-length:") {
            // A value that is not a whole non-negative 32-bit number is
            // ignored, as Wireshark's ws_strtoi32 does.
            content_length = std::str::from_utf8(trim(&line[15..]))
                .ok()
                .and_then(|v| v.parse::<i32>().ok())
                .and_then(|v| usize::try_from(v).ok())
                .or(content_length);
        } else if line.len() >= 18 && line[..18].eq_ignore_ascii_case(b"transfer-encoding:") {
            let v = &line[18..];
            let v = &v[v.iter().take_while(|c| matches!(c, b' ' | b'\t')).count()..];
            chunked |= v.len() >= 7 && v[..7].eq_ignore_ascii_case(b"chunked");
        }
    }
    if !body {
        return Extent::Complete(at);
    }
    if chunked {
        return chunks_end(b, at);
    }
    match content_length {
        Some(n) => Extent::Complete(at.saturating_add(n)),
        None if response => Extent::UntilFin,
        None => Extent::Complete(at),
    }
}

/// Where the chunked body starting at `at` ends (after the last chunk's
/// line and the empty line that follows it).
fn chunks_end(b: &[u8], mut at: usize) -> Extent {
    loop {
        let Some((len, next)) = line_at(b, at) else {
            return Extent::More;
        };
        let line = &b[at..at + len];
        let line = line.split(|&c| c == b';').next().unwrap_or(line);
        let Some(size) = chunk_size(line) else {
            // Wireshark stops looking; the message is what there is.
            return Extent::Complete(b.len());
        };
        if size == 0 {
            return match line_at(b, next) {
                Some((_, end)) => Extent::Complete(end),
                None => Extent::More,
            };
        }
        // As Wireshark: the chunk counts as present when more than its size
        // remains from the start of its size line.
        if b.len() - at > size {
            at = next + size + 2;
        } else {
            return Extent::More;
        }
    }
}

/// A chunk size as `sscanf("%x")` reads it: leading white space, an
/// optional 0x, then hex digits; `None` without a digit or past 2^31.
fn chunk_size(line: &[u8]) -> Option<usize> {
    let mut s = trim_start(line);
    if s.len() > 2 && (s.starts_with(b"0x") || s.starts_with(b"0X")) && s[2].is_ascii_hexdigit() {
        s = &s[2..];
    }
    let digits = s.iter().take_while(|c| c.is_ascii_hexdigit()).count();
    if digits == 0 {
        return None;
    }
    let mut n: u64 = 0;
    for &d in &s[..digits] {
        n = n.saturating_mul(16) + u64::from((d as char).to_digit(16)?);
        if n > 1 << 31 {
            return None;
        }
    }
    usize::try_from(n).ok()
}

fn trim_start(b: &[u8]) -> &[u8] {
    &b[b.iter().take_while(|c| c.is_ascii_whitespace()).count()..]
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
    fn status_line() {
        let r = parse_response(b"HTTP/1.1 304 Not Modified\r\nAge: 0\r\n\r\n").unwrap();
        assert_eq!(r.version, b"HTTP/1.1");
        assert_eq!(r.code, Some(304));
        assert_eq!(r.phrase, b"Not Modified");
        assert_eq!(parse_response(b"HTTP/1.0 2x0 odd\n").unwrap().code, None);
        assert!(parse_response(b"HTTX/1.1 200 OK\r\n").is_none());
    }

    #[test]
    fn where_a_message_ends() {
        use Extent::*;
        let get = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";
        assert_eq!(message_extent(get, true), Complete(get.len()));
        assert_eq!(message_extent(&get[..get.len() - 1], true), More);
        let post = b"POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nabcde";
        assert_eq!(message_extent(post, true), Complete(post.len()));
        assert_eq!(
            message_extent(&post[..post.len() - 1], true),
            Complete(post.len())
        );
        // Bare LF line ends count too.
        assert_eq!(
            message_extent(b"HTTP/1.0 200 OK\nContent-Length: 0\n\nX", true),
            Complete(35)
        );
        // A response with neither length nor chunks runs to the FIN, unless
        // it cannot have a body.
        let ok = b"HTTP/1.1 200 OK\r\nServer: x\r\n\r\nbody";
        assert_eq!(message_extent(ok, true), UntilFin);
        assert_eq!(message_extent(ok, false), Complete(ok.len() - 4));
        let chunked =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n0\r\n\r\n";
        assert_eq!(message_extent(chunked, true), Complete(chunked.len()));
        assert_eq!(message_extent(&chunked[..chunked.len() - 2], true), More);
        assert_eq!(message_extent(&chunked[..chunked.len() - 9], true), More);
        // An unreadable chunk size ends the search with what is there.
        let bad = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
        assert_eq!(message_extent(bad, true), Complete(bad.len()));
        assert_eq!(chunk_size(b" 0x1A"), Some(26));
        assert_eq!(chunk_size(b"fffffffff"), None);
    }

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
