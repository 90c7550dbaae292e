//! The result: level, scores, a chart of the dimensions (inline SVG with a table for screen
//! readers), barriers and the roadmap by phase.

use maud::{Markup, PreEscaped, html};

use crate::db::responses::{PeerComparison, PreviousResult, StoredResult};
use crate::domain::questionnaire::Phase;
use crate::domain::roadmap::{Roadmap, RoadmapItem};
use crate::domain::scoring::Severity;
use crate::domain::{Definition, Lang};
use crate::web::views::layout::{number, score_change, t};

/// Horizontal bars, one per dimension; decorative for assistive technology (the table says it all).
///
/// Drawn for a phone: the viewBox is 360 units wide, so on a 360 px screen one unit is about one
/// pixel and the 16-unit labels stay readable; long titles wrap onto a second line instead of
/// shrinking or being cut (SVG text does not wrap by itself).
pub fn dimension_chart(lang: Lang, def: &Definition, result: &StoredResult) -> Markup {
    const TRACK: usize = 300;
    const LINE: usize = 20;
    const BAR: usize = 18;
    let mut rows = String::new();
    let mut y = 0;
    for d in &result.score.dimensions {
        let title = def
            .dimension(&d.id)
            .map_or(d.id.as_str(), |x| x.title.get(lang));
        for line in wrap(title, 38) {
            y += LINE;
            let line = maud::html! { (line) }.into_string();
            rows.push_str(&format!(
                r#"<text x="0" y="{y}" class="chart-label">{line}</text>"#
            ));
        }
        let bar_y = y + 6;
        let width = (d.score.unwrap_or(0.0) / 100.0 * TRACK as f64).round();
        let value = d.score.map_or("—".to_string(), |s| number(lang, s, 0));
        rows.push_str(&format!(
            r#"<rect x="0" y="{bar_y}" width="{TRACK}" height="{BAR}" class="chart-track"/><rect x="0" y="{bar_y}" width="{width}" height="{BAR}" class="chart-bar"/><text x="{}" y="{}" class="chart-value">{value}</text>"#,
            TRACK + 8,
            bar_y + 15,
        ));
        y = bar_y + BAR + 14;
    }
    PreEscaped(format!(
        r#"<svg class="chart" viewBox="0 0 360 {y}" width="100%" role="img" aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg"><title id="chart-title">{}</title>{rows}</svg>"#,
        maud::html! { (t(lang, "Điểm theo 7 lĩnh vực", "Scores in the 7 areas")) }.into_string()
    ))
}

/// Splits `text` at spaces into lines of at most `max` characters (a longer word stays whole).
fn wrap(text: &str, max: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= max => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines
}

pub fn dimension_table(lang: Lang, def: &Definition, result: &StoredResult) -> Markup {
    html! {
        table.table.dimension-table {
            caption { (t(lang, "Điểm từng lĩnh vực (0–100)", "Score per area (0–100)")) }
            thead { tr { th scope="col" { (t(lang, "Lĩnh vực", "Area")) } th.num scope="col" { (t(lang, "Điểm", "Score")) } } }
            tbody {
                @for d in &result.score.dimensions {
                    tr {
                        th scope="row" { (def.dimension(&d.id).map_or(d.id.as_str(), |x| x.title.get(lang))) }
                        td.num { (d.score.map_or("—".to_string(), |s| number(lang, s, 0))) }
                    }
                }
            }
        }
    }
}

fn item(lang: Lang, def: &Definition, i: &RoadmapItem, heading: &str) -> Markup {
    html! {
        article.roadmap-item.(format!("category-{}", i.category.as_str())) {
            @if heading == "h3" { h3 { (i.title.get(lang)) } } @else { h4 { (i.title.get(lang)) } }
            p.why { strong { (t(lang, "Vì sao: ", "Why: ")) } (i.why.get(lang)) }
            @if !i.evidence.is_empty() {
                ul.evidence {
                    @for e in &i.evidence {
                        @let e = e.describe(def);
                        @let label = e.label.get(lang);
                        // Labels that are questions already end in "?": no colon after them.
                        li { (label) @if !label.ends_with(['?', ':']) { ":" } " " strong { (e.value.get(lang)) } }
                    }
                }
            }
            @if !i.steps.is_empty() {
                ol.steps { @for s in &i.steps { li { (s.get(lang)) } } }
            }
            @if !i.support.is_empty() {
                div.support {
                    p { strong { (t(lang, "Hỗ trợ bạn có thể đăng ký:", "Support you can claim:")) } }
                    ul {
                        @for s in &i.support {
                            li {
                                @if let Some(url) = &s.url { a href=(url) rel="noopener" { (s.title.get(lang)) } } @else { (s.title.get(lang)) }
                                " — " (s.provider.get(lang)) ". " (s.description.get(lang))
                                @if let Some(to) = s.valid_to { " " span.muted { (t(lang, "(đến ", "(until ")) (to.format("%d/%m/%Y")) ")" } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Progress across the firm's assessments, T0 → T1 → … → this one (`history`: the earlier ones,
/// oldest first), overall and by area, with the change since the one before. Long chains keep
/// the first and the latest columns, as the e-mail and the PDF do.
fn progress_table(
    lang: Lang,
    def: &Definition,
    result: &StoredResult,
    history: &[PreviousResult],
) -> Markup {
    let mut all: Vec<(chrono::DateTime<chrono::Utc>, &crate::domain::ScoreResult)> =
        history.iter().map(|p| (p.submitted_at, &p.score)).collect();
    all.push((result.submitted_at, &result.score));
    let (kept, omitted) = crate::email::render::progress_columns(all.len());
    let change = |before, now| score_change(lang, before, now);
    let shown = |v: Option<f64>| v.map_or_else(|| "–".to_string(), |v| number(lang, v, 0));
    let before = all[all.len() - 2].1;
    let dimension =
        |score: &crate::domain::ScoreResult, id: &str| score.dimension(id).and_then(|d| d.score);
    html! {
        section.progress aria-labelledby="h-progress" {
            h3 #h-progress { (t(lang, "Tiến bộ qua các lần đánh giá", "Progress across your assessments")) }
            table.table.table-numbers {
                thead { tr {
                    th scope="col" { (t(lang, "Lĩnh vực", "Area")) }
                    @for &n in &kept {
                        th scope="col" { "T" (n) " · " (all[n].0.format("%d/%m/%Y")) }
                    }
                    th scope="col" { (t(lang, "Thay đổi so với lần trước", "Change since last time")) }
                } }
                tbody {
                    tr.overall {
                        th scope="row" { (t(lang, "Điểm tổng", "Overall")) }
                        @for &n in &kept { td { (shown(Some(all[n].1.overall))) } }
                        td { (change(Some(before.overall), Some(result.score.overall))) }
                    }
                    @for d in &result.score.dimensions {
                        tr {
                            th scope="row" { (def.dimension(&d.id).map_or(d.id.as_str(), |x| x.title.get(lang))) }
                            @for &n in &kept { td { (shown(dimension(all[n].1, &d.id))) } }
                            td { (change(dimension(before, &d.id), d.score)) }
                        }
                    }
                }
            }
            @if omitted > 0 {
                p.hint { (omitted) (t(lang, " lần đánh giá ở giữa không hiện trong bảng.", " assessment(s) in between are not shown.")) }
            }
        }
    }
}

/// The whole roadmap by phase, as the firm sees it (the result page, the agency's lead page).
pub fn full_roadmap(lang: Lang, def: &Definition, roadmap: &Roadmap) -> Markup {
    html! {
        section aria-labelledby="h-roadmap" {
            h2 #h-roadmap { (t(lang, "Lộ trình đầy đủ", "The full roadmap")) }
            p { (t(lang, "Theo công thức 3S: khởi đầu thông minh, bắt đầu từ việc nhỏ, rồi mở rộng.", "Following the 3S way: start smart, start small, then scale.")) }
            @for phase in Phase::ALL {
                @let items: Vec<&RoadmapItem> = roadmap.phase(phase).collect();
                @if !items.is_empty() {
                    h3.phase { (phase.title().get(lang)) }
                    @for i in items { (item(lang, def, i, "h4")) }
                }
            }
        }
    }
}

pub fn result_page(
    lang: Lang,
    def: &Definition,
    token: &str,
    result: &StoredResult,
    peers: Option<&PeerComparison>,
    email_note: Option<Markup>,
    history: &[PreviousResult],
) -> Markup {
    let level = def.level(result.score.level);
    let first: Vec<&RoadmapItem> = result.roadmap.phase(Phase::StartSmart).take(3).collect();
    html! {
        div.result-head {
            p.muted { (t(lang, "Kết quả đánh giá", "Assessment result")) @if let Some(name) = &result.business_name { " · " (name) } " · " (result.submitted_at.format("%d/%m/%Y")) }
            div.level-box.(format!("level-{}", result.score.level)) {
                p.level-number { (t(lang, "Mức ", "Level ")) (result.score.level) }
                h1.level-name { (level.map_or("", |l| l.name.get(lang))) }
                p.level-meaning { (level.map_or("", |l| l.meaning.get(lang))) }
            }
            p.overall { (t(lang, "Điểm tổng: ", "Overall score: ")) strong { (number(lang, result.score.overall, 0)) } "/100" }
            p.muted.small { (t(lang, "Tương ứng thang 6 mức (Mức 0–5) của Bộ chỉ số DBI; đây không phải kết quả đánh giá chính thức.", "Aligned with the national 6-level DBI scale (Level 0–5); this is not an official rating.")) }
            @if let Some(note) = email_note { (note) }
        }
        section aria-labelledby="h-dimensions" {
            h2 #h-dimensions { (t(lang, "Điểm theo lĩnh vực", "Scores by area")) }
            div.chart-wrap aria-hidden="true" { (dimension_chart(lang, def, result)) }
            (dimension_table(lang, def, result))
            @if !history.is_empty() { (progress_table(lang, def, result, history)) }
            @if let Some(p) = peers {
                p.peers { (t(lang, "Doanh nghiệp cùng ngành, cùng tỉnh/thành (", "Businesses of the same sector and province (")) (p.count) (t(lang, " doanh nghiệp) đạt trung bình ", " firms) score ")) strong { (number(lang, p.mean_overall, 0)) } (t(lang, " điểm.", " on average.")) }
            }
        }
        @if !result.score.barriers.is_empty() {
            section aria-labelledby="h-barriers" {
                h2 #h-barriers { (t(lang, "Rào cản chính", "Main barriers")) }
                ul.barriers {
                    @for b in &result.score.barriers {
                        @if let Some(def_b) = def.barrier(&b.id) {
                            li {
                                strong { (def_b.title.get(lang)) }
                                " " span.tag.(format!("severity-{}", match b.severity { Severity::High => "high", Severity::Medium => "medium", Severity::Low => "low" })) {
                                    (match b.severity {
                                        Severity::High => t(lang, "bạn nêu ra và câu trả lời cũng cho thấy", "you named it and your answers show it"),
                                        Severity::Medium => t(lang, "câu trả lời cho thấy", "your answers show it"),
                                        Severity::Low => t(lang, "bạn nêu ra", "you named it"),
                                    })
                                }
                                br; span { (def_b.description.get(lang)) }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="h-first" {
            h2 #h-first { (t(lang, "Ba việc nên làm trước", "Three things to do first")) }
            @for i in &first { (item(lang, def, i, "h3")) }
        }
        (full_roadmap(lang, def, &result.roadmap))
        section.no-print aria-labelledby="h-next" {
            h2 #h-next { (t(lang, "Tiếp theo", "What next")) }
            ul {
                li { a href={ "/r/" (token) "/pdf" } { (t(lang, "Tải lộ trình dạng PDF", "Download the roadmap as PDF")) } (t(lang, ", hoặc in trang này bằng chức năng In của trình duyệt (Ctrl+P).", ", or print this page with your browser's Print command (Ctrl+P).")) }
                li { (t(lang, "Làm lại bài đánh giá sau 6–12 tháng để đo tiến bộ: ", "Retake the check in 6–12 months to measure progress: ")) a href={ "/s/" (def.id) "?previous=" (token) } { (t(lang, "làm lại (thông tin doanh nghiệp điền sẵn, kết quả so với lần này)", "retake (business details filled in, the result compared with this one)")) } }
                li { a href={ "/r/" (token) "/withdraw" } { (t(lang, "Rút lại đồng ý hoặc xóa dữ liệu của tôi", "Withdraw consent or delete my data")) } }
            }
            p.muted.small { (t(lang, "Giữ kín đường liên kết của trang này: ai có nó đều xem được kết quả.", "Keep this page's link private: anyone who has it can see the result.")) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wraps_long_titles_at_spaces() {
        assert_eq!(
            wrap("Khách hàng, bán hàng đa kênh và thanh toán số", 38),
            ["Khách hàng, bán hàng đa kênh và thanh", "toán số"]
        );
        assert_eq!(
            wrap("Chiến lược và lộ trình chuyển đổi số", 38),
            ["Chiến lược và lộ trình chuyển đổi số"]
        );
        assert_eq!(wrap("", 38), Vec::<String>::new());
    }
}
