//! The text rules of request bodies as regular expressions: one pattern is
//! both what the server checks and what `/api` documents, so the two cannot
//! disagree. Each pattern is written in the common subset of ECMA-262, Python
//! and the `regex` crate, and holds for the value as sent (surrounding
//! white space allowed: the server trims it).

use std::sync::LazyLock;

use regex::Regex;

/// White space as Rust's `str::trim` removes it (Unicode `White_Space`).
macro_rules! ws {
    () => {
        r"\t\n\u000b\u000c\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
    };
}
/// Control characters (`char::is_control`: Unicode `Cc`).
macro_rules! ctrl {
    () => {
        r"\u0000-\u001f\u007f-\u009f"
    };
}
/// One character of plain text: no control character, no `<` or `>`.
macro_rules! plain_char {
    () => {
        concat!("[^", ctrl!(), "<>]")
    };
}
/// A character of plain text that is not white space (a first or last one).
macro_rules! plain_edge {
    () => {
        concat!("[^", ctrl!(), ws!(), "<>]")
    };
}

/// Plain text that must say something: a name.
pub const PLAIN_REQUIRED: &str = concat!(
    "^[",
    ws!(),
    "]*",
    plain_edge!(),
    "(",
    plain_char!(),
    "*",
    plain_edge!(),
    ")?[",
    ws!(),
    "]*$"
);

/// Plain text that may be empty (empty means none).
pub const PLAIN_OPTIONAL: &str = concat!(
    "^[",
    ws!(),
    "]*(",
    plain_edge!(),
    "(",
    plain_char!(),
    "*",
    plain_edge!(),
    ")?[",
    ws!(),
    "]*)?$"
);

/// Free text that may be empty (empty means none): no control characters
/// but new lines and tabs inside.
pub const TEXT_OPTIONAL: &str = concat!(
    "^[",
    ws!(),
    "]*([^",
    ctrl!(),
    ws!(),
    r"]([^\u0000-\u0008\u000b-\u001f\u007f-\u009f]*[^",
    ctrl!(),
    ws!(),
    "])?[",
    ws!(),
    "]*)?$"
);

/// A phone number: 7 to 20 digits, with `+ - ( ) .`, spaces and `ext`; empty is none.
pub const PHONE: &str = concat!(
    "^[",
    ws!(),
    "]*([ +().extEXT-]*([0-9][ +().extEXT-]*){7,20})?[",
    ws!(),
    "]*$"
);

/// An e-mail address: something, `@`, a domain with a dot inside; required.
pub const EMAIL_REQUIRED: &str = concat!(
    "^[",
    ws!(),
    "]*[^@<>",
    ctrl!(),
    ws!(),
    "]+@[^@.<>",
    ctrl!(),
    ws!(),
    "][^@<>",
    ctrl!(),
    ws!(),
    "]*\\.[^@<>",
    ctrl!(),
    ws!(),
    "]*[^@.<>",
    ctrl!(),
    ws!(),
    "][",
    ws!(),
    "]*$"
);

/// An http(s) URL with a domain name (letters, digits, inner hyphens; a last
/// label that starts with a letter), an optional port and a path; empty is none.
pub const WEBSITE: &str = concat!(
    "^[",
    ws!(),
    "]*([hH][tT][tT][pP][sS]?://",
    "([A-Za-z0-9]+(-[A-Za-z0-9]+)*\\.)+[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*",
    "(:[0-9]{1,4})?([/?#][^",
    ctrl!(),
    ws!(),
    "<>]*)?)?[",
    ws!(),
    "]*$"
);

fn compiled(pattern: &str) -> Regex {
    Regex::new(pattern).expect("the patterns are valid")
}

static PLAIN_REQUIRED_RE: LazyLock<Regex> = LazyLock::new(|| compiled(PLAIN_REQUIRED));
static PLAIN_OPTIONAL_RE: LazyLock<Regex> = LazyLock::new(|| compiled(PLAIN_OPTIONAL));
static PHONE_RE: LazyLock<Regex> = LazyLock::new(|| compiled(PHONE));
static EMAIL_RE: LazyLock<Regex> = LazyLock::new(|| compiled(EMAIL_REQUIRED));
static WEBSITE_RE: LazyLock<Regex> = LazyLock::new(|| compiled(WEBSITE));

pub fn plain_required(s: &str) -> bool {
    PLAIN_REQUIRED_RE.is_match(s)
}
pub fn plain_optional(s: &str) -> bool {
    PLAIN_OPTIONAL_RE.is_match(s)
}
pub fn phone(s: &str) -> bool {
    PHONE_RE.is_match(s)
}
pub fn email(s: &str) -> bool {
    EMAIL_RE.is_match(s)
}
pub fn website(s: &str) -> bool {
    WEBSITE_RE.is_match(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_patterns_say_what_the_rules_say() {
        assert!(plain_required("  Rainier Beach Library "));
        assert!(!plain_required("   "));
        assert!(!plain_required("a<b"));
        assert!(!plain_required("a\u{0}b"));
        assert!(!plain_required("a\tb"));
        assert!(plain_optional(""));
        assert!(plain_optional(" \t"));
        assert!(!plain_optional("x\u{7f}"));
        assert!(phone("(206) 555-0100"));
        assert!(phone("+1 206 555 0100 ext. 4"));
        assert!(phone(""));
        assert!(!phone("555-01"));
        assert!(!phone("call me"));
        assert!(email(" family@example.org "));
        assert!(!email("family@example"));
        assert!(!email("family@.org"));
        assert!(!email("a b@example.org"));
        assert!(!email(""));
        assert!(website("https://www.spl.org/hours?x=1"));
        assert!(website("http://example.com:8080"));
        assert!(website(""));
        assert!(!website("javascript:alert(1)"));
        assert!(!website("http://localhost"));
        assert!(!website("http://xn--zz.org"));
        assert!(!website("http://1.2.3.4"));
    }

    #[test]
    fn every_url_the_pattern_takes_parses() {
        for u in [
            "https://a.b",
            "http://a-b.c-d.e9/p?q#f",
            "HTTP://A.B:1/",
            "https://0.a",
        ] {
            assert!(website(u), "{u}");
            assert!(url::Url::parse(u.trim()).is_ok(), "{u}");
        }
    }
}
