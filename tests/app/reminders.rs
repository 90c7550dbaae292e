//! Re-assessment by e-mail (issue 13): an agency's invitation and the six-month reminder, each
//! a single-use link that starts a draft linked to the earlier result; progress T0 → T1 → T2 in
//! the report; and no e-mail address or phone number in the logs. Real SMTP to the sink, the
//! real worker, SQLite and PostgreSQL.

use crate::backend_test;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{Months, Utc};
use dxready::auth::Role;
use dxready::db::accounts::{AccountFields, AgencyFields};
use dxready::db::entities::{reassess_link, response};
use dxready::db::outbox::OutboxMessage;
use dxready::usecases::Clock;
use dxready::usecases::reminders::queue_due;
use reqwest::{Client, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::email::parse_mail;
use crate::fixtures::{Pick, answers, body};
use crate::helpers::{
    Backend, POSTGRES_ENV, Received, TestApp, browser, csrf, dxready, fast_worker, fresh_database,
    get, hidden_input, location, post_form, sign_in, text,
};

const QID: &str = "dxready-sme";
const RESPONSES: &str = "/api/v1/questionnaires/dxready-sme/responses";
const PASSWORD: &str = "correct horse battery";

// ---------- fixtures ----------

async fn add_agency_user(app: &TestApp, slug: &str, province: &str, email: &str) {
    let fields = AgencyFields {
        slug: slug.into(),
        name: format!("Trung tâm hỗ trợ {slug}"),
        provinces: vec![province.into()],
        barriers: Vec::new(),
    };
    let (agency, _) = dxready::db::accounts::upsert_agency(&app.state.db, &fields)
        .await
        .expect("agency");
    let hash = dxready::auth::password::hash(PASSWORD.into())
        .await
        .expect("hash");
    let fields = AccountFields {
        email: email.into(),
        role: Role::Agency,
        agency_id: Some(agency.id),
        province: None,
    };
    dxready::db::accounts::create_account(&app.state.db, &fields, &hash)
        .await
        .expect("account");
}

async fn signed_in(app: &TestApp, email: &str) -> Client {
    let client = browser();
    let res = sign_in(app, &client, email, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "sign-in of {email}");
    client
}

async fn definition(app: &TestApp) -> Value {
    app.get(&format!("/api/v1/questionnaires/{QID}"))
        .await
        .json()
        .await
        .unwrap()
}

/// Submits over the API (a firm in Hưng Yên); answers the result token and the response id.
async fn submit(
    app: &TestApp,
    pick: Pick,
    contact: Value,
    previous: Option<&str>,
) -> (String, Uuid) {
    let def = definition(app).await;
    let mut request = body(&def, pick);
    request["contact"] = contact;
    if let Some(previous) = previous {
        request["previous"] = previous.into();
    }
    let res = app.post_json(RESPONSES, &request).await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    let token = created["token"].as_str().unwrap().to_string();
    let id = dxready::db::responses::find_result(&app.state.db, &app.state.questionnaires, &token)
        .await
        .unwrap()
        .unwrap()
        .response_id;
    (token, id)
}

fn reminder_contact(email: &str) -> Value {
    json!({"email": email, "phone": "0912 345 678", "consent_reminder": true})
}

/// The first `<path>?…=TOKEN` or `<path>TOKEN…` link in `text` that starts with `prefix`.
fn token_after(text: &str, prefix: &str) -> String {
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} in {text}"))
        + prefix.len();
    text[start..start + 22].to_string()
}

async fn wait_for_mail(app: &TestApp, count: usize) -> Vec<Received> {
    app.sink()
        .wait_for_mail(count, Duration::from_secs(30))
        .await
}

async fn wait_all_settled(app: &TestApp) -> Vec<OutboxMessage> {
    app.wait_for(Duration::from_secs(30), "every message settled", |rows| {
        rows.iter()
            .all(|r| r.status == "sent" || r.status == "failed")
    })
    .await
}

async fn get_page(app: &TestApp, client: &Client, path: &str) -> (StatusCode, String) {
    text(get(app, client, path).await).await
}

/// Posts `fields` to `action` with the CSRF token of the page at `page`.
async fn post_page(
    app: &TestApp,
    client: &Client,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let token = csrf(app, client, page).await;
    let mut form = vec![("csrf_token", token.as_str())];
    form.extend_from_slice(fields);
    post_form(app, client, action, &form).await
}

/// From the business step of a started draft to the result: the remaining steps with `pick`
/// answers, then the contact step with `email` and the report consent. Answers the result path.
async fn finish_walk(app: &TestApp, client: &Client, pick: Pick, email: &str) -> String {
    let def = definition(app).await;
    let answers = answers(&def, pick);
    let business = format!("/s/{QID}/step/business");
    let res = post_page(
        app,
        client,
        &business,
        &business,
        &[
            ("name", "Cửa hàng Minh Anh"),
            ("province", "hung-yen"),
            ("sector", "retail"),
            ("employees", "6"),
            ("trade", "none"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let mut step = location(&res);
    for section in def["sections"].as_array().unwrap() {
        let id = section["id"].as_str().unwrap();
        assert_eq!(step, format!("/s/{QID}/step/{id}"));
        let mut fields: Vec<(String, String)> = Vec::new();
        for q in section["questions"].as_array().unwrap() {
            let qid = q["id"].as_str().unwrap();
            match answers.get(qid) {
                Some(Value::String(v)) => fields.push((qid.into(), v.clone())),
                Some(Value::Array(vs)) => fields.extend(
                    vs.iter()
                        .map(|v| (qid.to_string(), v.as_str().unwrap().to_string())),
                ),
                Some(Value::Number(n)) => fields.push((qid.into(), n.to_string())),
                _ => {}
            }
        }
        let fields: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let res = post_page(app, client, &step, &step, &fields).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{id}");
        step = location(&res);
    }
    assert_eq!(step, format!("/s/{QID}/step/contact"));
    let res = post_page(
        app,
        client,
        &step,
        &step,
        &[
            ("consent-processing", "yes"),
            ("email", email),
            ("consent-email_report", "yes"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let review = format!("/s/{QID}/review");
    assert_eq!(location(&res), review);
    let res = post_page(app, client, &review, &format!("/s/{QID}/submit"), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let result = location(&res);
    assert!(result.starts_with("/r/"), "{result}");
    result
}

fn plain_text(mail: &Received) -> String {
    parse_mail(&mail.data).text("text/plain")
}

// ---------- the invitation ----------

/// An agency invites a firm it follows up; the e-mail's link starts, once, a draft linked to
/// the firm's last result and pre-filled; the new result and its report show progress
/// T0 → T1 → T2. Another agency's lead is 404; a second invitation within 7 days is refused.
async fn an_invitation_starts_a_linked_re_assessment_with_progress(backend: Backend) {
    let Some(app) = TestApp::builder(backend)
        .with_mail_sink()
        .worker(Some(fast_worker()))
        .spawn()
        .await
    else {
        return;
    };
    add_agency_user(&app, "hy", "hung-yen", "a@hy.vn").await;
    add_agency_user(&app, "hn", "ha-noi", "b@hn.vn").await;
    let shared =
        json!({"email": "owner@minhanh.vn", "phone": "0912 345 678", "consent_followup": true});
    let (t0, _) = submit(&app, Pick::Worst, shared.clone(), None).await;
    let (_, lead) = submit(&app, Pick::Varied(3), shared, Some(&t0)).await;
    let invite = format!("/followup/{lead}/invite");

    // Not in the other agency's scope, not a lead at all, not without the form's token.
    let other = signed_in(&app, "b@hn.vn").await;
    let res = post_page(&app, &other, "/followup", &invite, &[]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = post_page(
        &app,
        &other,
        "/followup",
        &format!("/followup/{}/invite", Uuid::new_v4()),
        &[],
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let agency = signed_in(&app, "a@hy.vn").await;
    let res = post_form(&app, &agency, &invite, &[("csrf_token", "forged")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let lead_page = format!("/followup/{lead}");
    let (status, page) = get_page(&app, &agency, &lead_page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(&format!("action=\"{invite}\"")),
        "the lead page offers the invitation"
    );
    assert!(page.contains("owner@minhanh.vn"));
    let res = post_page(&app, &agency, &lead_page, &invite, &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), format!("{lead_page}?invited=1"));
    let res = post_page(&app, &agency, &lead_page, &invite, &[]).await;
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "one per 7 days"
    );
    let refusal = res.text().await.unwrap();
    assert!(
        refusal.contains("tối đa một lời mời mỗi 7 ngày"),
        "{refusal}"
    );
    let (_, page) = get_page(&app, &agency, &lead_page).await;
    assert!(
        page.contains("Lời mời gần nhất"),
        "the page says when it went"
    );
    assert!(
        !page.contains(&format!("action=\"{invite}\"")),
        "and offers no second one"
    );

    let audit = dxready::db::audit::search(
        &app.state.db,
        &dxready::db::audit::Filter {
            action: Some("invitation_sent".into()),
            ..Default::default()
        },
        10,
    )
    .await
    .unwrap();
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0].actor, "a@hy.vn");
    assert_eq!(audit[0].object.as_deref(), Some(lead.to_string().as_str()));
    let hash = dxready::auth::password::hash(PASSWORD.into())
        .await
        .unwrap();
    let admin = AccountFields {
        email: "admin@city.vn".into(),
        role: Role::Admin,
        agency_id: None,
        province: None,
    };
    dxready::db::accounts::create_account(&app.state.db, &admin, &hash)
        .await
        .unwrap();
    let admin = signed_in(&app, "admin@city.vn").await;
    let (_, audit_page) = get_page(&app, &admin, "/admin/audit?action=invitation_sent").await;
    assert!(
        audit_page.contains(&lead.to_string()),
        "admins filter on it"
    );
    assert!(
        !audit_page.contains("<code>lead_viewed</code>"),
        "and only on it"
    );

    // The e-mail: to the shared address, a re-take link and a withdraw link.
    let mail = wait_for_mail(&app, 1).await;
    assert_eq!(mail[0].to, ["owner@minhanh.vn"]);
    let parsed = parse_mail(&mail[0].data);
    assert!(
        parsed.subject().contains("Lời mời đánh giá lại"),
        "{}",
        parsed.subject()
    );
    let body = plain_text(&mail[0]);
    assert!(
        body.contains("Trung tâm hỗ trợ hy"),
        "names the agency: {body}"
    );
    let retake = token_after(&body, &format!("/s/{QID}?invite="));
    let withdraw = token_after(&body, "/r/");
    assert_ne!(retake, withdraw);
    assert!(body.contains(&format!("/r/{withdraw}/withdraw")));
    assert!(
        parsed
            .header("List-Unsubscribe")
            .is_some_and(|h| h.contains(&format!("/r/{withdraw}/withdraw")))
    );
    let sent = wait_all_settled(&app).await;
    assert!(
        sent.iter().all(|m| m.status == "sent" && m.token.is_none()),
        "{sent:?}"
    );
    let links = reassess_link::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(links.len(), 1);
    assert_ne!(links[0].token_hash, retake, "stored hashed");
    assert_eq!(
        get(&app, &browser(), &format!("/r/{withdraw}/withdraw"))
            .await
            .status(),
        StatusCode::OK,
        "the withdraw link works"
    );
    assert_eq!(
        get(&app, &browser(), &format!("/r/{withdraw}"))
            .await
            .status(),
        StatusCode::NOT_FOUND,
        "and shows no result"
    );

    // The firm follows the link: a draft linked to the lead, its details filled in.
    let firm = browser();
    let start = format!("/s/{QID}?invite={retake}");
    let (status, page) = get_page(&app, &firm, &start).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        hidden_input(&page, "invite").as_deref(),
        Some(retake.as_str())
    );
    let res = post_page(
        &app,
        &firm,
        &start,
        &format!("/s/{QID}/start"),
        &[("invite", &retake)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, business) = get_page(&app, &firm, &location(&res)).await;
    assert!(
        business.contains("value=\"Cửa hàng Minh Anh\""),
        "the name is filled in"
    );
    assert!(
        business.contains("value=\"hung-yen\" selected"),
        "the province is filled in"
    );
    let draft = response::Entity::find()
        .filter(response::Column::Status.eq("draft"))
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("the draft");
    assert_eq!(draft.previous_response_id, Some(lead));
    assert!(
        !draft.profile.contains("Minh Anh"),
        "the name stays out of the profile"
    );

    // Single use: the link has ended for anyone else.
    let late = browser();
    assert_eq!(get(&app, &late, &start).await.status(), StatusCode::GONE);
    let res = post_page(
        &app,
        &late,
        &format!("/s/{QID}"),
        &format!("/s/{QID}/start"),
        &[("invite", &retake)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::GONE);

    // T2: the result page, the report e-mail and its PDF show the whole way, T0 → T1 → T2.
    let result = finish_walk(&app, &firm, Pick::Best, "owner@minhanh.vn").await;
    let (_, page) = get_page(&app, &firm, &result).await;
    assert!(page.contains("Tiến bộ qua các lần đánh giá"), "{page}");
    for t in ["T0 · ", "T1 · ", "T2 · "] {
        assert!(page.contains(t), "the result page has column {t}");
    }
    let mail = wait_for_mail(&app, 2).await;
    let report = &mail[1];
    let body = plain_text(report);
    assert!(body.contains("TIẾN BỘ QUA CÁC LẦN ĐÁNH GIÁ"), "{body}");
    for t in ["T0 ·", "T1 ·", "T2 ·"] {
        assert!(body.contains(t), "{t} in {body}");
    }
    let html = parse_mail(&report.data).text("text/html");
    assert!(html.contains("Tiến bộ qua các lần đánh giá"));
    let pdf = parse_mail(&report.data)
        .part("application/pdf")
        .contents()
        .to_vec();
    assert_pdf_shows_progress(&app, &pdf, 3);

    // The invitation's withdraw link withdraws the follow-up consent: the lead is gone.
    let holder = browser();
    let page = format!("/r/{withdraw}/withdraw");
    let (_, form) = get_page(&app, &holder, &page).await;
    assert!(
        !form.contains(&format!("href=\"/r/{withdraw}\"")),
        "no link to a result it does not show"
    );
    let res = post_page(
        &app,
        &holder,
        &page,
        &page,
        &[("action", "withdraw:followup")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        get(&app, &agency, &lead_page).await.status(),
        StatusCode::NOT_FOUND
    );
    let _ = app.stop().await;
}
backend_test!(an_invitation_starts_a_linked_re_assessment_with_progress);

/// The PDF's text (poppler's `pdftotext`, when installed) has the progress table with a column
/// per assessment.
fn assert_pdf_shows_progress(app: &TestApp, pdf: &[u8], assessments: usize) {
    assert!(pdf.starts_with(b"%PDF-"));
    let path = app.dir.path().join("progress.pdf");
    std::fs::write(&path, pdf).unwrap();
    let Ok(out) = std::process::Command::new("pdftotext")
        .args(["-layout"])
        .arg(&path)
        .arg("-")
        .output()
    else {
        eprintln!("SKIPPED: the PDF's text (pdftotext is not installed)");
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Tiến bộ qua các lần đánh giá"), "{text}");
    let row = text
        .lines()
        .find(|l| l.contains("Khía cạnh") && l.contains("Thay đổi"))
        .unwrap_or_else(|| panic!("a heading row: {text}"));
    for n in 0..assessments {
        assert!(row.contains(&format!("T{n}")), "T{n} in {row}");
    }
    let progress = &text[text.find(row).unwrap()..];
    let overall = progress
        .lines()
        .find(|l| l.trim_start().starts_with("Điểm tổng"))
        .unwrap_or_else(|| panic!("an overall row: {progress}"));
    let figures = overall
        .split_whitespace()
        .filter(|w| w.trim_start_matches(['+', '−']).parse::<u32>().is_ok())
        .count();
    assert_eq!(
        figures,
        assessments + 1,
        "a score per assessment and the change: {overall}"
    );
}

// ---------- the reminder ----------

/// Six months after its last assessment, a firm that asked gets one reminder: not for an
/// assessment a later one re-takes, not before six months, not without the consent, and not
/// twice (the job runs again; a second instance runs it too).
async fn a_reminder_goes_once_six_months_after_the_last_assessment(backend: Backend) {
    let Some(first) = TestApp::builder(backend).worker(None).spawn().await else {
        return;
    };
    let (x0, _) = submit(&first, Pick::Worst, reminder_contact("x0@firm.vn"), None).await;
    let (_, x1) = submit(
        &first,
        Pick::Best,
        reminder_contact("x1@firm.vn"),
        Some(&x0),
    )
    .await;
    let (_, y0) = submit(
        &first,
        Pick::Varied(2),
        reminder_contact("y0@firm.vn"),
        None,
    )
    .await;
    submit(
        &first,
        Pick::Varied(4),
        json!({"email": "z0@firm.vn"}),
        None,
    )
    .await;
    let (settings, dir) = first.stop().await;
    let later = |months: u32, days: i64| {
        Clock::Fixed(
            Utc::now().checked_add_months(Months::new(months)).unwrap()
                + chrono::Duration::days(days),
        )
    };

    let early = TestApp::reopen(settings.clone(), dir.clone())
        .worker(None)
        .clock(later(5, 27))
        .spawn()
        .await
        .unwrap();
    assert_eq!(
        queue_due(&early.state).await.unwrap(),
        0,
        "not before six months"
    );
    let (settings, dir) = early.stop().await;

    let due = TestApp::reopen(settings.clone(), dir.clone())
        .worker(None)
        .clock(later(6, 1))
        .spawn()
        .await
        .unwrap();
    let twin = due
        .another()
        .worker(None)
        .clock(later(6, 1))
        .spawn()
        .await
        .unwrap();
    let (a, b) = tokio::join!(queue_due(&due.state), queue_due(&twin.state));
    assert_eq!(a.unwrap() + b.unwrap(), 2, "x1 and y0, each once");
    assert_eq!(
        queue_due(&due.state).await.unwrap(),
        0,
        "the second run queues nothing"
    );
    assert_eq!(queue_due(&twin.state).await.unwrap(), 0);
    let reminders: Vec<OutboxMessage> = due
        .messages()
        .await
        .into_iter()
        .filter(|m| m.kind == "reassess_reminder")
        .collect();
    let mut to: Vec<&str> = reminders.iter().map(|m| m.recipient.as_str()).collect();
    to.sort_unstable();
    assert_eq!(to, ["x1@firm.vn", "y0@firm.vn"]);
    assert!(reminders.iter().any(|m| m.response_id == Some(x1)));
    assert!(reminders.iter().any(|m| m.response_id == Some(y0)));
    let _ = twin.stop().await;
    let (settings, dir) = due.stop().await;

    // The worker sends them (and its own run of the job at start adds nothing).
    let sender = TestApp::reopen(settings, dir)
        .with_mail_sink()
        .worker(Some(fast_worker()))
        .clock(later(6, 2))
        .spawn()
        .await
        .unwrap();
    let mail = wait_for_mail(&sender, 2).await;
    let rows = wait_all_settled(&sender).await;
    assert!(rows.iter().all(|r| r.status == "sent"), "{rows:?}");
    assert_eq!(sender.sink().received().len(), 2, "each reminder once");
    let x1_mail = mail
        .iter()
        .find(|m| m.to == ["x1@firm.vn"])
        .expect("x1's reminder");
    let parsed = parse_mail(&x1_mail.data);
    assert!(
        parsed.subject().contains("đánh giá lại"),
        "{}",
        parsed.subject()
    );
    let body = plain_text(x1_mail);
    let retake = token_after(&body, &format!("/s/{QID}?invite="));
    let withdraw = token_after(&body, "/r/");
    assert!(body.contains(&format!("/r/{withdraw}/withdraw")), "{body}");

    // Its link re-takes x1, once.
    let firm = browser();
    let res = post_page(
        &sender,
        &firm,
        &format!("/s/{QID}?invite={retake}"),
        &format!("/s/{QID}/start"),
        &[("invite", &retake)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let draft = response::Entity::find()
        .filter(response::Column::Status.eq("draft"))
        .one(&sender.state.db)
        .await
        .unwrap()
        .expect("the draft");
    assert_eq!(draft.previous_response_id, Some(x1));
    assert_eq!(queue_due(&sender.state).await.unwrap(), 0, "still once");
    let _ = sender.stop().await;
}
backend_test!(a_reminder_goes_once_six_months_after_the_last_assessment);

/// The firm withdraws its reminder consent on the result link's withdraw page.
async fn withdraw_reminder(app: &TestApp, result_token: &str) {
    let client = browser();
    let page = format!("/r/{result_token}/withdraw");
    let res = post_page(
        app,
        &client,
        &page,
        &page,
        &[("action", "withdraw:reassess_reminder")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
}

/// A withdrawn reminder consent stops the reminder: before it is queued (none is), and after
/// (the worker checks again and sends nothing).
async fn no_reminder_after_the_consent_is_withdrawn(backend: Backend) {
    let Some(first) = TestApp::builder(backend).worker(None).spawn().await else {
        return;
    };
    let (w0, _) = submit(&first, Pick::Worst, reminder_contact("w0@firm.vn"), None).await;
    let (v0, _) = submit(&first, Pick::Worst, reminder_contact("v0@firm.vn"), None).await;
    withdraw_reminder(&first, &w0).await;
    let (settings, dir) = first.stop().await;
    let due_at = Clock::Fixed(Utc::now().checked_add_months(Months::new(7)).unwrap());

    let due = TestApp::reopen(settings, dir)
        .worker(None)
        .clock(due_at)
        .spawn()
        .await
        .unwrap();
    assert_eq!(queue_due(&due.state).await.unwrap(), 1, "v0 only");
    let queued = due.messages().await;
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].recipient, "v0@firm.vn");
    // Withdrawn after it was queued, before it went.
    withdraw_reminder(&due, &v0).await;
    let (settings, dir) = due.stop().await;

    let sender = TestApp::reopen(settings, dir)
        .with_mail_sink()
        .worker(Some(fast_worker()))
        .clock(due_at)
        .spawn()
        .await
        .unwrap();
    let rows = sender
        .wait_for(Duration::from_secs(30), "the reminder failed", |rows| {
            rows.len() == 1 && rows[0].status == "failed"
        })
        .await;
    let error = rows[0].last_error.clone().unwrap_or_default();
    assert!(error.contains("withdrawn"), "{error}");
    assert!(sender.sink().received().is_empty(), "nothing was sent");
    assert_eq!(queue_due(&sender.state).await.unwrap(), 0);
    let _ = sender.stop().await;
}
backend_test!(no_reminder_after_the_consent_is_withdrawn);

/// Many firms due at once, four instances on one PostgreSQL database running the job at the
/// same moment: every reminder is queued exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_instances_on_postgres_queue_each_reminder_once() {
    if std::env::var(POSTGRES_ENV).is_err() {
        eprintln!(
            "SKIPPED: four_instances_on_postgres_queue_each_reminder_once ({POSTGRES_ENV} is not set)"
        );
        return;
    }
    let first = TestApp::builder(Backend::Postgres)
        .worker(None)
        .spawn()
        .await
        .unwrap();
    let firms = 30;
    for n in 0..firms {
        submit(
            &first,
            Pick::Varied(n),
            reminder_contact(&format!("f{n}@firm.vn")),
            None,
        )
        .await;
    }
    let due_at = Clock::Fixed(Utc::now().checked_add_months(Months::new(7)).unwrap());
    let mut instances = Vec::new();
    for _ in 0..4 {
        instances.push(
            first
                .another()
                .worker(None)
                .clock(due_at)
                .spawn()
                .await
                .unwrap(),
        );
    }
    let runs = instances.iter().map(|app| queue_due(&app.state));
    let queued: u64 = futures_util::future::join_all(runs)
        .await
        .into_iter()
        .map(Result::unwrap)
        .sum();
    assert_eq!(queued, firms);
    let rows = first.messages().await;
    assert_eq!(rows.len() as u64, firms);
    let mut ids: Vec<_> = rows.iter().map(|r| r.response_id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len() as u64, firms, "one message per firm");
    for app in instances {
        let _ = app.stop().await;
    }
    let _ = first.stop().await;
}

// ---------- no personal data in the logs ----------

/// An SMTP server that refuses every recipient the way real servers do: quoting the address
/// (and, here, a phone number) in its reply.
fn quoting_smtp_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("smtp://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut out = stream.try_clone().unwrap();
                let reader = BufReader::new(stream);
                let _ = out.write_all(b"220 quoting.test ESMTP\r\n");
                for line in reader.lines() {
                    let Ok(line) = line else { break };
                    let upper = line.to_ascii_uppercase();
                    let reply = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        "250 quoting.test".to_string()
                    } else if upper.starts_with("RCPT TO:") {
                        let address = line[8..].trim().trim_matches(['<', '>']).to_string();
                        format!(
                            "550 5.1.1 <{address}>: Recipient address rejected; owner phone 0912 345 678 unknown"
                        )
                    } else if upper.starts_with("QUIT") {
                        let _ = out.write_all(b"221 bye\r\n");
                        break;
                    } else {
                        "250 OK".to_string()
                    };
                    if out.write_all(format!("{reply}\r\n").as_bytes()).is_err() {
                        break;
                    }
                }
            });
        }
    });
    url
}

/// A child process that is killed when the test ends, whether it passes or fails.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `dxready serve` with every log line captured, at debug level and in JSON too: a report to an
/// address the SMTP server refuses, quoting it, fails for good; the log says so, and neither
/// the address nor the phone number is in it (nor in the error kept for admins).
async fn no_address_or_phone_reaches_the_log(backend: Backend) {
    for format in ["text", "json"] {
        let dir = Arc::new(tempfile::tempdir().unwrap());
        let Some(url) = fresh_database(backend, dir.path()).await else {
            return;
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log_path = dir.path().join("serve.log");
        let log = std::fs::File::create(&log_path).unwrap();
        let server = KillOnDrop(
            dxready()
                .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
                .env("DXREADY_DATABASE_URL", &url)
                .env("DXREADY_SMTP_URL", quoting_smtp_server())
                .env("DXREADY_MAIL_DIR", dir.path().join("mail"))
                .env("DXREADY_SUBMIT_RATE", "0")
                .env("DXREADY_LOG_FORMAT", format)
                .env("RUST_LOG", "debug,hyper=info,h2=info,tower=info")
                .stdout(std::process::Stdio::null())
                .stderr(log)
                .spawn()
                .unwrap(),
        );
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while !http
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            assert!(Instant::now() < deadline, "dxready serve did not come up");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let def: Value = http
            .get(format!("{base}/api/v1/questionnaires/{QID}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut request = body(&def, Pick::Varied(5));
        request["contact"] = json!({
            "email": "nguyen.van.an@hungyen-shop.vn",
            "phone": "0912 345 678",
            "consent_email": true,
            "consent_followup": true,
        });
        let res = http
            .post(format!("{base}{RESPONSES}"))
            .json(&request)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        // A malformed submission that quotes the address back is logged nowhere either.
        let res = http
            .post(format!("{base}{RESPONSES}"))
            .json(&json!({"contact": {"email": "nguyen.van.an@hungyen-shop.vn", "phone": 12}}))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_client_error());

        let db = dxready::db::connect(&url).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        let failed = loop {
            let rows = dxready::db::outbox::list(&db, None, 10).await.unwrap();
            if let Some(row) = rows.into_iter().find(|r| r.status == "failed") {
                break row;
            }
            assert!(Instant::now() < deadline, "the report did not fail");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let kept = failed.last_error.unwrap_or_default();
        assert!(kept.contains("550") && kept.contains("[email]"), "{kept}");
        assert!(!kept.contains("hungyen-shop"), "{kept}");
        drop(server);

        let log = std::fs::read_to_string(&log_path).unwrap();
        assert!(
            log.contains("e-mail failed for good"),
            "the failure is logged ({format}): {log}"
        );
        assert!(
            log.contains("[email]"),
            "with the address redacted ({format})"
        );
        for personal in [
            "nguyen.van.an",
            "hungyen-shop",
            "0912 345 678",
            "0912345678",
        ] {
            assert!(
                !log.contains(personal),
                "{personal} in the {format} log:\n{log}"
            );
        }
    }
}
backend_test!(no_address_or_phone_reaches_the_log);
