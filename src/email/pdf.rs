//! The full roadmap as a PDF attached to the report e-mail. The font (DejaVu Sans, subset to
//! Latin and Vietnamese) is compiled in, so diacritics render on any machine and in any reader.
//! Bold is the regular face filled and stroked: one embedded font instead of two halves the
//! font data every PDF must compress, the largest cost of sending a report.
//!
//! printpdf draws text where it is told; line breaking and pagination are done here, from the
//! font's advance widths.

use std::sync::LazyLock;

use printpdf::{
    Color, FontId, Op, ParsedFont, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt,
    Rect, Rgb, TextItem, TextRenderingMode,
};
use unicode_normalization::UnicodeNormalization;

use super::render::{ProgressTable, Report, change_text, points};
use crate::db::responses::PreviousResult;

const REGULAR_TTF: &[u8] = include_bytes!("../../static/fonts/DejaVuSans.ttf");

static REGULAR: LazyLock<Face> = LazyLock::new(|| Face::parse(REGULAR_TTF));

/// A parsed font with its advance widths in a table by code point: line breaking measures
/// every candidate line, and the font's own maps are too slow for that.
struct Face {
    font: ParsedFont,
    /// Advance in font units; `MISSING` when the font has no glyph for the code point.
    advance: Vec<u16>,
    units_per_em: f32,
}

const MISSING: u16 = u16::MAX;

impl Face {
    fn parse(bytes: &[u8]) -> Face {
        let font =
            ParsedFont::from_bytes(bytes, 0, &mut Vec::new()).expect("the bundled font parses");
        let last = font.codepoint_to_glyph.keys().copied().max().unwrap_or(0);
        let mut advance = vec![MISSING; last as usize + 1];
        for (&cp, &gid) in &font.codepoint_to_glyph {
            advance[cp as usize] = font.get_glyph_width(gid).unwrap_or(0).min(MISSING - 1);
        }
        Face {
            units_per_em: f32::from(font.units_per_em.max(1)),
            font,
            advance,
        }
    }

    fn has(&self, c: char) -> bool {
        self.advance.get(c as usize).is_some_and(|&a| a != MISSING)
    }

    fn units(&self, c: char) -> u32 {
        match self.advance.get(c as usize) {
            Some(&a) if a != MISSING => u32::from(a),
            _ => 0,
        }
    }
}

// A4 in points.
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 50.0;
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN;

#[derive(Clone, Copy)]
struct Style {
    bold: bool,
    size: f32,
    color: (f32, f32, f32),
    indent: f32,
}

const INK: (f32, f32, f32) = (0.12, 0.16, 0.2);
const MUTED: (f32, f32, f32) = (0.32, 0.38, 0.43);
const ACCENT: (f32, f32, f32) = (0.11, 0.31, 0.85);
const TRACK: (f32, f32, f32) = (0.89, 0.91, 0.92);

const BODY: Style = Style {
    bold: false,
    size: 10.5,
    color: INK,
    indent: 0.0,
};

impl Style {
    fn bold(self) -> Style {
        Style { bold: true, ..self }
    }
    fn size(self, size: f32) -> Style {
        Style { size, ..self }
    }
    fn color(self, color: (f32, f32, f32)) -> Style {
        Style { color, ..self }
    }
    fn indent(self, indent: f32) -> Style {
        Style { indent, ..self }
    }
}

fn rgb((r, g, b): (f32, f32, f32)) -> Color {
    Color::Rgb(Rgb {
        r,
        g,
        b,
        icc_profile: None,
    })
}

/// Lays out lines top to bottom and starts a new page when one is full.
struct Writer {
    regular: FontId,
    pages: Vec<Vec<Op>>,
    ops: Vec<Op>,
    /// Baseline of the next line, from the bottom of the page.
    y: f32,
}

impl Writer {
    fn font(&self, bold: bool) -> (&'static Face, f32) {
        // A stroked outline widens every glyph a little; measure with that in mind.
        (&REGULAR, if bold { 1.04 } else { 1.0 })
    }

    fn new_page(&mut self) {
        let ops = std::mem::take(&mut self.ops);
        self.pages.push(ops);
        self.y = PAGE_H - MARGIN;
    }

    fn ensure(&mut self, height: f32) {
        if self.y - height < MARGIN + 20.0 {
            self.new_page();
        }
    }

    fn space(&mut self, height: f32) {
        self.y -= height;
    }

    fn line_at(&mut self, text: &str, style: Style, x: f32, y: f32) {
        let (mode, stroke) = if style.bold {
            (TextRenderingMode::FillStroke, style.size * 0.045)
        } else {
            (TextRenderingMode::Fill, 0.0)
        };
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFont {
                font: PdfFontHandle::External(self.regular.clone()),
                size: Pt(style.size),
            },
            Op::SetTextRenderingMode { mode },
            Op::SetOutlineThickness { pt: Pt(stroke) },
            Op::SetOutlineColor {
                col: rgb(style.color),
            },
            Op::SetFillColor {
                col: rgb(style.color),
            },
            Op::SetTextCursor {
                pos: Point { x: Pt(x), y: Pt(y) },
            },
            Op::ShowText {
                items: vec![TextItem::Text(text.to_string())],
            },
            Op::EndTextSection,
        ]);
    }

    /// Writes wrapped text; returns the number of lines.
    fn paragraph(&mut self, text: &str, style: Style) -> usize {
        self.write(text, style, false)
    }

    /// Like `paragraph`, but never split across pages.
    fn block(&mut self, text: &str, style: Style) -> usize {
        self.write(text, style, true)
    }

    fn write(&mut self, text: &str, style: Style, keep_together: bool) -> usize {
        let (font, widen) = self.font(style.bold);
        let text = printable(font, text);
        let lines = wrap(font, style.size * widen, &text, CONTENT_W - style.indent);
        let line_height = style.size * 1.4;
        if keep_together {
            self.ensure(line_height * lines.len() as f32);
        }
        for line in &lines {
            self.ensure(line_height);
            self.y -= line_height;
            self.line_at(
                line,
                style,
                MARGIN + style.indent,
                self.y + style.size * 0.3,
            );
        }
        lines.len()
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, color: (f32, f32, f32)) {
        if w <= 0.0 {
            return;
        }
        self.ops.extend([
            Op::SetFillColor { col: rgb(color) },
            Op::DrawRectangle {
                rectangle: Rect::from_xywh(Pt(x), Pt(y), Pt(w), Pt(h)),
            },
        ]);
    }

    /// One dimension: title, a bar and the score on one row.
    fn dimension_row(&mut self, title: &str, score: Option<f64>) {
        let row = 18.0;
        self.ensure(row);
        self.y -= row;
        let title_w = CONTENT_W * 0.48;
        let (font, _) = self.font(false);
        let full = printable(font, title);
        let mut shown = full.clone();
        let mut keep = full.chars().count();
        while text_width(font, BODY.size, &shown) > title_w - 6.0 && keep > 1 {
            keep -= 1;
            shown = full.chars().take(keep).collect::<String>() + "…";
        }
        self.line_at(&shown, BODY, MARGIN, self.y + 5.0);
        let bar_x = MARGIN + title_w;
        let bar_w = CONTENT_W * 0.42;
        let filled = score.map_or(0.0, |s| s.clamp(0.0, 100.0) as f32 / 100.0 * bar_w);
        self.rect(bar_x, self.y + 3.0, bar_w, 9.0, TRACK);
        self.rect(bar_x, self.y + 3.0, filled, 9.0, ACCENT);
        let value = score.map_or_else(|| "–".to_string(), points);
        let (font, widen) = self.font(true);
        let w = text_width(font, BODY.size * widen, &value);
        self.line_at(&value, BODY.bold(), MARGIN + CONTENT_W - w, self.y + 5.0);
    }

    /// One row of a table: a title cut to the first column, then `cells` right-aligned in
    /// equal columns across the rest.
    fn table_row(&mut self, title: &str, cells: &[String], style: Style) {
        let row = style.size * 1.7;
        self.ensure(row);
        self.y -= row;
        let title_w = CONTENT_W * 0.36;
        let (font, widen) = self.font(style.bold);
        let full = printable(font, title);
        let mut shown = full.clone();
        let mut keep = full.chars().count();
        while text_width(font, style.size * widen, &shown) > title_w - 6.0 && keep > 1 {
            keep -= 1;
            shown = full.chars().take(keep).collect::<String>() + "…";
        }
        self.line_at(&shown, style, MARGIN, self.y + 5.0);
        let column_w = (CONTENT_W - title_w) / cells.len().max(1) as f32;
        for (n, cell) in cells.iter().enumerate() {
            let text = printable(font, cell);
            let w = text_width(font, style.size * widen, &text);
            let right = MARGIN + title_w + column_w * (n + 1) as f32;
            self.line_at(&text, style, right - w, self.y + 5.0);
        }
    }

    /// Progress across the firm's assessments: a column per assessment and the change.
    fn progress(&mut self, r: &Report<'_>, progress: &ProgressTable) {
        self.ensure(60.0 + 14.0 * progress.rows.len() as f32);
        self.paragraph(
            r.t(
                "Tiến bộ qua các lần đánh giá",
                "Progress across your assessments",
            ),
            BODY.bold().size(14.0),
        );
        let mut headings: Vec<String> = progress
            .headings
            .iter()
            .map(|h| h.split(" · ").next().unwrap_or(h).to_string())
            .collect();
        headings.push(r.t("Thay đổi", "Change").to_string());
        let small = BODY.size(8.5).color(MUTED);
        self.table_row(r.t("Khía cạnh", "Dimension"), &headings, small.bold());
        let mut dates: Vec<String> = progress
            .headings
            .iter()
            .map(|h| h.split(" · ").nth(1).unwrap_or_default().to_string())
            .collect();
        dates.push(String::new());
        self.table_row("", &dates, small);
        for (n, row) in progress.rows.iter().enumerate() {
            let mut cells: Vec<String> = row
                .scores
                .iter()
                .map(|s| s.map_or_else(|| "–".to_string(), points))
                .collect();
            cells.push(change_text(row.change));
            let style = if n == 0 { BODY.bold() } else { BODY.size(9.5) };
            self.table_row(&row.title, &cells, style);
        }
        if progress.omitted > 0 {
            let note = match r.lang {
                crate::domain::Lang::Vi => {
                    format!(
                        "{} lần đánh giá ở giữa không hiện trong bảng.",
                        progress.omitted
                    )
                }
                crate::domain::Lang::En => {
                    format!(
                        "{} assessment(s) in between are not shown.",
                        progress.omitted
                    )
                }
            };
            self.paragraph(&note, small);
        }
    }

    fn finish(mut self, footer: &str) -> Vec<PdfPage> {
        self.new_page();
        let count = self.pages.len();
        let pages = std::mem::take(&mut self.pages);
        pages
            .into_iter()
            .enumerate()
            .map(|(n, mut ops)| {
                let label = format!("{footer} · {}/{count}", n + 1);
                let style = BODY.size(8.0).color(MUTED);
                // `self.ops` is empty once the last page is pushed: use it to draw the footer.
                self.line_at(&label, style, MARGIN, MARGIN - 20.0);
                ops.append(&mut self.ops);
                PdfPage::new(Pt(PAGE_W).into(), Pt(PAGE_H).into(), ops)
            })
            .collect()
    }
}

/// NFC (precomposed Vietnamese letters), no control characters, and a `?` for anything the
/// bundled font cannot draw (a business name in another script, say).
fn printable(font: &Face, text: &str) -> String {
    text.nfc()
        .map(|c| if c.is_control() { ' ' } else { c })
        .map(|c| if font.has(c) { c } else { '?' })
        .collect()
}

fn text_width(font: &Face, size: f32, text: &str) -> f32 {
    let units: u32 = text.chars().map(|c| font.units(c)).sum();
    units as f32 * size / font.units_per_em
}

/// Greedy word wrap; a word longer than the line (a URL) is broken by characters.
fn wrap(font: &Face, size: f32, text: &str, width: f32) -> Vec<String> {
    // Work in font units so each word is measured once.
    let limit = (width * font.units_per_em / size).floor() as u32;
    let space = font.units(' ');
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        let mut used = 0u32;
        for word in para.split_whitespace() {
            let w: u32 = word.chars().map(|c| font.units(c)).sum();
            let extra = if line.is_empty() { w } else { space + w };
            if used + extra <= limit {
                if !line.is_empty() {
                    line.push(' ');
                }
                line.push_str(word);
                used += extra;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                used = 0;
            }
            if w <= limit {
                line.push_str(word);
                used = w;
                continue;
            }
            for c in word.chars() {
                let cw = font.units(c);
                if used + cw > limit && !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                    used = 0;
                }
                line.push(c);
                used += cw;
            }
        }
        lines.push(line);
    }
    lines
}

/// Renders the full roadmap: result, every dimension, barriers, and every roadmap item with
/// why, evidence, steps and support; with the change since the earlier assessment the result
/// names.
pub fn roadmap_pdf(r: &Report<'_>) -> Vec<u8> {
    roadmap_pdf_with(r, &r.known_history())
}

/// [`roadmap_pdf`] with progress across `history`, the firm's earlier assessments oldest first
/// (T0 → T1 → … → this one).
pub fn roadmap_pdf_with(r: &Report<'_>, history: &[PreviousResult]) -> Vec<u8> {
    let title = r
        .t(
            "Lộ trình chuyển đổi số của doanh nghiệp",
            "Your digital-transformation roadmap",
        )
        .to_string();
    let mut doc = PdfDocument::new(&title);
    doc.metadata.info.author = "dxready".into();
    doc.metadata.info.creator = "dxready".into();
    let regular = doc.add_font(&REGULAR.font);
    let mut w = Writer {
        regular,
        pages: Vec::new(),
        ops: Vec::new(),
        y: PAGE_H - MARGIN,
    };

    w.paragraph("dxready", BODY.bold().size(11.0).color(ACCENT));
    w.paragraph(&title, BODY.bold().size(20.0));
    if let Some(name) = &r.result.business_name {
        w.paragraph(name, BODY.size(13.0));
    }
    let date = r.result.submitted_at.format("%d/%m/%Y").to_string();
    w.paragraph(
        &format!(
            "{} {date} · {} {}",
            r.t("Ngày đánh giá:", "Assessed on"),
            r.t("Bảng hỏi", "Questionnaire"),
            r.result.questionnaire_version
        ),
        BODY.color(MUTED),
    );
    w.space(12.0);

    w.paragraph(
        &format!(
            "{}: {}/100",
            r.t("Điểm tổng", "Overall score"),
            points(r.result.score.overall)
        ),
        BODY.bold().size(16.0).color(ACCENT),
    );
    w.paragraph(&r.level_name(), BODY.bold().size(13.0));
    w.paragraph(r.level_meaning(), BODY);
    w.space(12.0);

    w.paragraph(
        r.t("Điểm theo từng khía cạnh", "Scores by dimension"),
        BODY.bold().size(14.0),
    );
    for (title, score) in r.dimensions() {
        w.dimension_row(title, score);
    }
    w.space(12.0);

    if let Some(progress) = r.progress(history) {
        w.progress(r, &progress);
        w.space(12.0);
    }

    if !r.result.score.barriers.is_empty() {
        w.paragraph(
            r.t("Những rào cản chính", "Main barriers"),
            BODY.bold().size(14.0),
        );
        for b in &r.result.score.barriers {
            if let Some(barrier) = r.def.barrier(&b.id) {
                w.paragraph(r.tx(&barrier.title), BODY.bold());
                w.paragraph(r.tx(&barrier.description), BODY.indent(12.0));
            }
        }
        w.space(12.0);
    }

    w.paragraph(r.t("Lộ trình", "Roadmap"), BODY.bold().size(14.0));
    for (phase, items) in r.phases(false) {
        w.space(6.0);
        w.ensure(60.0);
        w.paragraph(r.tx(&phase.title()), BODY.bold().size(13.0).color(ACCENT));
        for item in items {
            w.space(4.0);
            w.ensure(40.0);
            w.paragraph(&format!("■ {}", r.tx(&item.title)), BODY.bold());
            let inner = BODY.indent(12.0);
            w.block(r.tx(&item.why), inner);
            for e in &item.evidence {
                let e = e.describe(r.def);
                w.paragraph(
                    &format!("{}: {}", r.tx(&e.label), r.tx(&e.value)),
                    inner.size(9.0).color(MUTED),
                );
            }
            if !item.steps.is_empty() {
                w.paragraph(r.t("Các bước:", "Steps:"), inner.bold());
                for (n, step) in item.steps.iter().enumerate() {
                    w.paragraph(&format!("{}. {}", n + 1, r.tx(step)), inner.indent(20.0));
                }
            }
            for s in &item.support {
                let mut line = format!(
                    "{} {} ({})",
                    r.t("Hỗ trợ:", "Support:"),
                    r.tx(&s.title),
                    r.tx(&s.provider)
                );
                if let Some(to) = s.valid_to {
                    line.push_str(&format!(
                        " · {} {}",
                        r.t("đến", "until"),
                        to.format("%d/%m/%Y")
                    ));
                }
                w.paragraph(&line, inner.color(ACCENT));
                w.paragraph(r.tx(&s.description), inner.indent(20.0).size(9.5));
                if let Some(url) = &s.url {
                    w.paragraph(url, inner.indent(20.0).size(9.0).color(MUTED));
                }
            }
        }
    }
    w.space(16.0);
    w.paragraph(
        r.t(
            "Xem kết quả trực tuyến (liên kết riêng của bạn):",
            "Your result online (your private link):",
        ),
        BODY.bold(),
    );
    w.paragraph(&r.result_url(), BODY.color(ACCENT));
    w.paragraph(
        r.t(
            "Hãy làm lại bài đánh giá sau 6–12 tháng để thấy doanh nghiệp đã tiến bộ thế nào.",
            "Take the assessment again in 6–12 months to see how far you have come.",
        ),
        BODY,
    );
    w.space(8.0);
    w.block(&r.identity(), BODY.size(8.5).color(MUTED));

    let pages = w.finish(&format!("dxready · {}", r.level_name()));
    doc.with_pages(pages);
    serialize(&doc)
}

/// Writes the document with its streams compressed. printpdf would subset and deflate the
/// bundled font again for every PDF — three quarters of the CPU a report e-mail costs — while
/// the font (already cut down to Vietnamese and Latin) is the same every time: it is embedded
/// whole and deflated once per process.
fn serialize(doc: &PdfDocument) -> Vec<u8> {
    static FONT_DEFLATED: LazyLock<Vec<u8>> =
        LazyLock::new(|| deflate(REGULAR_TTF, flate2::Compression::best()));
    let options = PdfSaveOptions {
        optimize: false,
        subset_fonts: false,
        ..PdfSaveOptions::default()
    };
    let mut pdf = doc.to_lopdf_document(&options, &mut Vec::new());
    for object in pdf.objects.values_mut() {
        let lopdf::Object::Stream(stream) = object else {
            continue;
        };
        if stream.dict.get(b"Filter").is_ok() {
            continue;
        }
        let deflated = if stream.content == REGULAR_TTF {
            FONT_DEFLATED.clone()
        } else {
            // Page text compresses well even at the fastest level, which costs a fifth.
            deflate(&stream.content, flate2::Compression::fast())
        };
        if deflated.len() < stream.content.len() {
            stream.dict.set("Filter", "FlateDecode");
            stream.set_content(deflated);
        }
    }
    let mut out = Vec::new();
    pdf.save_to(&mut out)
        .expect("writing a PDF to memory cannot fail");
    out
}

fn deflate(bytes: &[u8], level: flate2::Compression) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), level);
    encoder
        .write_all(bytes)
        .expect("writing to memory cannot fail");
    encoder.finish().expect("writing to memory cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_font_draws_vietnamese() {
        for c in "ĐđĂăÂâÊêÔôƠơƯưẠảẤầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ–…₫".chars()
        {
            assert!(REGULAR.has(c), "{c}");
        }
        // Decomposed input is composed first.
        assert_eq!(printable(&REGULAR, "Vie\u{0302}\u{0323}t"), "Việt");
        assert_eq!(printable(&REGULAR, "漢"), "?");
    }

    #[test]
    fn wraps_to_the_width() {
        let text = "Doanh nghiệp nên bắt đầu bằng hóa đơn điện tử và chữ ký số trước khi mở rộng";
        let lines = wrap(&REGULAR, 10.0, text, 150.0);
        assert!(lines.len() > 2);
        for l in &lines {
            assert!(text_width(&REGULAR, 10.0, l) <= 150.0, "{l}");
        }
        assert_eq!(lines.join(" "), text);
        let url = "https://example.vn/".to_string() + &"a".repeat(200);
        assert!(wrap(&REGULAR, 10.0, &url, 100.0).len() > 3);
    }
}
