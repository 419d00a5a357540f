//! Any text as a display filter: parsing, checking and printing the tree
//! must never panic, and a printed tree must parse back to the same tree.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Err(e) = wirehunt_filter::Filter::new(text) {
        let _ = e.to_string();
    }
    if let Ok(tree) = wirehunt_filter::parse(text) {
        let printed = tree.to_string();
        let again = wirehunt_filter::parse(&printed).expect("a printed tree parses");
        assert_eq!(tree.without_positions(), again.without_positions(), "{printed}");
    }
});
