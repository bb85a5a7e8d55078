//! Matching the school names of an attendance-area file to the schools the
//! store holds, when the file has no school ids: names compared after
//! normalization ("Adams ES" is "Adams Elementary School"), an explicit
//! name→id table first, and never a guess: a name that matches no school, or
//! several, is reported with the closest candidates.

use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;

/// A school name reduced to what tells schools apart: no case, accents or
/// punctuation; `ES`/`Elem`/`Elementary` and `School` dropped (elementary is
/// what an unmarked name means), `MS`→middle and `HS`→high kept.
pub fn normalize(name: &str) -> String {
    let plain: String = name
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .filter(|c| !matches!(c, '\'' | '\u{2019}'))
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                ' '
            }
        })
        .collect();
    let words: Vec<&str> = plain
        .split_whitespace()
        .filter_map(|w| match w {
            "es" | "elem" | "elementary" | "school" | "sch" | "schl" | "the" => None,
            "ms" | "mid" => Some("middle"),
            "hs" => Some("high"),
            "intl" => Some("international"),
            "st" => Some("saint"),
            "mt" => Some("mount"),
            w => Some(w),
        })
        .collect();
    words.join(" ")
}

/// What matching one name gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Match {
    /// The school's key (its district id).
    One(String),
    /// Several schools share the normalized name: (key, name) of each.
    Ambiguous(Vec<(String, String)>),
    /// No school; the closest names by spelling.
    Unknown(Vec<String>),
}

/// The schools, ready to be matched by name.
pub struct Names {
    by_name: HashMap<String, Vec<(String, String)>>,
    explicit: HashMap<String, String>,
    all: Vec<(String, String)>,
}

impl Names {
    /// `schools` as (key, name); `explicit` maps a name as written in the
    /// file (compared without case) to a key.
    pub fn new(schools: Vec<(String, String)>, explicit: HashMap<String, String>) -> Self {
        let mut by_name: HashMap<String, Vec<(String, String)>> = HashMap::new();
        for (key, name) in &schools {
            by_name
                .entry(normalize(name))
                .or_default()
                .push((key.clone(), name.clone()));
        }
        Self {
            by_name,
            explicit: explicit
                .into_iter()
                .map(|(k, v)| (k.trim().to_lowercase(), v))
                .collect(),
            all: schools,
        }
    }

    pub fn find(&self, name: &str) -> Match {
        if let Some(key) = self.explicit.get(&name.trim().to_lowercase()) {
            return Match::One(key.clone());
        }
        let n = normalize(name);
        match self.by_name.get(&n).map(Vec::as_slice) {
            Some([(key, _)]) => Match::One(key.clone()),
            Some(several) if !several.is_empty() => Match::Ambiguous(several.to_vec()),
            _ => {
                let mut scored: Vec<(f64, &String)> = self
                    .all
                    .iter()
                    .map(|(_, s)| (strsim::normalized_levenshtein(&n, &normalize(s)), s))
                    .collect();
                scored.sort_by(|a, b| b.0.total_cmp(&a.0));
                Match::Unknown(scored.into_iter().take(3).map(|(_, s)| s.clone()).collect())
            }
        }
    }
}

/// Reads a name→id table: a CSV whose first column is the name as the file
/// writes it and whose second is the school's district id (a header row is
/// skipped when its second cell is not an id of `known`).
pub fn read_map(
    text: &str,
    known: &dyn Fn(&str) -> bool,
) -> Result<HashMap<String, String>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out = HashMap::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("row {}: {e}", i + 1))?;
        let (Some(name), Some(id)) = (record.get(0), record.get(1)) else {
            return Err(format!(
                "row {}: expected two columns, name and school id",
                i + 1
            ));
        };
        let (name, id) = (name.trim(), id.trim());
        if i == 0 && !known(id) {
            continue;
        }
        if !known(id) {
            return Err(format!("row {}: no school has the id {id:?}", i + 1));
        }
        out.insert(name.to_owned(), id.to_owned());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ways_a_school_is_written_are_one_name() {
        for n in [
            "Adams Elementary School",
            "Adams ES",
            "ADAMS ELEMENTARY",
            "Adams Elem.",
            "adams",
        ] {
            assert_eq!(normalize(n), "adams", "{n}");
        }
        assert_eq!(
            normalize("Washington MS"),
            normalize("Washington Middle School")
        );
        assert_ne!(normalize("Washington MS"), normalize("Washington HS"));
        assert_eq!(
            normalize("Beacon Hill Int'l"),
            normalize("Beacon Hill Intl")
        );
        assert_eq!(normalize("Concord Internatiónal"), "concord international");
    }

    #[test]
    fn ambiguous_and_unknown_names_are_not_guessed() {
        let names = Names::new(
            vec![
                ("1".into(), "Adams Elementary".into()),
                ("2".into(), "Lincoln High School".into()),
                ("3".into(), "Lincoln HS".into()),
            ],
            HashMap::from([("Abe's place".into(), "2".into())]),
        );
        assert_eq!(names.find("adams es"), Match::One("1".into()));
        assert!(matches!(names.find("Lincoln High"), Match::Ambiguous(v) if v.len() == 2));
        match names.find("Adems") {
            Match::Unknown(c) => assert_eq!(c[0], "Adams Elementary"),
            other => panic!("{other:?}"),
        }
        assert_eq!(names.find("ABE'S PLACE"), Match::One("2".into()));
    }
}
