//! Which edits a questionnaire version may take after responses were collected with it.
//!
//! A version is frozen once it has results, so that every result stays explainable. Key
//! practices (`[[practice]]`) are the one exception: they only say which answers the dashboard
//! counts as adopting a practice, never change a firm's score, level, barriers or roadmap, and a
//! version must be able to gain them without being renumbered.

/// Whether two sources of one version differ in nothing but their `[[practice]]` entries (and
/// comments or layout, which TOML does not keep).
pub fn differs_only_in_practices(stored: &str, new: &str) -> bool {
    fn without_practices(source: &str) -> Option<toml::Table> {
        let mut table: toml::Table = source.parse().ok()?;
        table.remove("practice");
        Some(table)
    }
    match (without_practices(stored), without_practices(new)) {
        (Some(stored), Some(new)) => stored == new,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BEFORE: &str =
        "id = \"q\"\nversion = \"1.0.0\"\n\n[[question]]\nid = \"q1\"\ntitle = \"A\"\n";

    #[test]
    fn practices_may_be_added_changed_or_removed() {
        let added = format!(
            "{BEFORE}\n# counted on the dashboard\n[[practice]]\nid = \"backup\"\nadopted = \"true\"\n"
        );
        assert!(differs_only_in_practices(BEFORE, &added));
        assert!(differs_only_in_practices(&added, BEFORE));
        let changed = added.replace("\"true\"", "\"false\"");
        assert!(differs_only_in_practices(&added, &changed));
    }

    #[test]
    fn anything_else_is_a_new_version() {
        let retitled = BEFORE.replace("title = \"A\"", "title = \"B\"");
        assert!(!differs_only_in_practices(BEFORE, &retitled));
        let with_practice_and_edit =
            format!("{retitled}[[practice]]\nid = \"backup\"\nadopted = \"true\"\n");
        assert!(!differs_only_in_practices(BEFORE, &with_practice_and_edit));
        assert!(!differs_only_in_practices(BEFORE, "not = toml = at all"));
    }

    #[test]
    fn the_shipped_files_differ_from_their_practice_free_form_only_in_practices() {
        for file in ["dxready-sme@1.0.0.toml", "dxready-sme@1.1.0.toml"] {
            let path = format!("{}/questionnaires/{file}", env!("CARGO_MANIFEST_DIR"));
            let source = std::fs::read_to_string(path).expect("questionnaire file");
            assert!(source.contains("[[practice]]"), "{file} defines practices");
            assert!(
                differs_only_in_practices(&strip_practices(&source), &source),
                "{file}"
            );
        }
    }

    /// The file as it was before practices were added: every `[[practice]]` table removed.
    fn strip_practices(source: &str) -> String {
        let mut out = String::new();
        let mut in_practice = false;
        for line in source.lines() {
            if line.starts_with('[') {
                in_practice = line.trim() == "[[practice]]";
            }
            if !in_practice {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }
}
