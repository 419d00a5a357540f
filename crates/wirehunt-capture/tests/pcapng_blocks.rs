//! pcapng block handling on hand-built files: custom blocks are numbered as
//! frames (as Wireshark numbers them) without a time or an interface, and
//! do not count as packets of any interface.

use wirehunt_capture::{CaptureReader, CustomBlock, LinkType};

/// One block: type, body, padded to 4 bytes, with both length fields.
fn block(out: &mut Vec<u8>, kind: u32, body: &[u8], be: bool) {
    let padded = body.len().next_multiple_of(4);
    let total = (12 + padded) as u32;
    let w = |v: u32| if be { v.to_be_bytes() } else { v.to_le_bytes() };
    out.extend_from_slice(&w(kind));
    out.extend_from_slice(&w(total));
    out.extend_from_slice(body);
    out.resize(out.len() + padded - body.len(), 0);
    out.extend_from_slice(&w(total));
}

fn section(be: bool) -> Vec<u8> {
    let w = |v: u32| if be { v.to_be_bytes() } else { v.to_le_bytes() };
    let h = |v: u16| if be { v.to_be_bytes() } else { v.to_le_bytes() };
    let mut f = Vec::new();
    // SHB: byte-order magic, version 1.0, unknown section length.
    let mut shb = w(0x1a2b_3c4d).to_vec();
    shb.extend_from_slice(&h(1));
    shb.extend_from_slice(&h(0));
    shb.extend_from_slice(&[0xff; 8]);
    block(&mut f, 0x0a0d_0d0a, &shb, be);
    // IDB: Ethernet, snaplen 0.
    let mut idb = h(1).to_vec();
    idb.extend_from_slice(&[0, 0]);
    idb.extend_from_slice(&w(0));
    block(&mut f, 1, &idb, be);
    // Custom block that may be copied: PEN 32473, 5 bytes of data.
    let mut cb = w(32473).to_vec();
    cb.extend_from_slice(b"hello");
    block(&mut f, 0x0000_0bad, &cb, be);
    // EPB: interface 0, time 1 s, 4 bytes.
    let mut epb = w(0).to_vec();
    epb.extend_from_slice(&w(0));
    epb.extend_from_slice(&w(1_000_000));
    epb.extend_from_slice(&w(4));
    epb.extend_from_slice(&w(60));
    epb.extend_from_slice(&[1, 2, 3, 4]);
    block(&mut f, 6, &epb, be);
    // Custom block not to be copied, another owner.
    let mut cb = w(36724).to_vec();
    cb.extend_from_slice(&[9; 8]);
    block(&mut f, 0x4000_0bad, &cb, be);
    f
}

#[test]
fn custom_blocks_are_frames_without_time_or_interface() {
    for be in [false, true] {
        let mut r = CaptureReader::from_bytes(section(be)).unwrap();
        let mut seen = Vec::new();
        while let Some(f) = r.next_frame().unwrap() {
            seen.push((
                f.number,
                f.custom,
                f.has_ts,
                f.link_type,
                f.data.to_vec(),
                f.orig_len,
            ));
        }
        // The padding to 4 bytes belongs to the block's body, as in tshark
        // (which shows data and options together).
        let hello = b"hello\0\0\0".to_vec();
        assert_eq!(
            seen,
            vec![
                (
                    1,
                    Some(CustomBlock {
                        pen: 32473,
                        copy: true
                    }),
                    false,
                    LinkType::PCAPNG_BLOCK,
                    hello,
                    8
                ),
                (2, None, true, LinkType::ETHERNET, vec![1, 2, 3, 4], 60),
                (
                    3,
                    Some(CustomBlock {
                        pen: 36724,
                        copy: false
                    }),
                    false,
                    LinkType::PCAPNG_BLOCK,
                    vec![9; 8],
                    8
                ),
            ],
            "big endian: {be}"
        );
        assert_eq!(r.info().interfaces[0].packets, 1, "big endian: {be}");
    }
}
