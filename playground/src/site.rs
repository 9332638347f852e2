//! The playground's page: one self-contained HTML file (it must open from `file://`, where
//! Chromium refuses to fetch a sibling `.wasm`) holding the module (base64), the bundled
//! scenarios, the lessons, the timeline view of `lab` (its style, script and elements, reused as
//! they are) and the page's own glue.

use crate::lessons::Lesson;
use lab::export::html;
use serde_json::json;

const TEMPLATE: &str = include_str!("../page/index.html");
const CSS: &str = include_str!("../page/playground.css");
const JS: &str = include_str!("../page/playground.js");

/// The scenarios first in the picker: the field report's two tests.
const FIRST: [&str; 2] = ["blog-partition.toml", "blog-kill-master.toml"];

/// The page, from the compiled module, the bundled scenarios (file name, text) and the lessons.
/// Every lesson's scenario must be one of `scenarios`.
pub fn page(
    wasm: &[u8],
    scenarios: &[(String, String)],
    lessons: &[Lesson],
) -> Result<String, String> {
    if let Some(l) = lessons.iter().find(|l| !scenarios.iter().any(|(n, _)| *n == l.scenario)) {
        return Err(format!("lesson \"{}\": no bundled scenario {}", l.title, l.scenario));
    }
    let rank = |name: &str| FIRST.iter().position(|f| *f == name).unwrap_or(FIRST.len());
    let mut sorted: Vec<&(String, String)> = scenarios.iter().collect();
    sorted.sort_by(|a, b| (rank(&a.0), &a.0).cmp(&(rank(&b.0), &b.0)));
    let list: Vec<_> =
        sorted.iter().map(|(name, text)| json!({ "name": name, "text": text })).collect();
    let libraries: Vec<_> = lab::scenario::library_keys()
        .into_iter()
        .map(|(name, keys)| json!({ "name": name, "keys": keys }))
        .collect();
    let data = json!({ "scenarios": list, "lessons": lessons, "libraries": libraries })
        .to_string()
        .replace('<', "\\u003c");
    let fill = [
        ("{{TIMELINE_CSS}}", html::CSS),
        ("{{CSS}}", CSS),
        ("{{TIMELINE_BODY}}", html::BODY),
        ("{{DATA}}", &data),
        ("{{WASM}}", &base64(wasm)),
        ("{{TIMELINE_JS}}", html::JS),
        ("{{JS}}", JS),
    ];
    // Each placeholder is replaced once, in page order, so no inserted text is searched again.
    let mut out = String::with_capacity(TEMPLATE.len() + wasm.len() * 4 / 3 + data.len() + 100_000);
    let mut rest = TEMPLATE;
    for (mark, value) in fill {
        let Some(i) = rest.find(mark) else {
            return Err(format!("playground/page/index.html has no {mark}"));
        };
        out.push_str(&rest[..i]);
        out.push_str(value);
        rest = &rest[i + mark.len()..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Standard base64 with padding (RFC 4648), what `atob` reads.
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_is_rfc_4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(&[0xff, 0xfe]), "//4=");
    }

    #[test]
    fn a_lesson_on_a_missing_scenario_is_refused() {
        let lessons = crate::lessons::lessons().unwrap();
        let e = page(b"", &[], &lessons).unwrap_err();
        assert!(e.contains("no bundled scenario blog-partition.toml"), "{e}");
    }
}
