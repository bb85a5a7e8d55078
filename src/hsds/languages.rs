//! Language names as directories write them, to ISO 639-1 codes.

/// ISO 639-1 codes for the language names directories use most.
pub(super) const LANGUAGES: &[(&str, &str)] = &[
    ("english", "en"),
    ("spanish", "es"),
    ("chinese", "zh"),
    ("mandarin", "zh"),
    ("cantonese", "zh"),
    ("tagalog", "tl"),
    ("filipino", "tl"),
    ("vietnamese", "vi"),
    ("korean", "ko"),
    ("russian", "ru"),
    ("arabic", "ar"),
    ("french", "fr"),
    ("german", "de"),
    ("italian", "it"),
    ("portuguese", "pt"),
    ("japanese", "ja"),
    ("hindi", "hi"),
    ("urdu", "ur"),
    ("punjabi", "pa"),
    ("somali", "so"),
    ("amharic", "am"),
    ("tigrinya", "ti"),
    ("oromo", "om"),
    ("farsi", "fa"),
    ("persian", "fa"),
    ("ukrainian", "uk"),
    ("polish", "pl"),
    ("khmer", "km"),
    ("lao", "lo"),
    ("thai", "th"),
    ("hmong", "hmn"),
    ("samoan", "sm"),
    ("tongan", "to"),
    ("swahili", "sw"),
    ("haitian creole", "ht"),
    ("bengali", "bn"),
    ("gujarati", "gu"),
    ("nepali", "ne"),
    ("turkish", "tr"),
    ("hebrew", "he"),
    ("greek", "el"),
    ("romanian", "ro"),
    ("dari", "fa"),
    ("pashto", "ps"),
    ("burmese", "my"),
];

/// A language code from a code or a name ("Spanish", "Chinese (Mandarin)", "es", "eng").
pub(super) fn language_code(raw: &str) -> Option<String> {
    let t = raw.trim().to_lowercase();
    if t.len() == 2 && t.chars().all(|c| c.is_ascii_lowercase()) {
        return Some(t);
    }
    let head = t.split(['(', ',']).next().unwrap_or("").trim().to_owned();
    LANGUAGES
        .iter()
        .find(|(name, _)| *name == head || *name == t)
        .map(|(_, code)| (*code).to_owned())
        .filter(|c| c.len() == 2)
}

/// The English name of an ISO 639-1 code, when the table above has it.
pub(super) fn name_of(code: &str) -> Option<String> {
    let (name, _) = LANGUAGES.iter().find(|(_, c)| *c == code)?;
    let mut chars = name.chars();
    let first = chars.next()?;
    Some(first.to_uppercase().chain(chars).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_names_become_codes() {
        assert_eq!(language_code("Spanish").as_deref(), Some("es"));
        assert_eq!(language_code("Chinese (Mandarin)").as_deref(), Some("zh"));
        assert_eq!(language_code("es").as_deref(), Some("es"));
        assert_eq!(language_code("Klingon"), None);
    }
}
