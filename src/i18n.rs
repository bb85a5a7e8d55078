//! The languages assetmap speaks: one message catalog per language, a JSON
//! file under `web/i18n/` shared by the server and the page (adding a
//! language is adding a file), the choice of language from `lang=` or
//! `Accept-Language`, and messages with `{name}` placeholders filled in.
//! A key missing from a catalog falls back to English.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use include_dir::{Dir, include_dir};

static CATALOG_FILES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/web/i18n");

/// The language every catalog falls back to.
pub const DEFAULT: &str = "en";

type Catalog = HashMap<String, String>;

fn catalogs() -> &'static BTreeMap<&'static str, Catalog> {
    static CATALOGS: OnceLock<BTreeMap<&'static str, Catalog>> = OnceLock::new();
    CATALOGS.get_or_init(|| {
        let mut out = BTreeMap::new();
        for f in CATALOG_FILES.files() {
            let Some(code) = f
                .path()
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".json"))
            else {
                continue;
            };
            // A catalog that does not parse is a build defect the tests catch;
            // the service then speaks the others.
            match serde_json::from_slice::<Catalog>(f.contents()) {
                Ok(c) => {
                    out.insert(code, c);
                }
                Err(e) => {
                    tracing::error!(file = code, error = %e, "message catalog does not parse")
                }
            }
        }
        out
    })
}

/// A language with a catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lang(&'static str);

impl Default for Lang {
    fn default() -> Self {
        Lang(DEFAULT)
    }
}

impl Lang {
    /// The language a tag names (`es`, `es-MX`, `ES`), if it has a catalog.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next()?.trim().to_ascii_lowercase();
        catalogs().keys().find(|k| **k == primary).map(|k| Lang(k))
    }

    /// The language of a request: `lang=` when it names a catalog, else the
    /// best of `Accept-Language` that has one, else English.
    pub fn negotiate(param: Option<&str>, accept_language: Option<&str>) -> Lang {
        if let Some(l) = param.and_then(Lang::from_tag) {
            return l;
        }
        let mut best: Option<(f32, Lang)> = None;
        for part in accept_language.unwrap_or("").split(',') {
            let mut bits = part.split(';');
            let tag = bits.next().unwrap_or("").trim();
            let q = bits
                .find_map(|b| b.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(l) = Lang::from_tag(tag)
                && q > 0.0
                && best.is_none_or(|(bq, _)| q > bq)
            {
                best = Some((q, l));
            }
        }
        best.map(|(_, l)| l).unwrap_or_default()
    }

    /// The BCP 47 code (`en`, `es`).
    pub fn code(self) -> &'static str {
        self.0
    }

    /// Every language with a catalog.
    pub fn all() -> Vec<Lang> {
        catalogs().keys().map(|k| Lang(k)).collect()
    }

    /// A message, falling back to English, then to the key itself.
    pub fn t(self, key: &str) -> &'static str {
        let cats = catalogs();
        cats.get(self.0)
            .and_then(|c| c.get(key))
            .or_else(|| cats.get(DEFAULT).and_then(|c| c.get(key)))
            .map(String::as_str)
            .unwrap_or_else(|| {
                // Keys are static strings of the code; an unknown one is a defect.
                tracing::warn!(key, "no message for key");
                ""
            })
    }

    /// Whether this language's own catalog has the key (not the fallback).
    pub fn has(self, key: &str) -> bool {
        catalogs().get(self.0).is_some_and(|c| c.contains_key(key))
    }

    /// A message with `{name}` placeholders filled in.
    pub fn f(self, key: &str, args: &[(&str, &str)]) -> String {
        let mut s = self.t(key).to_owned();
        for (name, value) in args {
            s = s.replace(&format!("{{{name}}}"), value);
        }
        s
    }

    /// A problem's words for one field (`detail.<English words>` in the
    /// catalogs), fixed ones and those with values in them: a key such as
    /// `detail.at most {n} characters` matches "at most 200 characters" and
    /// fills its translation with the same values. `None` when no key matches.
    pub fn detail(self, english: &str) -> Option<String> {
        let en = catalogs().get(DEFAULT)?;
        let fixed = format!("detail.{english}");
        if en.contains_key(&fixed) {
            return Some(self.t(&fixed).to_owned());
        }
        en.keys()
            .filter_map(|k| k.strip_prefix("detail."))
            .filter(|template| template.contains('{'))
            .find_map(|template| {
                let values = fill_back(template, english)?;
                let key = format!("detail.{template}");
                let args: Vec<(&str, &str)> = values
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.as_str()))
                    .collect();
                Some(self.f(&key, &args))
            })
    }

    /// The weekday names, Monday first, short.
    pub fn weekdays(self) -> [&'static str; 7] {
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map(|d| self.t(&format!("day.{d}")))
    }

    /// A number with `decimals` places and this language's decimal mark.
    pub fn number(self, v: f64, decimals: usize) -> String {
        let s = format!("{v:.decimals$}");
        match self.t("number.decimal") {
            "." | "" => s,
            mark => s.replace('.', mark),
        }
    }

    /// Distance for people: metres under 1 km, else km with one decimal.
    pub fn distance(self, m: f64) -> String {
        if m < 1000.0 {
            format!("{} m", self.number(m, 0))
        } else {
            format!("{} km", self.number(m / 1000.0, 1))
        }
    }

    /// A taxonomy category's label (`category.<id>`), or `fallback`.
    pub fn category(self, id: &str, fallback: &'static str) -> &'static str {
        let key = format!("category.{id}");
        if self.has(&key) || Lang(DEFAULT).has(&key) {
            self.t(&key)
        } else {
            fallback
        }
    }
}

/// The values a template's `{name}` placeholders take in `text`, if the text
/// is the template filled in (each value is the shortest that lets the rest match).
fn fill_back(template: &str, text: &str) -> Option<Vec<(String, String)>> {
    let mut names = Vec::new();
    let mut literals = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let close = open + rest[open..].find('}')?;
        literals.push(&rest[..open]);
        names.push(rest[open + 1..close].to_owned());
        rest = &rest[close + 1..];
    }
    literals.push(rest);
    let mut text = text.strip_prefix(literals[0])?;
    let mut values = Vec::new();
    for (i, name) in names.into_iter().enumerate() {
        let next = literals[i + 1];
        let at = if next.is_empty() {
            if i + 2 == literals.len() {
                text.len()
            } else {
                return None;
            }
        } else {
            text.find(next)?
        };
        values.push((name, text[..at].to_owned()));
        text = &text[at..];
        text = text.strip_prefix(next)?;
    }
    text.is_empty().then_some(values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::taxonomy::CATEGORIES;

    #[test]
    fn negotiation() {
        assert_eq!(Lang::negotiate(Some("es"), None).code(), "es");
        assert_eq!(Lang::negotiate(Some("ES-mx"), Some("en")).code(), "es");
        assert_eq!(
            Lang::negotiate(Some("xx"), Some("es;q=0.5, de")).code(),
            "es"
        );
        assert_eq!(
            Lang::negotiate(None, Some("de-DE, es;q=0.8, en;q=0.9")).code(),
            "en"
        );
        assert_eq!(Lang::negotiate(None, Some("de, fr;q=0.3")).code(), "en");
        assert_eq!(Lang::negotiate(None, Some("es;q=0")).code(), "en");
        assert_eq!(Lang::negotiate(None, None).code(), "en");
    }

    /// Every catalog parses and has every key English has, so no page or
    /// answer shows English in the middle of another language.
    #[test]
    fn every_catalog_is_complete() {
        let cats = catalogs();
        assert!(cats.len() >= 2, "English and Spanish at least");
        let en = &cats["en"];
        for (code, c) in cats {
            let missing: Vec<&String> = en.keys().filter(|k| !c.contains_key(*k)).collect();
            assert!(missing.is_empty(), "{code} lacks {missing:?}");
            let extra: Vec<&String> = c.keys().filter(|k| !en.contains_key(*k)).collect();
            assert!(extra.is_empty(), "{code} has keys English lacks: {extra:?}");
            for (k, v) in c {
                assert!(!v.trim().is_empty(), "{code}: {k} is empty");
            }
        }
        for cat in CATEGORIES {
            assert!(
                en.contains_key(&format!("category.{}", cat.id)),
                "{}",
                cat.id
            );
        }
    }

    #[test]
    fn details_with_values_are_translated() {
        let es = Lang::from_tag("es").expect("es");
        assert_eq!(
            es.detail("at most 200 characters").as_deref(),
            Some("como máximo 200 caracteres")
        );
        assert_eq!(
            es.detail("\"2024-25\" is not a school year like 2020-2021")
                .as_deref(),
            Some("\"2024-25\" no es un año escolar como 2020-2021")
        );
        assert_eq!(
            es.detail("must be a string").as_deref(),
            Some("debe ser un texto")
        );
        assert_eq!(es.detail("words nobody wrote"), None);
        assert_eq!(
            Lang::default().detail("at most 7 characters").as_deref(),
            Some("at most 7 characters")
        );
    }

    #[test]
    fn numbers_and_distances_follow_the_language() {
        let es = Lang::from_tag("es").expect("es");
        assert_eq!(es.distance(2345.0), "2,3 km");
        assert_eq!(Lang::default().distance(2345.0), "2.3 km");
        assert_eq!(es.distance(640.4), "640 m");
        assert_eq!(
            es.f(
                "gap.none_within",
                &[("what", "x"), ("area", "y"), ("distance", "2,3 km")]
            ),
            "Sin x en y; lo más cercano está a 2,3 km."
        );
    }
}
