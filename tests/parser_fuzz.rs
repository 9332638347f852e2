//! The scenario parser never panics: not on arbitrary bytes, not on mutations of the bundled
//! scenarios. Every refusal carries a position inside the file, and every scenario it accepts can
//! draw a seed's fault schedule.

mod common;

use lab::scenario::Scenario;
use proptest::prelude::*;

fn bundled() -> Vec<String> {
    common::bundled_scenarios().iter().map(|p| std::fs::read_to_string(p).unwrap()).collect()
}

fn check(text: &str) {
    match Scenario::parse("fuzz.toml", text) {
        Err(e) => {
            let lines = text.lines().count().max(1) + 1;
            assert!(e.line <= lines, "{e}");
            assert!(!e.message.is_empty());
        }
        // A scenario that parses can be seeded: drawing from its [explore] space never panics.
        Ok(s) => drop(s.for_seed(7)),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        check(&text);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        check(&String::from_utf8_lossy(&bytes));
    }

    /// Replace a slice of a bundled scenario with random text, or drop it, or repeat it.
    #[test]
    fn mutated_scenarios_never_panic(
        which in 0usize..64,
        at in 0.0f64..1.0,
        len in 0usize..40,
        junk in "[-a-z0-9 =\\[\\]{}\",.:_#\n]{0,30}",
        mode in 0u8..3,
    ) {
        let files = bundled();
        let text = &files[which % files.len()];
        let mut start = (at * text.len() as f64) as usize;
        while !text.is_char_boundary(start) { start -= 1; }
        let mut end = (start + len).min(text.len());
        while !text.is_char_boundary(end) { end -= 1; }
        let mutated = match mode {
            0 => format!("{}{}{}", &text[..start], junk, &text[end..]),
            1 => format!("{}{}", &text[..start], &text[end..]),
            _ => format!("{}{}{}", &text[..end], &text[start..end], &text[end..]),
        };
        check(&mutated);
    }
}
