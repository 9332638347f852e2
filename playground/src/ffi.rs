//! The module's C ABI, as the page's hand-written glue calls it (no wasm-bindgen: four functions
//! over bytes need no generated bindings, and the build stays one `cargo build`):
//!
//! - `pg_alloc(len) -> ptr` and `pg_free(ptr, len)`: buffers the page writes its strings into;
//! - `pg_run(name, name_len, text, text_len, seed, has_seed) -> ptr`: [`crate::run::run`]; the
//!   result at `ptr` is a 4-byte little-endian length then that many bytes of UTF-8 JSON, freed
//!   with `pg_free(ptr, 4 + length)`;
//! - `pg_last_panic() -> ptr`: after a call trapped (a panic aborts on this target), the panic's
//!   message in the same length-prefixed form, so the page shows it and loads a fresh instance;
//! - `pg_panic()`: panics on purpose, so the browser check sees the page survive one.

use std::sync::{Mutex, Once};

/// The message of the last panic, written by the hook before the module traps.
static LAST_PANIC: Mutex<String> = Mutex::new(String::new());
static HOOK: Once = Once::new();

fn install_hook() {
    HOOK.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            if let Ok(mut last) = LAST_PANIC.lock() {
                *last = info.to_string();
            }
        }))
    });
}

/// A buffer of `len` bytes for the page to fill.
#[unsafe(no_mangle)]
pub extern "C" fn pg_alloc(len: usize) -> *mut u8 {
    let mut v = Vec::<u8>::with_capacity(len);
    let p = v.as_mut_ptr();
    std::mem::forget(v);
    p
}

/// Frees a buffer of `len` bytes from [`pg_alloc`] or a result of [`pg_run`].
///
/// # Safety
/// `ptr` and `len` are exactly what `pg_alloc` returned and was given (or a result's pointer and
/// `4 + length`), freed once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_free(ptr: *mut u8, len: usize) {
    // SAFETY: the caller hands back a buffer of capacity `len` this module allocated.
    drop(unsafe { Vec::from_raw_parts(ptr, 0, len) });
}

/// `s` as a length-prefixed buffer the page reads and frees.
fn leak(s: &str) -> *mut u8 {
    let mut v = Vec::with_capacity(4 + s.len());
    v.extend_from_slice(&(s.len() as u32).to_le_bytes());
    v.extend_from_slice(s.as_bytes());
    let mut v = std::mem::ManuallyDrop::new(v.into_boxed_slice());
    v.as_mut_ptr()
}

/// The text of a buffer the page wrote (invalid UTF-8 replaced, never a panic).
///
/// # Safety
/// `ptr` points to `len` initialised bytes.
unsafe fn text(ptr: *const u8, len: usize) -> String {
    // SAFETY: as the caller promises.
    String::from_utf8_lossy(unsafe { std::slice::from_raw_parts(ptr, len) }).into_owned()
}

/// Runs a scenario; see the module's documentation for the buffers.
///
/// # Safety
/// `name` and `text` point to `name_len` and `text_len` bytes the page wrote.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_run(
    name: *const u8,
    name_len: usize,
    scenario: *const u8,
    scenario_len: usize,
    seed: u64,
    has_seed: u32,
) -> *mut u8 {
    install_hook();
    // SAFETY: as the caller promises.
    let (name, scenario) = unsafe { (text(name, name_len), text(scenario, scenario_len)) };
    leak(&crate::run::run(&name, &scenario, (has_seed != 0).then_some(seed)))
}

/// The last panic's message (empty when none).
#[unsafe(no_mangle)]
pub extern "C" fn pg_last_panic() -> *mut u8 {
    let last = LAST_PANIC.lock().map(|m| m.clone()).unwrap_or_default();
    leak(&last)
}

/// Panics: the browser check's way to see that a panic leaves the page working.
#[unsafe(no_mangle)]
pub extern "C" fn pg_panic() {
    install_hook();
    panic!("pg_panic: a panic asked for by the page's check");
}
