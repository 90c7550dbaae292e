//! E-mail bodies: HTML (maud; inline styles and tables only, so Gmail and Outlook keep the
//! layout) and a plain-text alternative, in the respondent's language.

use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::db::responses::{PreviousResult, StoredResult};
use crate::domain::questionnaire::Phase;
use crate::domain::scoring::ScoreResult;
use crate::domain::{Definition, Lang, RoadmapItem, Text};
use crate::usecases::clock::vietnam_date;

/// Who sends these e-mails, for the footer. Say who runs the service here when it is known.
pub fn operator() -> Text {
    Text::new(
        "chương trình hỗ trợ chuyển đổi số doanh nghiệp nhỏ và vừa của thành phố",
        "the city's digital-transformation support programme for small and medium businesses",
    )
}

/// How many barriers the e-mail lists.
pub const TOP_BARRIERS: usize = 3;

/// A rendered message: subject, HTML and plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// What the report (e-mail and PDF) is made from.
pub struct Report<'a> {
    pub def: &'a Definition,
    pub result: &'a StoredResult,
    pub lang: Lang,
    /// Public base URL without a trailing slash.
    pub base_url: &'a str,
    /// The plaintext result token.
    pub token: &'a str,
    /// The sender's address, named in the footer.
    pub sender: &'a str,
}

impl Report<'_> {
    pub fn result_url(&self) -> String {
        format!("{}/r/{}", self.base_url, self.token)
    }

    pub fn withdraw_url(&self) -> String {
        format!("{}/r/{}/withdraw", self.base_url, self.token)
    }

    pub fn home_url(&self) -> String {
        format!("{}/", self.base_url)
    }

    pub fn t<'s>(&self, vi: &'s str, en: &'s str) -> &'s str {
        pick(self.lang, vi, en)
    }

    pub fn tx<'s>(&self, text: &'s Text) -> &'s str {
        text.get(self.lang)
    }

    pub fn level_name(&self) -> String {
        let level = self.result.score.level;
        let name = self
            .def
            .level(level)
            .map(|l| l.name.get(self.lang).to_string())
            .unwrap_or_default();
        match self.lang {
            Lang::Vi => format!("Mức {level} – {name}"),
            Lang::En => format!("Level {level} – {name}"),
        }
    }

    pub fn level_meaning(&self) -> &str {
        self.def
            .level(self.result.score.level)
            .map_or("", |l| l.meaning.get(self.lang))
    }

    /// The seven dimensions in file order with their titles and scores (None: too few answers).
    pub fn dimensions(&self) -> Vec<(&str, Option<f64>)> {
        self.def
            .dimensions
            .iter()
            .map(|d| {
                let score = self.result.score.dimension(&d.id).and_then(|s| s.score);
                (d.title.get(self.lang), score)
            })
            .collect()
    }

    /// The most severe barriers: title and description.
    pub fn top_barriers(&self) -> Vec<(&str, &str)> {
        self.result
            .score
            .barriers
            .iter()
            .filter_map(|b| self.def.barrier(&b.id))
            .take(TOP_BARRIERS)
            .map(|b| (b.title.get(self.lang), b.description.get(self.lang)))
            .collect()
    }

    /// Phases that have at least one item, with their items (`summary_only`: the e-mail's three).
    pub fn phases(&self, summary_only: bool) -> Vec<(Phase, Vec<&RoadmapItem>)> {
        Phase::ALL
            .into_iter()
            .map(|p| {
                let items: Vec<_> = self
                    .result
                    .roadmap
                    .phase(p)
                    .filter(|i| i.summary || !summary_only)
                    .collect();
                (p, items)
            })
            .filter(|(_, items)| !items.is_empty())
            .collect()
    }

    pub fn greeting(&self) -> String {
        match (&self.result.business_name, self.lang) {
            (Some(name), Lang::Vi) => format!("Kính gửi {},", one_line(name)),
            (Some(name), Lang::En) => format!("Dear {},", one_line(name)),
            (None, Lang::Vi) => "Xin chào,".into(),
            (None, Lang::En) => "Hello,".into(),
        }
    }

    pub fn subject(&self) -> String {
        one_line(&match self.lang {
            Lang::Vi => format!(
                "Kết quả đánh giá sẵn sàng chuyển đổi số: {}",
                self.level_name()
            ),
            Lang::En => format!("Your digital-readiness result: {}", self.level_name()),
        })
    }

    pub fn identity(&self) -> String {
        match self.lang {
            Lang::Vi => format!(
                "Thư này do dxready ({}) gửi vì bạn đã đồng ý nhận báo cáo qua e-mail khi hoàn thành \
                 bài tự đánh giá. dxready là công cụ tự đánh giá miễn phí mức độ sẵn sàng chuyển đổi số, \
                 do {} vận hành. Đây là kết quả tự đánh giá, không phải kết quả đánh giá chính thức.",
                self.sender,
                operator().vi
            ),
            Lang::En => format!(
                "This e-mail comes from dxready ({}) because you asked for your report by e-mail when \
                 you completed the self-assessment. dxready is a free digital-readiness self-assessment \
                 run by {}. This is a self-assessment, not an official rating.",
                self.sender,
                operator().en
            ),
        }
    }
}

/// The most assessments a progress table shows: the first one and the latest ones.
pub const PROGRESS_COLUMNS: usize = 5;

/// Progress across a firm's assessments, T0 → T1 → … → this one: a column per assessment.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressTable {
    /// `T0 · 12/01/2026`, … (the numbers show which were left out).
    pub headings: Vec<String>,
    /// The overall score, then each dimension in file order.
    pub rows: Vec<ProgressRow>,
    /// Assessments between the first and the latest ones that do not fit.
    pub omitted: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProgressRow {
    pub title: String,
    /// One per column; None where that assessment had no score for it.
    pub scores: Vec<Option<f64>>,
    /// This assessment minus the one before it.
    pub change: Option<f64>,
}

/// The date of an assessment as printed: the Vietnamese day.
pub fn day(at: DateTime<Utc>) -> String {
    vietnam_date(at).format("%d/%m/%Y").to_string()
}

/// A change in points: `+12`, `−3` (a true minus sign), `–` when unknown.
pub fn change_text(change: Option<f64>) -> String {
    match change {
        Some(d) => format!("{}{:.0}", if d >= 0.0 { "+" } else { "−" }, d.abs()),
        None => "–".into(),
    }
}

impl Report<'_> {
    /// The earlier assessment the stored result names, as a chain of one (the worker passes
    /// the whole chain; see `crate::db::reassessment::earlier_results`).
    pub fn known_history(&self) -> Vec<PreviousResult> {
        self.result.previous.iter().cloned().collect()
    }

    /// The progress table for `history` (earlier assessments, oldest first); None for a first
    /// assessment.
    pub fn progress(&self, history: &[PreviousResult]) -> Option<ProgressTable> {
        if history.is_empty() {
            return None;
        }
        let mut all: Vec<(DateTime<Utc>, &ScoreResult)> =
            history.iter().map(|p| (p.submitted_at, &p.score)).collect();
        all.push((self.result.submitted_at, &self.result.score));
        let mut kept: Vec<usize> = (0..all.len()).collect();
        let omitted = all.len().saturating_sub(PROGRESS_COLUMNS);
        if omitted > 0 {
            kept.drain(1..=omitted);
        }
        let headings = kept
            .iter()
            .map(|&n| format!("T{n} · {}", day(all[n].0)))
            .collect();
        let row = |title: String, value: &dyn Fn(&ScoreResult) -> Option<f64>| {
            let scores: Vec<Option<f64>> = kept.iter().map(|&n| value(all[n].1)).collect();
            let last = value(all[all.len() - 1].1);
            let before = value(all[all.len() - 2].1);
            let change = last.zip(before).map(|(l, b)| l - b);
            ProgressRow {
                title,
                scores,
                change,
            }
        };
        let mut rows = vec![row(
            self.t("Điểm tổng", "Overall score").to_string(),
            &|s: &ScoreResult| Some(s.overall),
        )];
        for d in &self.def.dimensions {
            rows.push(row(
                d.title.get(self.lang).to_string(),
                &|s: &ScoreResult| s.dimension(&d.id).and_then(|x| x.score),
            ));
        }
        Some(ProgressTable {
            headings,
            rows,
            omitted,
        })
    }
}

pub fn pick<'s>(lang: Lang, vi: &'s str, en: &'s str) -> &'s str {
    match lang {
        Lang::Vi => vi,
        Lang::En => en,
    }
}

/// Collapses line breaks and control characters, for anything that must stay on one line.
pub fn one_line(s: &str) -> String {
    s.split(|c: char| c.is_control())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A score as shown: whole points.
pub fn points(score: f64) -> String {
    format!("{:.0}", score.clamp(0.0, 100.0))
}

const INK: &str = "#1f2933";
const MUTED: &str = "#52606d";
const ACCENT: &str = "#1d4ed8";
const TRACK: &str = "#e4e7eb";
const FONT: &str = "font-family:Arial,Helvetica,sans-serif;";

/// A horizontal bar made of table cells (no images, survives Outlook's Word renderer).
fn bar(score: Option<f64>) -> Markup {
    let pct = score.map_or(0, |s| s.clamp(0.0, 100.0).round() as u32);
    html! {
        table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"
            style="border-collapse:collapse;width:100%;" {
            tr {
                @if pct > 0 {
                    td width=(format!("{pct}%")) bgcolor=(ACCENT)
                        style=(format!("width:{pct}%;background:{ACCENT};height:10px;font-size:0;line-height:0;")) { (PreEscaped("&nbsp;")) }
                }
                @if pct < 100 {
                    td width=(format!("{}%", 100 - pct)) bgcolor=(TRACK)
                        style=(format!("width:{}%;background:{TRACK};height:10px;font-size:0;line-height:0;", 100 - pct)) { (PreEscaped("&nbsp;")) }
                }
            }
        }
    }
}

fn section_title(text: &str) -> Markup {
    html! {
        tr { td style=(format!("{FONT}padding:24px 32px 8px 32px;font-size:18px;font-weight:bold;color:{INK};")) { (text) } }
    }
}

fn button(url: &str, label: &str) -> Markup {
    html! {
        table role="presentation" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;" {
            tr { td bgcolor=(ACCENT) style=(format!("background:{ACCENT};border-radius:4px;padding:12px 20px;")) {
                a href=(url) style=(format!("{FONT}color:#ffffff;text-decoration:none;font-weight:bold;font-size:16px;")) { (label) }
            } }
        }
    }
}

/// The HTML skeleton shared by every message: a centred 600-pixel table.
fn layout(lang: Lang, title: &str, rows: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
            }
            body style="margin:0;padding:0;background:#f4f5f7;" {
                table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"
                    bgcolor="#f4f5f7" style="background:#f4f5f7;border-collapse:collapse;" {
                    tr { td align="center" style="padding:24px 8px;" {
                        table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0"
                            bgcolor="#ffffff" style=(format!("width:100%;max-width:600px;background:#ffffff;border-collapse:collapse;color:{INK};{FONT}")) {
                            tr { td style=(format!("{FONT}padding:20px 32px;background:{ACCENT};color:#ffffff;font-size:20px;font-weight:bold;")) bgcolor=(ACCENT) { "dxready" } }
                            (rows)
                        }
                    } }
                }
            }
        }
    }
    .into_string()
}

fn paragraph(text: &str) -> Markup {
    html! {
        tr { td style=(format!("{FONT}padding:8px 32px;font-size:15px;line-height:22px;color:{INK};")) { (text) } }
    }
}

/// The report e-mail: summary of the result and the roadmap's first items per phase.
pub fn roadmap_report(r: &Report<'_>) -> Rendered {
    roadmap_report_with(r, &r.known_history())
}

/// The report e-mail, with progress across `history` (the earlier assessments, oldest first).
pub fn roadmap_report_with(r: &Report<'_>, history: &[PreviousResult]) -> Rendered {
    let progress = r.progress(history);
    let subject = r.subject();
    let overall = points(r.result.score.overall);
    let small = format!("{FONT}font-size:13px;line-height:19px;color:{MUTED};");
    let rows = html! {
        (paragraph(&r.greeting()))
        (paragraph(r.t(
            "Cảm ơn bạn đã hoàn thành bài tự đánh giá mức độ sẵn sàng chuyển đổi số. Dưới đây là tóm tắt kết quả và những việc nên làm trước; bản lộ trình đầy đủ được đính kèm dạng PDF.",
            "Thank you for completing the digital-readiness self-assessment. Below is a summary of your result and the first things to do; the full roadmap is attached as a PDF.",
        )))
        tr { td style="padding:16px 32px;" {
            table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"
                bgcolor="#eef2ff" style="background:#eef2ff;border-collapse:collapse;" {
                tr {
                    td width="120" align="center" style=(format!("{FONT}padding:16px;font-size:40px;font-weight:bold;color:{ACCENT};")) {
                        (overall) span style=(format!("font-size:16px;color:{MUTED};")) { "/100" }
                    }
                    td style=(format!("{FONT}padding:16px;font-size:15px;line-height:22px;")) {
                        div style="font-size:18px;font-weight:bold;" { (r.level_name()) }
                        div { (r.level_meaning()) }
                    }
                }
            }
        } }
        (section_title(r.t("Điểm theo từng khía cạnh", "Scores by dimension")))
        tr { td style="padding:0 32px;" {
            table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;" {
                @for (title, score) in r.dimensions() {
                    tr {
                        td width="45%" style=(format!("{FONT}padding:6px 8px 6px 0;font-size:14px;")) { (title) }
                        td width="43%" style="padding:6px 0;" { (bar(score)) }
                        td width="12%" align="right" style=(format!("{FONT}padding:6px 0 6px 8px;font-size:14px;font-weight:bold;")) {
                            @match score { Some(s) => (points(s)), None => "–" }
                        }
                    }
                }
            }
        } }
        @if let Some(progress) = &progress { (progress_html(r, progress)) }
        @let barriers = r.top_barriers();
        @if !barriers.is_empty() {
            (section_title(r.t("Những rào cản chính", "Main barriers")))
            @for (title, description) in &barriers {
                tr { td style=(format!("{FONT}padding:4px 32px;font-size:14px;line-height:21px;")) {
                    strong { (title) } ": " (description)
                } }
            }
        }
        (section_title(r.t("Lộ trình: những việc nên làm trước", "Roadmap: what to do first")))
        @for (phase, items) in r.phases(true) {
            tr { td style=(format!("{FONT}padding:12px 32px 4px 32px;font-size:16px;font-weight:bold;color:{ACCENT};")) { (r.tx(&phase.title())) } }
            @for item in items {
                tr { td style=(format!("{FONT}padding:6px 32px 6px 44px;font-size:14px;line-height:21px;")) {
                    div style="font-weight:bold;" { (r.tx(&item.title)) }
                    div { (r.tx(&item.why)) }
                    @if !item.support.is_empty() {
                        div style=(small.clone()) {
                            (r.t("Hỗ trợ có thể nhận: ", "Support you may claim: "))
                            @for (n, s) in item.support.iter().enumerate() {
                                @if n > 0 { "; " }
                                @match s.url.as_deref().filter(|u| u.starts_with("https://") || u.starts_with("http://")) {
                                    Some(url) => a href=(url) style=(format!("color:{ACCENT};")) { (r.tx(&s.title)) },
                                    None => (r.tx(&s.title)),
                                }
                                " (" (r.tx(&s.provider)) ")"
                            }
                        }
                    }
                } }
            }
        }
        tr { td style="padding:24px 32px 8px 32px;" { (button(&r.result_url(), r.t("Xem kết quả và lộ trình đầy đủ", "See your full result and roadmap"))) } }
        (paragraph(r.t(
            "Liên kết này là riêng của bạn: ai có liên kết đều xem được kết quả, hãy giữ kín.",
            "This link is yours: anyone who has it can see the result, so keep it private.",
        )))
        tr { td style=(format!("{FONT}padding:8px 32px;font-size:15px;line-height:22px;")) {
            (r.t("Hãy làm lại bài đánh giá sau 6–12 tháng để thấy doanh nghiệp đã tiến bộ thế nào: ", "Take the assessment again in 6–12 months to see how far you have come: "))
            a href=(r.home_url()) style=(format!("color:{ACCENT};")) { (r.home_url()) }
        } }
        tr { td style=(format!("{small}padding:24px 32px;border-top:1px solid {TRACK};")) {
            p style="margin:0 0 8px 0;" { (r.identity()) }
            p style="margin:0;" {
                (r.t("Muốn rút lại sự đồng ý và xóa dữ liệu của bạn? ", "Want to withdraw your consent and delete your data? "))
                a href=(r.withdraw_url()) style=(format!("color:{ACCENT};")) { (r.t("Rút lại đồng ý và xóa dữ liệu", "Withdraw consent and delete my data")) }
            }
        } }
    };
    Rendered {
        html: layout(r.lang, &subject, rows),
        text: report_text(r, progress.as_ref()),
        subject,
    }
}

fn progress_html(r: &Report<'_>, progress: &ProgressTable) -> Markup {
    let cell = format!("{FONT}padding:6px 4px;font-size:13px;border-bottom:1px solid {TRACK};");
    html! {
        (section_title(r.t("Tiến bộ qua các lần đánh giá", "Progress across your assessments")))
        tr { td style="padding:0 32px;" {
            table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;" {
                tr {
                    th align="left" style=(cell.clone()) { (r.t("Khía cạnh", "Dimension")) }
                    @for h in &progress.headings { th align="right" style=(cell.clone()) { (h) } }
                    th align="right" style=(cell.clone()) { (r.t("Thay đổi", "Change")) }
                }
                @for row in &progress.rows {
                    tr {
                        td style=(cell.clone()) { (row.title) }
                        @for s in &row.scores { td align="right" style=(cell.clone()) { (s.map_or_else(|| "–".to_string(), points)) } }
                        td align="right" style=(format!("{cell}font-weight:bold;")) { (change_text(row.change)) }
                    }
                }
            }
            @if progress.omitted > 0 {
                p style=(format!("{FONT}font-size:12px;color:{MUTED};")) { (omitted_note(r.lang, progress.omitted)) }
            }
        } }
    }
}

fn omitted_note(lang: Lang, omitted: usize) -> String {
    match lang {
        Lang::Vi => format!("{omitted} lần đánh giá ở giữa không hiện trong bảng."),
        Lang::En => format!("{omitted} assessment(s) in between are not shown."),
    }
}

/// The progress table as plain text: fixed-width columns.
pub fn progress_text(lang: Lang, progress: &ProgressTable) -> String {
    use std::fmt::Write;
    let mut t = String::new();
    for row in &progress.rows {
        let scores: Vec<String> = row
            .scores
            .iter()
            .map(|s| format!("{:>4}", s.map_or_else(|| "–".to_string(), points)))
            .collect();
        let _ = writeln!(
            t,
            "{}  ({:>3})  {}",
            scores.join(" →"),
            change_text(row.change),
            row.title
        );
    }
    let _ = writeln!(t, "({})", progress.headings.join(" → "));
    if progress.omitted > 0 {
        let _ = writeln!(t, "{}", omitted_note(lang, progress.omitted));
    }
    t
}

/// A ten-step text bar: `[######----]`.
fn text_bar(score: Option<f64>) -> String {
    let filled = score.map_or(0, |s| (s.clamp(0.0, 100.0) / 10.0).round() as usize);
    format!("[{}{}]", "#".repeat(filled), "-".repeat(10 - filled))
}

fn report_text(r: &Report<'_>, progress: Option<&ProgressTable>) -> String {
    use std::fmt::Write;
    let mut t = String::new();
    let _ = writeln!(t, "{}\n", r.greeting());
    let _ = writeln!(
        t,
        "{}\n",
        r.t(
            "Cảm ơn bạn đã hoàn thành bài tự đánh giá mức độ sẵn sàng chuyển đổi số. Bản lộ trình đầy đủ được đính kèm dạng PDF.",
            "Thank you for completing the digital-readiness self-assessment. The full roadmap is attached as a PDF.",
        )
    );
    let _ = writeln!(
        t,
        "{}: {}/100",
        r.t("Điểm tổng", "Overall score"),
        points(r.result.score.overall)
    );
    let _ = writeln!(t, "{}\n{}\n", r.level_name(), r.level_meaning());
    let _ = writeln!(
        t,
        "{}",
        r.t("ĐIỂM THEO TỪNG KHÍA CẠNH", "SCORES BY DIMENSION")
    );
    for (title, score) in r.dimensions() {
        let shown = score.map_or_else(|| "–".to_string(), points);
        let _ = writeln!(t, "{} {:>3}  {title}", text_bar(score), shown);
    }
    if let Some(progress) = progress {
        let _ = writeln!(
            t,
            "\n{}",
            r.t(
                "TIẾN BỘ QUA CÁC LẦN ĐÁNH GIÁ",
                "PROGRESS ACROSS YOUR ASSESSMENTS"
            )
        );
        t.push_str(&progress_text(r.lang, progress));
    }
    let barriers = r.top_barriers();
    if !barriers.is_empty() {
        let _ = writeln!(t, "\n{}", r.t("NHỮNG RÀO CẢN CHÍNH", "MAIN BARRIERS"));
        for (title, description) in barriers {
            let _ = writeln!(t, "- {title}: {description}");
        }
    }
    let _ = writeln!(
        t,
        "\n{}",
        r.t(
            "LỘ TRÌNH: NHỮNG VIỆC NÊN LÀM TRƯỚC",
            "ROADMAP: WHAT TO DO FIRST"
        )
    );
    for (phase, items) in r.phases(true) {
        let _ = writeln!(t, "\n{}", r.tx(&phase.title()));
        for item in items {
            let _ = writeln!(t, "* {}", r.tx(&item.title));
            let _ = writeln!(t, "  {}", r.tx(&item.why));
            for s in &item.support {
                let _ = write!(
                    t,
                    "  {} {} ({})",
                    r.t("Hỗ trợ:", "Support:"),
                    r.tx(&s.title),
                    r.tx(&s.provider)
                );
                if let Some(url) = &s.url {
                    let _ = write!(t, " {url}");
                }
                t.push('\n');
            }
        }
    }
    let _ = writeln!(
        t,
        "\n{}\n{}\n",
        r.t(
            "Xem kết quả và lộ trình đầy đủ (liên kết riêng của bạn, hãy giữ kín):",
            "See your full result and roadmap (your private link, keep it to yourself):"
        ),
        r.result_url()
    );
    let _ = writeln!(
        t,
        "{} {}\n",
        r.t(
            "Hãy làm lại bài đánh giá sau 6–12 tháng để thấy doanh nghiệp đã tiến bộ thế nào:",
            "Take the assessment again in 6–12 months to see how far you have come:"
        ),
        r.home_url()
    );
    let _ = writeln!(t, "-- \n{}", r.identity());
    let _ = writeln!(
        t,
        "{} {}",
        r.t(
            "Rút lại đồng ý và xóa dữ liệu của bạn:",
            "Withdraw your consent and delete your data:"
        ),
        r.withdraw_url()
    );
    t
}

/// The short "continue where you left off" message.
pub fn resume_link(lang: Lang, base_url: &str, token: &str, sender: &str) -> Rendered {
    let url = format!("{base_url}/s/resume/{token}");
    let subject = pick(
        lang,
        "Liên kết để tiếp tục bài đánh giá sẵn sàng chuyển đổi số",
        "Your link to continue the digital-readiness assessment",
    )
    .to_string();
    let intro = pick(
        lang,
        "Bài đánh giá của bạn đã được lưu. Bấm vào liên kết dưới đây để làm tiếp từ chỗ đã dừng. Ai có liên kết này đều mở được bài của bạn, hãy giữ kín.",
        "Your assessment is saved. Follow the link below to continue where you left off. Anyone with this link can open your answers, so keep it private.",
    );
    let label = pick(lang, "Tiếp tục bài đánh giá", "Continue the assessment");
    let identity = match lang {
        Lang::Vi => format!(
            "Thư này do dxready ({sender}) gửi vì bạn đã yêu cầu nhận liên kết để làm tiếp. \
             dxready do {} vận hành. Nếu không phải bạn yêu cầu, hãy bỏ qua thư này.",
            operator().vi
        ),
        Lang::En => format!(
            "This e-mail comes from dxready ({sender}) because you asked for a link to continue. \
             dxready is run by {}. If you did not ask for it, ignore this e-mail.",
            operator().en
        ),
    };
    let rows = html! {
        (paragraph(intro))
        tr { td style="padding:16px 32px;" { (button(&url, label)) } }
        (paragraph(&url))
        tr { td style=(format!("{FONT}padding:24px 32px;font-size:13px;line-height:19px;color:{MUTED};border-top:1px solid {TRACK};")) { (identity) } }
    };
    Rendered {
        html: layout(lang, &subject, rows),
        text: format!("{intro}\n\n{label}: {url}\n\n-- \n{identity}\n"),
        subject,
    }
}

/// Why a re-take e-mail is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetakeReason<'a> {
    /// A support agency invites the firm (its name, when it has one).
    Invitation { agency: Option<&'a str> },
    /// Six months after the last assessment (the firm asked for it).
    Reminder,
}

/// What an invitation or reminder e-mail is made from.
pub struct RetakeMail<'a> {
    pub reason: RetakeReason<'a>,
    pub lang: Lang,
    /// Public base URL without a trailing slash.
    pub base_url: &'a str,
    pub questionnaire_id: &'a str,
    /// The plaintext re-take token, and the withdraw token derived from it.
    pub token: &'a str,
    pub withdraw_token: &'a str,
    pub business_name: Option<&'a str>,
    pub last_assessed: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The sender's address, named in the footer.
    pub sender: &'a str,
}

impl RetakeMail<'_> {
    pub fn retake_url(&self) -> String {
        format!(
            "{}/s/{}?invite={}",
            self.base_url, self.questionnaire_id, self.token
        )
    }

    pub fn withdraw_url(&self) -> String {
        format!("{}/r/{}/withdraw", self.base_url, self.withdraw_token)
    }
}

/// The invitation or reminder to re-take the check: the re-take link (pre-filled, compared with
/// the last result), when it ends, why the e-mail came, and the withdraw link.
pub fn retake(m: &RetakeMail<'_>) -> Rendered {
    let lang = m.lang;
    let t = |vi: &'static str, en: &'static str| pick(lang, vi, en);
    let greeting = match (m.business_name, lang) {
        (Some(name), Lang::Vi) => format!("Kính gửi {},", one_line(name)),
        (Some(name), Lang::En) => format!("Dear {},", one_line(name)),
        (None, Lang::Vi) => "Xin chào,".into(),
        (None, Lang::En) => "Hello,".into(),
    };
    let last = day(m.last_assessed);
    let (subject, intro, why) = match (m.reason, lang) {
        (RetakeReason::Invitation { agency }, Lang::Vi) => (
            "Lời mời đánh giá lại mức độ sẵn sàng chuyển đổi số".to_string(),
            format!(
                "{} mời doanh nghiệp làm lại bài tự đánh giá sẵn sàng chuyển đổi số để xem tiến bộ so với lần đánh giá ngày {last}.",
                agency.map_or_else(|| "Đơn vị hỗ trợ".to_string(), one_line)
            ),
            "Thư này được gửi vì doanh nghiệp đã đồng ý để đơn vị hỗ trợ liên hệ khi làm bài đánh giá.",
        ),
        (RetakeReason::Invitation { agency }, Lang::En) => (
            "An invitation to re-take the digital-readiness check".to_string(),
            format!(
                "{} invites your business to take the digital-readiness self-assessment again, to see how far you have come since your assessment of {last}.",
                agency.map_or_else(|| "A support agency".to_string(), one_line)
            ),
            "You receive this e-mail because you agreed, when you took the assessment, that support agencies may contact you.",
        ),
        (RetakeReason::Reminder, Lang::Vi) => (
            "Đã đến lúc đánh giá lại mức độ sẵn sàng chuyển đổi số".to_string(),
            format!(
                "Đã sáu tháng kể từ lần tự đánh giá ngày {last}. Hãy làm lại bài đánh giá để thấy doanh nghiệp đã tiến bộ thế nào."
            ),
            "Thư này được gửi một lần vì doanh nghiệp đã yêu cầu được nhắc đánh giá lại.",
        ),
        (RetakeReason::Reminder, Lang::En) => (
            "Time to re-take the digital-readiness check".to_string(),
            format!(
                "It is six months since your self-assessment of {last}. Take it again to see how far your business has come."
            ),
            "You receive this one e-mail because you asked to be reminded to re-assess.",
        ),
    };
    let how = t(
        "Thông tin doanh nghiệp được điền sẵn từ lần trước và kết quả mới sẽ so sánh với lần trước. Liên kết chỉ dùng được một lần",
        "Your business details are filled in from last time, and the new result is compared with the last one. The link works once",
    );
    let until = format!("{how}{} {}.", t(", đến ngày", ", until"), day(m.expires_at));
    let label = t("Làm lại bài đánh giá", "Re-take the assessment");
    let identity = match lang {
        Lang::Vi => format!(
            "{why} dxready ({}) do {} vận hành.",
            m.sender,
            operator().vi
        ),
        Lang::En => format!("{why} dxready ({}) is run by {}.", m.sender, operator().en),
    };
    let withdraw = t(
        "Không muốn nhận thư như thế này, muốn rút lại đồng ý hoặc xóa dữ liệu?",
        "Do not want such e-mails, or want to withdraw consent or delete your data?",
    );
    let withdraw_label = t(
        "Rút lại đồng ý hoặc xóa dữ liệu",
        "Withdraw consent or delete data",
    );
    let retake_url = m.retake_url();
    let withdraw_url = m.withdraw_url();
    let small = format!(
        "{FONT}padding:24px 32px;font-size:13px;line-height:19px;color:{MUTED};border-top:1px solid {TRACK};"
    );
    let rows = html! {
        (paragraph(&greeting))
        (paragraph(&intro))
        (paragraph(&until))
        tr { td style="padding:16px 32px;" { (button(&retake_url, label)) } }
        (paragraph(&retake_url))
        tr { td style=(small) {
            p style="margin:0 0 8px 0;" { (identity) }
            p style="margin:0;" {
                (withdraw) " "
                a href=(withdraw_url) style=(format!("color:{ACCENT};")) { (withdraw_label) }
            }
        } }
    };
    Rendered {
        html: layout(lang, &subject, rows),
        text: format!(
            "{greeting}\n\n{intro}\n\n{until}\n\n{label}: {retake_url}\n\n-- \n{identity}\n{withdraw_label}: {withdraw_url}\n"
        ),
        subject,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_and_lines() {
        assert_eq!(text_bar(Some(57.5)), "[######----]");
        assert_eq!(text_bar(None), "[----------]");
        assert_eq!(text_bar(Some(100.0)), "[##########]");
        assert_eq!(one_line("A\r\nBcc: x"), "A Bcc: x");
        let full = bar(Some(100.0)).into_string();
        assert_eq!(full.matches("<td").count(), 1);
        let empty = bar(Some(0.0)).into_string();
        assert_eq!(empty.matches("<td").count(), 1);
        assert_eq!(bar(Some(40.0)).into_string().matches("<td").count(), 2);
    }

    #[test]
    fn resume_link_in_both_languages() {
        let vi = resume_link(Lang::Vi, "http://x.vn", "TOKEN", "no-reply@x.vn");
        assert!(vi.subject.contains("tiếp tục"));
        assert!(vi.html.contains("http://x.vn/s/resume/TOKEN"));
        assert!(vi.text.contains("http://x.vn/s/resume/TOKEN"));
        assert!(vi.html.contains("lang=\"vi\""));
        let en = resume_link(Lang::En, "http://x.vn", "TOKEN", "no-reply@x.vn");
        assert!(en.subject.contains("continue"));
        assert!(en.html.contains("lang=\"en\""));
    }
}
