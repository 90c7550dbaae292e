//! The page shell: language switch, header, main content, footer. No inline script or style, so
//! the Content-Security-Policy can forbid both.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::domain::Lang;

/// Picks the string for the page's language.
pub fn t<'a>(lang: Lang, vi: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::Vi => vi,
        Lang::En => en,
    }
}

/// A full page with the default header. `title` is the `<title>` (the site name is appended).
pub fn page(lang: Lang, title: &str, content: Markup) -> Markup {
    page_with(lang, title, "", None, content)
}

/// A full page. `path` is the current path (for the language switch); `user` names the
/// signed-in person shown in the top bar.
pub fn page_with(
    lang: Lang,
    title: &str,
    path: &str,
    user: Option<Markup>,
    content: Markup,
) -> Markup {
    let other = lang.other();
    let switch_href = if path.is_empty() {
        format!("?lang={}", other.code())
    } else {
        format!("{path}?lang={}", other.code())
    };
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " – dxready" }
                link rel="stylesheet" href="/static/style.css";
                link rel="stylesheet" href="/static/charts.css";
                link rel="icon" href="/static/favicon.svg" type="image/svg+xml";
            }
            body {
                a.skip-link href="#main" { (t(lang, "Bỏ qua đến nội dung chính", "Skip to main content")) }
                header.site-header {
                    div.container.header-inner {
                        a.brand href="/" { "dxready" span.brand-sub { (t(lang, " · Sẵn sàng chuyển đổi số", " · Digital readiness")) } }
                        nav.header-nav aria-label=(t(lang, "Ngôn ngữ và tài khoản", "Language and account")) {
                            @if let Some(user) = user { (user) }
                            a.lang-switch href=(switch_href) lang=(other.code()) hreflang=(other.code()) {
                                (t(lang, "English", "Tiếng Việt"))
                            }
                        }
                    }
                }
                main #main.container tabindex="-1" { (content) }
                footer.site-footer {
                    div.container {
                        p { (t(lang,
                            "dxready giúp doanh nghiệp nhỏ và vừa biết mình đang ở đâu trên hành trình chuyển đổi số và nên làm gì tiếp theo. Kết quả tương ứng thang 6 mức của Bộ chỉ số DBI, không phải kết quả chính thức.",
                            "dxready helps small and medium businesses see where they stand on digital transformation and what to do next. Results are aligned with the national 6-level DBI scale; they are not an official rating.")) }
                        p { a href="/privacy" { (t(lang, "Quyền riêng tư và dữ liệu", "Privacy and data")) } }
                    }
                }
            }
        }
    }
}

/// Vietnamese number format: `1.234,5` (vi) or `1,234.5` (en), with `decimals` places.
/// The change between two scores in whole points, signed (`+12`, `−3` with a true minus sign);
/// `–` when either is unknown.
pub fn score_change(lang: Lang, before: Option<f64>, now: Option<f64>) -> String {
    match (before, now) {
        (Some(b), Some(n)) => {
            let d = n - b;
            format!(
                "{}{}",
                if d >= 0.0 { "+" } else { "−" },
                number(lang, d.abs(), 0)
            )
        }
        _ => "–".to_string(),
    }
}

pub fn number(lang: Lang, value: f64, decimals: usize) -> String {
    let s = format!("{value:.decimals$}");
    let (int, frac) = s
        .split_once('.')
        .map_or((s.as_str(), None), |(i, f)| (i, Some(f)));
    let (neg, digits) = int.strip_prefix('-').map_or((false, int), |d| (true, d));
    let (group, point) = match lang {
        Lang::Vi => ('.', ','),
        Lang::En => (',', '.'),
    };
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(group);
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push(point);
        out.push_str(f);
    }
    if neg { format!("-{out}") } else { out }
}

/// Markup that is already safe (used only for fixed strings of our own).
pub fn raw(s: &'static str) -> PreEscaped<&'static str> {
    PreEscaped(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers_per_language() {
        assert_eq!(number(Lang::Vi, 1234.5, 1), "1.234,5");
        assert_eq!(number(Lang::En, 1234.5, 1), "1,234.5");
        assert_eq!(number(Lang::Vi, 57.0, 0), "57");
        assert_eq!(number(Lang::Vi, 1_000_000.0, 0), "1.000.000");
    }

    #[test]
    fn escapes_user_text() {
        let html = page(Lang::Vi, "<script>x</script>", html! { p { ("<b>") } }).into_string();
        assert!(!html.contains("<script>x"));
        assert!(html.contains("&lt;b&gt;"));
    }
}
