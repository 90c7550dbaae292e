//! The start page and the privacy page.

use axum::extract::State;
use maud::{Markup, html};

use crate::web::AppState;
use crate::web::lang::PageLang;
use crate::web::views::layout::{page_with, t};

pub async fn landing(State(state): State<AppState>, PageLang(lang): PageLang) -> Markup {
    let questionnaires = state.questionnaires.latest();
    let minutes = questionnaires.first().map_or(12, |d| d.estimated_minutes);
    page_with(
        lang,
        t(
            lang,
            "Đánh giá mức độ sẵn sàng chuyển đổi số",
            "Digital readiness check",
        ),
        "/",
        None,
        html! {
            h1 { (t(lang, "Doanh nghiệp của bạn đã sẵn sàng chuyển đổi số đến đâu?", "How ready is your business for digital transformation?")) }
            p.lead { (t(lang,
                "Trả lời một bộ câu hỏi ngắn để biết điểm và mức sẵn sàng (Mức 0–5), những rào cản chính, và nhận một lộ trình từng bước dành riêng cho doanh nghiệp của bạn, kèm các chương trình hỗ trợ bạn có thể đăng ký.",
                "Answer a short set of questions to see your score and readiness level (0–5), your main barriers, and get a step-by-step roadmap made for your business, with the support programmes you can claim.")) }
            ul.facts {
                li { strong { (t(lang, "Thời gian: ", "Time: ")) } (t(lang, "khoảng ", "about ")) (minutes) (t(lang, " phút, trên điện thoại hoặc máy tính.", " minutes, on a phone or a computer.")) }
                li { strong { (t(lang, "Bạn cần chuẩn bị: ", "You need: ")) } (t(lang, "không cần giấy tờ, không cần số liệu chính xác — chỉ chọn khoảng phù hợp.", "no documents and no exact figures — just pick the closest range.")) }
                li { strong { (t(lang, "Dành cho: ", "For: ")) } (t(lang, "chủ doanh nghiệp nhỏ và vừa, hộ kinh doanh, hợp tác xã.", "owners of small and medium businesses, household businesses and cooperatives.")) }
                li { strong { (t(lang, "Lưu và làm tiếp: ", "Save and continue: ")) } (t(lang, "câu trả lời được lưu sau mỗi trang; bạn nhận một đường liên kết để làm tiếp trên thiết bị khác.", "answers are saved after every page; you get a link to finish later on another device.")) }
            }
            h2 { (t(lang, "Chúng tôi thu thập gì và vì sao", "What we collect and why")) }
            p { (t(lang,
                "Tên doanh nghiệp, tỉnh/thành, ngành, quy mô và câu trả lời của bạn, để tính điểm và lập lộ trình. E-mail và số điện thoại là không bắt buộc. Chúng tôi không thu thập chứng từ tài chính, danh sách khách hàng hay số liệu chính xác. Mỗi mục đích sử dụng dữ liệu có ô đồng ý riêng, không được đánh dấu sẵn, và bạn có thể rút lại bất cứ lúc nào (Luật Bảo vệ dữ liệu cá nhân số 91/2025/QH15).",
                "Your business name, province, sector, size and answers, to compute your score and roadmap. E-mail and phone are optional. We never collect financial documents, customer lists or exact figures. Each use of your data has its own unticked consent box, and you can withdraw at any time (Personal Data Protection Law No. 91/2025/QH15).")) }
            @for def in &questionnaires {
                a.button.button-start href={ "/s/" (def.id) } role="button" { (t(lang, "Bắt đầu đánh giá", "Start the check")) " →" }
            }
            p { a href="/privacy" { (t(lang, "Đọc thêm về quyền riêng tư", "More about privacy")) } }
        },
    )
}

pub async fn privacy(PageLang(lang): PageLang) -> Markup {
    page_with(
        lang,
        t(lang, "Quyền riêng tư và dữ liệu", "Privacy and data"),
        "/privacy",
        None,
        html! {
            h1 { (t(lang, "Quyền riêng tư và dữ liệu", "Privacy and data")) }
            p { (t(lang,
                "Câu trả lời được dùng để tính điểm, lập lộ trình và — chỉ ở dạng tổng hợp, không nêu tên — để cơ quan quản lý theo dõi tiến độ chuyển đổi số của địa phương. Các nhóm dưới 5 doanh nghiệp không được hiển thị.",
                "Answers are used to compute your score and roadmap and — only in aggregate, without names — for the authorities to follow the province's digital-transformation progress. Groups of fewer than 5 businesses are never shown.")) }
            ul {
                li { (t(lang, "Gửi báo cáo qua e-mail: chỉ khi bạn đồng ý.", "E-mailing your report: only if you agree.")) }
                li { (t(lang, "Tổ chức hỗ trợ liên hệ: chỉ khi bạn đồng ý, và chỉ tổ chức phụ trách tỉnh của bạn.", "Contact by support agencies: only if you agree, and only the agencies serving your province.")) }
                li { (t(lang, "Hiển thị tên doanh nghiệp cho cán bộ: chỉ khi bạn đồng ý.", "Showing your business name to officials: only if you agree.")) }
            }
            p { (t(lang,
                "Bạn có thể rút lại đồng ý hoặc xóa dữ liệu bằng đường liên kết ở trang kết quả và trong mọi e-mail.",
                "You can withdraw consent or delete your data through the link on your result page and in every e-mail.")) }
        },
    )
}
