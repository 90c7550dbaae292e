//! E-mail bodies: HTML (maud; inline styles and tables only, so Gmail and Outlook keep the
//! layout) and a plain-text alternative, in the respondent's language.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::db::responses::StoredResult;
use crate::domain::questionnaire::Phase;
use crate::domain::{Definition, Lang, RoadmapItem, Text};

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
        text: report_text(r),
        subject,
    }
}

/// A ten-step text bar: `[######----]`.
fn text_bar(score: Option<f64>) -> String {
    let filled = score.map_or(0, |s| (s.clamp(0.0, 100.0) / 10.0).round() as usize);
    format!("[{}{}]", "#".repeat(filled), "-".repeat(10 - filled))
}

fn report_text(r: &Report<'_>) -> String {
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
