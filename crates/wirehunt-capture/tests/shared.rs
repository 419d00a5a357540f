//! A frame located in a shared (mapped) capture comes back whole from its
//! location, as a split pass hands frames between threads.

use wirehunt_capture::{LinkType, PcapWriter, SharedCapture};

#[test]
fn located_frames_come_back_the_same() {
    let mut w = PcapWriter::new(LinkType::ETHERNET);
    for i in 0..50u8 {
        let len = 14 + usize::from(i) * 7;
        let data: Vec<u8> = (0..len).map(|k| (k as u8).wrapping_mul(i)).collect();
        w.frame(u64::from(i) * 1_000, &data);
    }
    let path = std::env::temp_dir().join(format!("wirehunt-shared-{}.pcap", std::process::id()));
    std::fs::write(&path, w.into_bytes()).unwrap();
    let shared = SharedCapture::open(&path)
        .unwrap()
        .expect("a regular file is mapped");
    let mut reader = shared.reader().unwrap();
    let mut seen = 0;
    while let Some(f) = reader.next_frame().unwrap() {
        let at = shared.locate(&f).expect("a frame of the map");
        assert_eq!(shared.data(&at), f.data);
        let back = shared.frame(&at, &[]);
        assert_eq!(
            (
                back.number,
                back.ts_ns,
                back.orig_len,
                back.link_type,
                back.offset,
                back.data
            ),
            (f.number, f.ts_ns, f.orig_len, f.link_type, f.offset, f.data)
        );
        // The bytes are the map's own, not a copy.
        assert_eq!(back.data.as_ptr(), f.data.as_ptr());
        seen += 1;
    }
    assert_eq!(seen, 50);
    // A frame whose bytes are elsewhere has no place in the map.
    let mut other =
        wirehunt_capture::CaptureReader::from_bytes(std::fs::read(&path).unwrap()).unwrap();
    let f = other.next_frame().unwrap().unwrap();
    assert!(shared.locate(&f).is_none());
    std::fs::remove_file(&path).unwrap();
}
