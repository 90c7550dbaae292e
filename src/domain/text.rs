//! Bilingual text. dxready speaks Vietnamese first and English second; every string a person
//! reads carries both, so a missing translation is a load error, not a blank on the page.

use serde::{Deserialize, Serialize};

/// The two languages of the service. Vietnamese is the default everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// Parses a language code; anything unknown falls back to `None` so callers pick the default.
    pub fn parse(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "vi" | "vi-vn" => Some(Lang::Vi),
            "en" | "en-us" | "en-gb" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Vi => Lang::En,
            Lang::En => Lang::Vi,
        }
    }
}

/// A string in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub vi: String,
    pub en: String,
}

impl Text {
    pub fn new(vi: impl Into<String>, en: impl Into<String>) -> Self {
        Text {
            vi: vi.into(),
            en: en.into(),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Vi => &self.vi,
            Lang::En => &self.en,
        }
    }

    /// Names the languages whose text is empty (after trimming), for the loader's checks.
    pub fn missing(&self) -> Vec<Lang> {
        let mut missing = Vec::new();
        if self.vi.trim().is_empty() {
            missing.push(Lang::Vi);
        }
        if self.en.trim().is_empty() {
            missing.push(Lang::En);
        }
        missing
    }
}
