//! Fuzzing oracles for the parsers of outside input in this crate, shared by the cargo-fuzz targets in `fuzz/`
//! and by `tests/fuzz_seeds`, which replays every committed seed on each `cargo test` (no nightly needed).

use crate::aml::{AmlErrorKind, AmlTransport, parse_https, parse_sms};

/// Feeds arbitrary bytes (as UTF-8) to both AML parsers. Whatever parses survives formatting: through the
/// HTTPS form exactly, through the SMS form up to its precision.
pub fn aml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for fix in [parse_sms(text), parse_https(text)].into_iter().flatten() {
        // The HTTPS form carries every field except the SMS-only network codes, losslessly.
        let mut expected = fix.clone();
        expected.transport = AmlTransport::Https;
        expected.mcc = None;
        expected.mnc = None;
        assert_eq!(parse_https(&fix.to_https()), Ok(expected));
        // The SMS form rounds to five decimals (which can land a point within a metre of 0,0 on the null point)
        // and has no letter for an unknown method; anything else must parse.
        if let Err(e) = parse_sms(&fix.to_sms()) {
            assert_eq!(e.kind, AmlErrorKind::NoLocation, "{e}");
        }
    }
}
