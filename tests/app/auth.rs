//! Accounts, roles and protection, proved against the real server: sign-in without user
//! enumeration, session fixation, CSRF, cross-site requests, brute force, role and object
//! checks (IDOR), expiry, the admin pages, headers and metrics.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};

use chrono::Utc;
use dxready::auth::Role;
use dxready::db::accounts::{AccountFields, AgencyFields};
use dxready::domain::questionnaire::{ConsentPurpose, extreme_submission};
use dxready::domain::{Contact, Lang, ProfileValue};
use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::{Client, Response, StatusCode};
use uuid::Uuid;

use crate::db_test;
use crate::helpers::{
    Backend, TestApp, browser, csrf, get, hidden_input, location, post_form, sign_in, text,
};

const PASSWORD: &str = "correct horse battery";
const REFUSED_VI: &str = "E-mail hoặc mật khẩu không đúng";

// ---------- fixtures ----------

async fn add_agency(app: &TestApp, slug: &str, provinces: &[&str]) -> i64 {
    let fields = AgencyFields {
        slug: slug.into(),
        name: format!("Agency {slug}"),
        provinces: provinces.iter().map(|p| (*p).to_string()).collect(),
        // Every barrier: these tests are about provinces and roles (barrier matching is in
        // followup.rs).
        barriers: Vec::new(),
    };
    let (agency, _) = dxready::db::accounts::upsert_agency(&app.state.db, &fields)
        .await
        .expect("agency");
    agency.id
}

async fn add_user(
    app: &TestApp,
    email: &str,
    role: Role,
    agency_id: Option<i64>,
    province: Option<&str>,
) -> i64 {
    let hash = dxready::auth::password::hash(PASSWORD.into())
        .await
        .expect("hash");
    let fields = AccountFields {
        email: email.into(),
        role,
        agency_id,
        province: province.map(str::to_string),
    };
    dxready::db::accounts::create_account(&app.state.db, &fields, &hash)
        .await
        .expect("account")
        .id
}

/// A submitted, scored response from `province`, with a contact and, when asked, consent to
/// follow-up. Returns its id.
async fn submit_response(
    app: &TestApp,
    province: &str,
    name: &str,
    followup: bool,
    best: bool,
) -> Uuid {
    let def = app.state.questionnaires.latest()[0].clone();
    let mut sub = extreme_submission(&def, best);
    sub.profile
        .insert("province".into(), ProfileValue::Text(province.into()));
    sub.profile
        .insert("name".into(), ProfileValue::Text(name.into()));
    sub.consents = BTreeSet::from([ConsentPurpose::Processing]);
    if followup {
        sub.consents.insert(ConsentPurpose::Followup);
    }
    let contact = Contact {
        email: Some(format!(
            "{}@firm.example",
            name.to_lowercase().replace(' ', ".")
        )),
        phone: Some("0912 345 678".into()),
    };
    let assessed = dxready::domain::assessment::assess(&def, &sub, app.state.clock.today());
    let (id, _token) = dxready::db::submissions::submit(
        &app.state.db,
        None,
        dxready::db::submissions::NewSubmission {
            def: &def,
            lang: Lang::Vi,
            submission: &assessed.submission,
            contact: &contact,
            result: &assessed.result,
            roadmap: &assessed.roadmap,
            size_class: Some("micro".into()),
            channel: "web",
            now: Utc::now(),
            email_report_to: None,
        },
    )
    .await
    .expect("submit");
    id
}

// ---------- HTTP helpers ----------

/// A fresh browser signed in as `email`.
async fn signed_in(app: &TestApp, email: &str) -> Client {
    let client = browser();
    let res = sign_in(app, &client, email, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "sign-in of {email}");
    client
}

/// The value a response sets for `name`, if it sets one.
fn set_cookie(res: &Response, name: &str) -> Option<String> {
    res.headers().get_all(SET_COOKIE).iter().find_map(|v| {
        let v = v.to_str().ok()?;
        let first = v.split(';').next()?;
        let (k, value) = first.split_once('=')?;
        (k.trim() == name).then(|| value.to_string())
    })
}

fn set_cookie_line(res: &Response, name: &str) -> Option<String> {
    res.headers().get_all(SET_COOKIE).iter().find_map(|v| {
        let v = v.to_str().ok()?;
        v.starts_with(&format!("{name}=")).then(|| v.to_string())
    })
}

async fn audit_actions(app: &TestApp) -> Vec<String> {
    dxready::db::audit::search(&app.state.db, &Default::default(), 1000)
        .await
        .expect("audit")
        .into_iter()
        .map(|e| e.action)
        .collect()
}

// ---------- sign-in ----------

async fn sign_in_refusals_do_not_tell_unknown_from_wrong(app: TestApp) {
    add_user(&app, "staff@city.vn", Role::Staff, None, None).await;
    let client = browser();

    let (wrong_status, wrong) =
        text(sign_in(&app, &client, "staff@city.vn", "not the password").await).await;
    let (unknown_status, unknown) =
        text(sign_in(&app, &client, "nobody@city.vn", "not the password").await).await;
    assert_eq!(wrong_status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown_status, wrong_status);
    assert!(wrong.contains(REFUSED_VI) && unknown.contains(REFUSED_VI));
    // The pages differ only in the e-mail echoed back into the form.
    assert_eq!(
        wrong.replace("staff@city.vn", "X"),
        unknown.replace("nobody@city.vn", "X").replace(
            &hidden_input(&unknown, "csrf_token").unwrap_or_default(),
            &hidden_input(&wrong, "csrf_token").unwrap_or_default()
        )
    );
    assert!(get(&app, &client, "/dashboard").await.status() == StatusCode::SEE_OTHER);

    // E-mails are not case-sensitive; success goes to the role's home page.
    let res = sign_in(&app, &client, "  Staff@City.VN ", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/dashboard");
    let (status, page) = text(get(&app, &client, "/dashboard").await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("staff@city.vn"),
        "the top bar names the person"
    );
    assert!(
        page.contains("action=\"/logout\""),
        "the top bar has sign-out"
    );

    let actions = audit_actions(&app).await;
    assert_eq!(actions.iter().filter(|a| *a == "sign_in_failed").count(), 2);
    assert_eq!(actions.iter().filter(|a| *a == "sign_in").count(), 1);
    let _ = app.stop().await;
}
db_test!(sign_in_refusals_do_not_tell_unknown_from_wrong);

async fn sign_in_returns_to_the_page_asked_for_but_only_on_this_site(app: TestApp) {
    add_user(&app, "admin@city.vn", Role::Admin, None, None).await;
    let client = browser();
    let res = get(&app, &client, "/admin/audit?action=sign_in").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let login = location(&res);
    assert_eq!(login, "/login?next=/admin/audit%3Faction%3Dsign_in");

    let (_, page) = text(get(&app, &client, &login).await).await;
    assert_eq!(
        hidden_input(&page, "next").as_deref(),
        Some("/admin/audit?action=sign_in")
    );
    let token = hidden_input(&page, "csrf_token").unwrap();
    let res = post_form(
        &app,
        &client,
        "/login",
        &[
            ("email", "admin@city.vn"),
            ("password", PASSWORD),
            ("csrf_token", &token),
            ("next", "/admin/audit?action=sign_in"),
        ],
    )
    .await;
    assert_eq!(location(&res), "/admin/audit?action=sign_in");

    // An open redirect is refused: the role's home instead.
    let other = browser();
    let token = csrf(&app, &other, "/login?next=//evil.example/").await;
    let res = post_form(
        &app,
        &other,
        "/login",
        &[
            ("email", "admin@city.vn"),
            ("password", PASSWORD),
            ("csrf_token", &token),
            ("next", "//evil.example/"),
        ],
    )
    .await;
    assert_eq!(location(&res), "/admin");
    let _ = app.stop().await;
}
db_test!(sign_in_returns_to_the_page_asked_for_but_only_on_this_site);

async fn session_id_is_new_at_sign_in(app: TestApp) {
    add_user(&app, "a@city.vn", Role::Staff, None, None).await;
    add_user(&app, "b@city.vn", Role::Staff, None, None).await;
    // A browser without a cookie store, so the test controls every cookie.
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = plain.get(app.url("/login")).send().await.unwrap();
    let csrf_cookie = set_cookie(&page, "dxready_csrf").expect("csrf cookie");
    let token = hidden_input(&page.text().await.unwrap(), "csrf_token").unwrap();
    let planted = "AAAAAAAAAAAAAAAAAAAAAA";
    let sign_in_as = |email: &'static str, session: String| {
        let plain = plain.clone();
        let csrf_cookie = csrf_cookie.clone();
        let token = token.clone();
        let url = app.url("/login");
        async move {
            plain
                .post(url)
                .header(
                    COOKIE,
                    format!("dxready_csrf={csrf_cookie}; dxready_session={session}"),
                )
                .form(&[
                    ("email", email),
                    ("password", PASSWORD),
                    ("csrf_token", &token),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let res = sign_in_as("a@city.vn", planted.to_string()).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let first = set_cookie(&res, "dxready_session").expect("a session cookie");
    assert_ne!(first, planted, "a planted session id is never adopted");
    let cookie_line = set_cookie_line(&res, "dxready_session").unwrap();
    assert!(cookie_line.contains("HttpOnly"));
    assert!(cookie_line.contains("SameSite=Lax"));
    assert!(!cookie_line.contains("Secure"), "plain http in tests");

    let dashboard = |session: String| {
        let plain = plain.clone();
        let url = app.url("/dashboard");
        async move {
            plain
                .get(url)
                .header(COOKIE, format!("dxready_session={session}"))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(dashboard(first.clone()).await, StatusCode::OK);
    assert_eq!(dashboard(planted.to_string()).await, StatusCode::SEE_OTHER);

    // Signing in again, even from a signed-in session, gives a new id and ends the old one.
    let res = sign_in_as("b@city.vn", first.clone()).await;
    let second = set_cookie(&res, "dxready_session").expect("a new session cookie");
    assert_ne!(second, first);
    assert_eq!(dashboard(first).await, StatusCode::SEE_OTHER);
    assert_eq!(dashboard(second).await, StatusCode::OK);
    let _ = app.stop().await;
}
db_test!(session_id_is_new_at_sign_in);

// ---------- CSRF and cross-site requests ----------

async fn forms_without_the_right_csrf_token_are_forbidden(app: TestApp) {
    add_user(&app, "admin@city.vn", Role::Admin, None, None).await;
    let client = browser();
    let _ = csrf(&app, &client, "/login").await;
    let missing = post_form(
        &app,
        &client,
        "/login",
        &[("email", "admin@city.vn"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    let wrong = post_form(
        &app,
        &client,
        "/login",
        &[
            ("email", "admin@city.vn"),
            ("password", PASSWORD),
            ("csrf_token", "d3Jvbmc="),
        ],
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    // A token from another visitor does not fit this visitor's cookie.
    let other_token = csrf(&app, &browser(), "/login").await;
    let foreign = post_form(
        &app,
        &client,
        "/login",
        &[
            ("email", "admin@city.vn"),
            ("password", PASSWORD),
            ("csrf_token", &other_token),
        ],
    )
    .await;
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);

    let admin = signed_in(&app, "admin@city.vn").await;
    for path in [
        "/admin/accounts",
        "/admin/agencies",
        "/account/password",
        "/account/sign-out-everywhere",
        "/logout",
    ] {
        let res = post_form(
            &app,
            &admin,
            path,
            &[
                ("email", "x@city.vn"),
                ("role", "staff"),
                ("password", "long enough password"),
            ],
        )
        .await;
        assert_eq!(
            res.status(),
            StatusCode::FORBIDDEN,
            "POST {path} without a token"
        );
    }
    assert_eq!(
        get(&app, &admin, "/admin").await.status(),
        StatusCode::OK,
        "still signed in"
    );
    assert!(
        dxready::db::accounts::find_account_by_email(&app.state.db, "x@city.vn")
            .await
            .unwrap()
            .is_none()
    );
    let _ = app.stop().await;
}
db_test!(forms_without_the_right_csrf_token_are_forbidden);

async fn cross_site_requests_are_forbidden(app: TestApp) {
    add_user(&app, "staff@city.vn", Role::Staff, None, None).await;
    let client = browser();
    let token = csrf(&app, &client, "/login").await;
    let form = [
        ("email", "staff@city.vn"),
        ("password", PASSWORD),
        ("csrf_token", token.as_str()),
    ];
    let evil_origin = client
        .post(app.url("/login"))
        .header("Origin", "https://evil.example")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(evil_origin.status(), StatusCode::FORBIDDEN);
    let cross_site = client
        .post(app.url("/login"))
        .header("Sec-Fetch-Site", "cross-site")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    let same_origin = client
        .post(app.url("/login"))
        .header("Origin", app.base.as_str())
        .header("Sec-Fetch-Site", "same-origin")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(same_origin.status(), StatusCode::SEE_OTHER);
    let _ = app.stop().await;
}
db_test!(cross_site_requests_are_forbidden);

// ---------- brute force ----------

fn browser_from(ip: Ipv4Addr) -> Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .local_address(IpAddr::V4(ip))
        .build()
        .unwrap()
}

async fn repeated_failures_lock_the_address(app: TestApp) {
    add_user(&app, "staff@city.vn", Role::Staff, None, None).await;
    let attacker = browser();
    for attempt in 1..=5 {
        let res = sign_in(
            &app,
            &attacker,
            "staff@city.vn",
            &format!("guess {attempt}"),
        )
        .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    // Locked now, even with the right password, and for other accounts from this address.
    let (status, page) = text(sign_in(&app, &attacker, "staff@city.vn", PASSWORD).await).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains("15"), "says how long to wait");
    let (status, _) = text(sign_in(&app, &attacker, "nobody@city.vn", "x").await).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "unknown e-mails get the same lock"
    );
    assert!(
        audit_actions(&app)
            .await
            .iter()
            .any(|a| a == "sign_in_locked")
    );

    // The person at another address is not locked out by the attacker's address…
    let colleague = browser_from(Ipv4Addr::new(127, 0, 0, 2));
    assert_eq!(
        sign_in(&app, &colleague, "staff@city.vn", PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );

    let _ = app.stop().await;
}
db_test!(repeated_failures_lock_the_address);

/// Finding 1: the attempt is counted before the password is checked, so a burst of parallel
/// guesses from one address gets no more than the five guesses a slow attacker gets.
async fn a_burst_of_parallel_guesses_gets_no_more_tries(app: TestApp) {
    add_user(&app, "staff@city.vn", Role::Staff, None, None).await;
    let attacker = browser();
    let token = csrf(&app, &attacker, "/login").await;
    let mut burst = tokio::task::JoinSet::new();
    for attempt in 0..20 {
        let (client, url, token) = (attacker.clone(), app.url("/login"), token.clone());
        burst.spawn(async move {
            let password = format!("parallel guess {attempt}");
            let form = [
                ("email", "staff@city.vn"),
                ("password", password.as_str()),
                ("csrf_token", token.as_str()),
            ];
            client.post(url).form(&form).send().await.unwrap().status()
        });
    }
    let statuses = burst.join_all().await;
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(checked + refused, 20, "{statuses:?}");
    assert_eq!(checked, 5, "only five passwords were checked: {statuses:?}");
    let _ = app.stop().await;
}
db_test!(a_burst_of_parallel_guesses_gets_no_more_tries);

/// Finding 5: whoever knows a staff e-mail cannot lock its owner out, however many addresses
/// they guess from; the owner's sign-in is only delayed.
async fn guesses_from_many_addresses_do_not_lock_the_owner_out(app: TestApp) {
    add_user(&app, "staff@city.vn", Role::Staff, None, None).await;
    // Ten used to lock the account for 15 minutes.
    for i in 0..10u8 {
        let client = browser_from(Ipv4Addr::new(127, 0, 1, 10 + i));
        let res = sign_in(&app, &client, "staff@city.vn", "spread guess").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "guess {i}");
    }
    let owner = browser_from(Ipv4Addr::new(127, 0, 2, 1));
    assert_eq!(
        sign_in(&app, &owner, "staff@city.vn", PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let _ = app.stop().await;
}
db_test!(guesses_from_many_addresses_do_not_lock_the_owner_out);

// ---------- who sees what ----------

async fn anonymous_visitors_are_sent_to_sign_in(app: TestApp) {
    let client = browser();
    let lead = Uuid::new_v4();
    for path in [
        "/dashboard".to_string(),
        "/followup".to_string(),
        format!("/followup/{lead}"),
        "/admin".to_string(),
        "/admin/audit".to_string(),
        "/account/password".to_string(),
        "/metrics".to_string(),
    ] {
        let res = get(&app, &client, &path).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(
            location(&res).starts_with("/login?next=/"),
            "{path} -> {}",
            location(&res)
        );
    }
    // A form post cannot be returned to: sign-in starts afresh.
    let res = post_form(&app, &client, "/admin/accounts", &[("email", "x@y.vn")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/login");
    let res = get(&app, &client, "/api/v1/stats").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.json::<serde_json::Value>().await.unwrap()["error"].is_string());
    let (status, page) = text(get(&app, &client, "/login").await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("type=\"password\""));
    let _ = app.stop().await;
}
db_test!(anonymous_visitors_are_sent_to_sign_in);

async fn staff_get_aggregates_and_no_personal_data(app: TestApp) {
    add_user(&app, "staff@city.vn", Role::Staff, None, None).await;
    let mut ids = Vec::new();
    for i in 0..6 {
        ids.push(
            submit_response(
                &app,
                "hai-phong",
                &format!("Secret Firm {i}"),
                true,
                i % 2 == 0,
            )
            .await,
        );
    }
    let staff = signed_in(&app, "staff@city.vn").await;
    let (status, page) = text(get(&app, &staff, "/dashboard").await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !page.contains("Secret Firm"),
        "no firm names on the dashboard"
    );
    assert!(
        !page.contains("firm.example"),
        "no e-mail addresses on the dashboard"
    );
    assert!(!page.contains("0912"), "no phone numbers on the dashboard");
    assert!(page.contains("Hải Phòng"));

    assert_eq!(
        get(&app, &staff, "/followup").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get(&app, &staff, &format!("/followup/{}", ids[0]))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get(&app, &staff, "/admin").await.status(),
        StatusCode::FORBIDDEN
    );

    let res = get(&app, &staff, "/api/v1/stats").await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = res.text().await.unwrap();
    assert!(!body.contains("Secret Firm") && !body.contains("firm.example"));
    let stats: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(stats["responses"], 6);
    assert_eq!(stats["suppressed"], false);
    assert!(stats["overall"]["mean"].is_number());
    assert!(stats["overall"]["median"].is_number());
    assert!(
        stats["levels"].is_object()
            && stats["dimensions"].is_object()
            && stats["barriers"].is_object()
    );
    // Three best, three worst: two level cells of three firms each, both under five.
    for (_, count) in stats["levels"].as_object().unwrap() {
        assert!(
            count.as_u64().is_none_or(|c| c == 0),
            "a level held by fewer than 5 firms is suppressed: {stats}"
        );
    }

    // A filter leaving fewer than five: nothing but the count.
    let few: serde_json::Value = get(&app, &staff, "/api/v1/stats?province=ha-noi")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(few["responses"], 0);
    assert_eq!(few["suppressed"], true);
    assert!(few["overall"]["mean"].is_null());
    let bad = get(&app, &staff, "/api/v1/stats?from=22/11/2026").await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    // Issue 15, finding 6: a rejection by the framework (a duplicate field) is JSON too.
    let duplicate = get(&app, &staff, "/api/v1/stats?province=ha-noi&province=hue").await;
    assert_eq!(duplicate.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = duplicate.json().await.expect("a JSON error");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("duplicate")),
        "{body}"
    );
    let _ = app.stop().await;
}
db_test!(staff_get_aggregates_and_no_personal_data);

async fn small_groups_show_as_under_five(app: TestApp) {
    add_user(&app, "staff@city.vn", Role::Staff, None, None).await;
    for i in 0..3 {
        submit_response(&app, "da-nang", &format!("Firm {i}"), false, true).await;
    }
    let staff = signed_in(&app, "staff@city.vn").await;
    let (_, page) = text(get(&app, &staff, "/dashboard").await).await;
    assert!(page.contains("&lt; 5"), "the count shows as < 5");
    assert!(
        !page.contains("100,0") && !page.contains(">3<"),
        "neither the score nor the exact count"
    );
    let stats: serde_json::Value = get(&app, &staff, "/api/v1/stats")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stats["suppressed"], true);
    assert!(
        stats["responses"].is_null(),
        "three firms: not even the count"
    );
    assert!(stats["overall"]["median"].is_null());
    assert_eq!(stats["levels"], serde_json::json!({}));
    let _ = app.stop().await;
}
db_test!(small_groups_show_as_under_five);

async fn a_province_limited_account_sees_only_its_province(app: TestApp) {
    add_user(&app, "hp@city.vn", Role::Staff, None, Some("hai-phong")).await;
    add_user(&app, "all@city.vn", Role::Staff, None, None).await;
    for i in 0..5 {
        submit_response(&app, "hai-phong", &format!("HP {i}"), false, true).await;
        submit_response(&app, "ha-noi", &format!("HN {i}"), false, false).await;
    }
    let limited = signed_in(&app, "hp@city.vn").await;
    let own: serde_json::Value = get(&app, &limited, "/api/v1/stats")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(own["responses"], 5);
    assert_eq!(
        own["overall"]["mean"], 100.0,
        "only Hai Phong's best-answer firms"
    );
    assert_eq!(
        get(&app, &limited, "/api/v1/stats?province=ha-noi")
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let same: serde_json::Value = get(&app, &limited, "/api/v1/stats?province=hai-phong")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(same["responses"], 5);
    let (status, page) = text(get(&app, &limited, "/dashboard?province=ha-noi").await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !page.contains("Hà Nội"),
        "no figures, filter or name of another province"
    );

    let everyone = signed_in(&app, "all@city.vn").await;
    let all: serde_json::Value = get(&app, &everyone, "/api/v1/stats")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all["responses"], 10);
    let hn: serde_json::Value = get(&app, &everyone, "/api/v1/stats?province=ha-noi")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(hn["overall"]["mean"], 0.0);
    let _ = app.stop().await;
}
db_test!(a_province_limited_account_sees_only_its_province);

async fn an_agency_cannot_open_another_agencys_lead(app: TestApp) {
    let hp = add_agency(&app, "hp-support", &["hai-phong"]).await;
    let hn = add_agency(&app, "hn-support", &["ha-noi"]).await;
    add_user(&app, "a@hp.vn", Role::Agency, Some(hp), None).await;
    add_user(&app, "b@hn.vn", Role::Agency, Some(hn), None).await;
    add_user(&app, "admin@city.vn", Role::Admin, None, None).await;
    let hn_lead = submit_response(&app, "ha-noi", "Hanoi Bakery", true, false).await;
    let hp_lead = submit_response(&app, "hai-phong", "Haiphong Fish", true, false).await;
    let no_consent = submit_response(&app, "ha-noi", "Private Shop", false, false).await;

    let a = signed_in(&app, "a@hp.vn").await;
    let (status, list) = text(get(&app, &a, "/followup").await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("Haiphong Fish") && !list.contains("Hanoi Bakery"));
    assert_eq!(
        get(&app, &a, &format!("/followup/{hn_lead}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app, &a, &format!("/followup/{}", Uuid::new_v4()))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app, &a, "/followup/not-a-uuid").await.status(),
        StatusCode::NOT_FOUND
    );
    let (status, own) = text(get(&app, &a, &format!("/followup/{hp_lead}")).await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        own.contains("haiphong.fish@firm.example"),
        "the case file has the contact"
    );
    assert_eq!(
        get(&app, &a, "/dashboard").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get(&app, &a, "/api/v1/stats").await.status(),
        StatusCode::FORBIDDEN
    );

    let b = signed_in(&app, "b@hn.vn").await;
    assert_eq!(
        get(&app, &b, &format!("/followup/{hn_lead}"))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        get(&app, &b, &format!("/followup/{hp_lead}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app, &b, &format!("/followup/{no_consent}"))
            .await
            .status(),
        StatusCode::NOT_FOUND,
        "no consent, no lead"
    );

    // A withdrawn consent takes the lead away.
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    dxready::db::entities::consent::Entity::update_many()
        .col_expr(
            dxready::db::entities::consent::Column::WithdrawnAt,
            Expr::value(Some(Utc::now())),
        )
        .filter(dxready::db::entities::consent::Column::ResponseId.eq(hn_lead))
        .exec(&app.state.db)
        .await
        .unwrap();
    assert_eq!(
        get(&app, &b, &format!("/followup/{hn_lead}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    let admin = signed_in(&app, "admin@city.vn").await;
    assert_eq!(
        get(&app, &admin, &format!("/followup/{hp_lead}"))
            .await
            .status(),
        StatusCode::OK
    );

    // Each view of personal data is in the audit log, with the lead and the viewer.
    let views = dxready::db::audit::search(
        &app.state.db,
        &dxready::db::audit::Filter {
            action: Some("lead_viewed".into()),
            ..Default::default()
        },
        100,
    )
    .await
    .unwrap();
    assert!(
        views
            .iter()
            .any(|e| e.actor == "a@hp.vn"
                && e.object.as_deref() == Some(hp_lead.to_string().as_str()))
    );
    assert!(views.iter().all(|e| e.client_addr.is_some()));
    let (status, audit_page) =
        text(get(&app, &admin, "/admin/audit?action=lead_viewed&actor=hp.vn").await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(audit_page.contains(&hp_lead.to_string()));
    assert!(!audit_page.contains("b@hn.vn"), "the actor filter applies");
    let _ = app.stop().await;
}
db_test!(an_agency_cannot_open_another_agencys_lead);

// ---------- sessions ----------

async fn sign_out_ends_the_session(app: TestApp) {
    add_user(&app, "staff@city.vn", Role::Staff, None, None).await;
    let staff = signed_in(&app, "staff@city.vn").await;
    let token = csrf(&app, &staff, "/dashboard").await;
    let res = post_form(&app, &staff, "/logout", &[("csrf_token", &token)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        get(&app, &staff, "/dashboard").await.status(),
        StatusCode::SEE_OTHER
    );
    assert!(audit_actions(&app).await.iter().any(|a| a == "sign_out"));
    let _ = app.stop().await;
}
db_test!(sign_out_ends_the_session);

async fn sign_out_everywhere_ends_every_session(app: TestApp) {
    add_user(&app, "staff@city.vn", Role::Staff, None, None).await;
    add_user(&app, "other@city.vn", Role::Staff, None, None).await;
    let laptop = signed_in(&app, "staff@city.vn").await;
    let phone = signed_in(&app, "staff@city.vn").await;
    let colleague = signed_in(&app, "other@city.vn").await;
    let (_, page) = text(get(&app, &laptop, "/account/password").await).await;
    assert!(page.contains("2"), "shows the open sessions");
    let token = hidden_input(&page, "csrf_token").unwrap();
    let res = post_form(
        &app,
        &laptop,
        "/account/sign-out-everywhere",
        &[("csrf_token", &token)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        get(&app, &laptop, "/dashboard").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        get(&app, &phone, "/dashboard").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        get(&app, &colleague, "/dashboard").await.status(),
        StatusCode::OK,
        "only that account"
    );
    let _ = app.stop().await;
}
db_test!(sign_out_everywhere_ends_every_session);

/// Finding 3: a reader of the session table finds neither a usable session id nor a copy of
/// the password hash.
async fn stored_sessions_hold_no_session_id_and_no_password_hash(app: TestApp) {
    use dxready::db::entities::http_session;
    use sea_orm::EntityTrait;
    add_user(&app, "staff@city.vn", Role::Staff, None, None).await;
    let client = browser();
    let res = sign_in(&app, &client, "staff@city.vn", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cookie = res
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("dxready_session="))
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_string();
    let account = dxready::db::accounts::find_account_by_email(&app.state.db, "staff@city.vn")
        .await
        .unwrap()
        .unwrap();
    let hash_bytes = serde_json::to_string(account.password_hash.as_bytes()).unwrap();
    let hash_bytes = hash_bytes.trim_start_matches('[').trim_end_matches(']');
    let rows = http_session::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_ne!(rows[0].id, cookie, "the id is stored hashed");
    assert!(!rows[0].data.contains(&cookie));
    assert!(
        !rows[0].data.contains(hash_bytes) && !rows[0].data.contains(&account.password_hash),
        "no copy of the password hash"
    );
    assert_eq!(
        get(&app, &client, "/dashboard").await.status(),
        StatusCode::OK
    );
    let _ = app.stop().await;
}
db_test!(stored_sessions_hold_no_session_id_and_no_password_hash);

async fn sessions_expire_when_idle_and_after_twelve_hours(app: TestApp) {
    use dxready::db::entities::http_session;
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel};
    let id = add_user(&app, "staff@city.vn", Role::Staff, None, None).await;
    let find = || async {
        http_session::Entity::find()
            .all(&app.state.db)
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.user_id == Some(id))
            .expect("a stored session with the user id")
    };

    // Absolute: signed in 13 hours ago, busy ever since.
    let staff = signed_in(&app, "staff@city.vn").await;
    let row = find().await;
    let mut data: serde_json::Value = serde_json::from_str(&row.data).unwrap();
    data["dxready.signed_in_at"] = serde_json::json!(Utc::now().timestamp() - 13 * 3600);
    let mut active = row.into_active_model();
    active.data = Set(data.to_string());
    active.update(&app.state.db).await.unwrap();
    assert_eq!(
        get(&app, &staff, "/dashboard").await.status(),
        StatusCode::SEE_OTHER
    );

    // Idle: the stored expiry (30 minutes after the last request) has passed.
    let staff = signed_in(&app, "staff@city.vn").await;
    let row = find().await;
    assert!(row.expiry_date > Utc::now() + chrono::Duration::minutes(25));
    assert!(row.expiry_date <= Utc::now() + chrono::Duration::minutes(31));
    let mut active = row.into_active_model();
    active.expiry_date = Set(Utc::now() - chrono::Duration::seconds(1));
    active.update(&app.state.db).await.unwrap();
    assert_eq!(
        get(&app, &staff, "/dashboard").await.status(),
        StatusCode::SEE_OTHER
    );
    let _ = app.stop().await;
}
db_test!(sessions_expire_when_idle_and_after_twelve_hours);

async fn a_user_changes_their_password(app: TestApp) {
    add_user(&app, "staff@city.vn", Role::Staff, None, None).await;
    let here = signed_in(&app, "staff@city.vn").await;
    let elsewhere = signed_in(&app, "staff@city.vn").await;
    let token = csrf(&app, &here, "/account/password").await;
    let change = |current: &'static str, new: &'static str, confirm: &'static str| {
        let here = here.clone();
        let token = token.clone();
        let url = app.url("/account/password");
        async move {
            here.post(url)
                .form(&[
                    ("current_password", current),
                    ("new_password", new),
                    ("confirm_password", confirm),
                    ("csrf_token", token.as_str()),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(
        change("wrong one", "a brand new phrase", "a brand new phrase")
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        change(PASSWORD, "a brand new phrase", "another phrase")
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        change(PASSWORD, "short", "short").await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let res = change(PASSWORD, "a brand new phrase", "a brand new phrase").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        get(&app, &here, "/dashboard").await.status(),
        StatusCode::OK,
        "this session goes on"
    );
    assert_eq!(
        get(&app, &elsewhere, "/dashboard").await.status(),
        StatusCode::SEE_OTHER,
        "others end"
    );
    assert_eq!(
        sign_in(&app, &browser(), "staff@city.vn", PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        sign_in(&app, &browser(), "staff@city.vn", "a brand new phrase")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    assert!(
        audit_actions(&app)
            .await
            .iter()
            .any(|a| a == "password_changed")
    );
    let _ = app.stop().await;
}
db_test!(a_user_changes_their_password);

// ---------- admin ----------

async fn an_admin_creates_disables_and_re_roles_accounts(app: TestApp) {
    add_user(&app, "admin@city.vn", Role::Admin, None, None).await;
    let admin = signed_in(&app, "admin@city.vn").await;
    let token = csrf(&app, &admin, "/admin").await;

    let res = post_form(
        &app,
        &admin,
        "/admin/agencies",
        &[
            ("slug", "hp-support"),
            ("name", "Hai Phong SME Support"),
            ("provinces", "hai-phong"),
            ("provinces", "hung-yen"),
            ("barriers", "cost"),
            ("csrf_token", &token),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let agency = dxready::db::accounts::find_agency_by_slug(&app.state.db, "hp-support")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(agency.provinces, ["hai-phong", "hung-yen"]);
    assert_eq!(agency.barriers, ["cost"]);
    let bad = post_form(
        &app,
        &admin,
        "/admin/agencies",
        &[
            ("slug", "x"),
            ("name", "X"),
            ("provinces", "atlantis"),
            ("csrf_token", &token),
        ],
    )
    .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().await.unwrap().contains("atlantis"));

    let res = post_form(
        &app,
        &admin,
        "/admin/accounts",
        &[
            ("email", "New.Staff@City.vn"),
            ("role", "staff"),
            ("agency", ""),
            ("province", ""),
            ("password", "first password 1"),
            ("csrf_token", &token),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let duplicate = post_form(
        &app,
        &admin,
        "/admin/accounts",
        &[
            ("email", "new.staff@city.vn"),
            ("role", "staff"),
            ("password", "first password 1"),
            ("csrf_token", &token),
        ],
    )
    .await;
    assert_eq!(duplicate.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let agency_without_agency = post_form(
        &app,
        &admin,
        "/admin/accounts",
        &[
            ("email", "x@city.vn"),
            ("role", "agency"),
            ("password", "first password 1"),
            ("csrf_token", &token),
        ],
    )
    .await;
    assert_eq!(
        agency_without_agency.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );

    let person = browser();
    let res = sign_in(&app, &person, "new.staff@city.vn", "first password 1").await;
    assert_eq!(location(&res), "/dashboard");
    // Finding 6: the admin chose this password, so its owner must replace it first.
    let res = get(&app, &person, "/dashboard").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/account/password");
    let page_token = csrf(&app, &person, "/account/password").await;
    let common = post_form(
        &app,
        &person,
        "/account/password",
        &[
            ("current_password", "first password 1"),
            ("new_password", "password123"),
            ("confirm_password", "password123"),
            ("csrf_token", &page_token),
        ],
    )
    .await;
    assert_eq!(common.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = common.text().await.unwrap();
    assert!(
        page.contains("phổ biến") || page.contains("common"),
        "a common password is refused"
    );
    let res = post_form(
        &app,
        &person,
        "/account/password",
        &[
            ("current_password", "first password 1"),
            ("new_password", "my own long phrase"),
            ("confirm_password", "my own long phrase"),
            ("csrf_token", &page_token),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        get(&app, &person, "/dashboard").await.status(),
        StatusCode::OK
    );
    let id = dxready::db::accounts::find_account_by_email(&app.state.db, "new.staff@city.vn")
        .await
        .unwrap()
        .unwrap()
        .id;

    // Re-role: from staff to the agency's user; takes effect on the next request.
    let res = post_form(
        &app,
        &admin,
        &format!("/admin/accounts/{id}/role"),
        &[
            ("role", "agency"),
            ("agency", "hp-support"),
            ("province", ""),
            ("csrf_token", &token),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        get(&app, &person, "/followup").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        get(&app, &person, "/dashboard").await.status(),
        StatusCode::FORBIDDEN
    );

    // Disable: the open session ends and signing in is refused like any wrong password.
    let res = post_form(
        &app,
        &admin,
        &format!("/admin/accounts/{id}/disable"),
        &[("csrf_token", &token)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        get(&app, &person, "/followup").await.status(),
        StatusCode::SEE_OTHER
    );
    let (status, page) =
        text(sign_in(&app, &browser(), "new.staff@city.vn", "first password 1").await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(page.contains(REFUSED_VI));

    let res = post_form(
        &app,
        &admin,
        &format!("/admin/accounts/{id}/enable"),
        &[("csrf_token", &token)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        sign_in(&app, &browser(), "new.staff@city.vn", "my own long phrase")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );

    // An admin cannot lock themselves out here.
    let me = dxready::db::accounts::find_account_by_email(&app.state.db, "admin@city.vn")
        .await
        .unwrap()
        .unwrap()
        .id;
    let res = post_form(
        &app,
        &admin,
        &format!("/admin/accounts/{me}/disable"),
        &[("csrf_token", &token)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);

    // Only admins.
    let staff_id = add_user(&app, "plain@city.vn", Role::Staff, None, None).await;
    let staff = signed_in(&app, "plain@city.vn").await;
    let staff_token = csrf(&app, &staff, "/dashboard").await;
    let res = post_form(
        &app,
        &staff,
        &format!("/admin/accounts/{staff_id}/role"),
        &[("role", "admin"), ("csrf_token", &staff_token)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let (status, log) = text(get(&app, &admin, "/admin/audit").await).await;
    assert_eq!(status, StatusCode::OK);
    for action in [
        "account_created",
        "account_updated",
        "account_disabled",
        "account_enabled",
        "agency_saved",
        "sign_in",
    ] {
        assert!(
            log.contains(&format!("<code>{action}</code>")),
            "{action} in the audit log"
        );
    }
    let (_, filtered) = text(get(&app, &admin, "/admin/audit?action=account_disabled").await).await;
    assert!(
        filtered.contains("new.staff@city.vn") && !filtered.contains("<code>agency_saved</code>")
    );
    // Two days on: later than today in Vietnam whatever the hour in UTC.
    let later = Utc::now().date_naive() + chrono::Days::new(2);
    let (_, future) = text(get(&app, &admin, &format!("/admin/audit?from={later}")).await).await;
    assert!(
        !future.contains("<code>sign_in</code>"),
        "the date filter applies"
    );
    let _ = app.stop().await;
}
db_test!(an_admin_creates_disables_and_re_roles_accounts);

// ---------- headers and metrics ----------

async fn every_response_carries_the_security_headers(app: TestApp) {
    add_user(&app, "staff@city.vn", Role::Staff, None, None).await;
    let client = browser();
    for path in ["/login", "/healthz", "/no-such-page"] {
        let res = get(&app, &client, path).await;
        let h = res.headers();
        assert_eq!(
            h["content-security-policy"],
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
            "{path}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "same-origin");
        assert_eq!(h["x-frame-options"], "DENY");
        assert!(
            h.get("strict-transport-security").is_none(),
            "no HSTS over plain http"
        );
    }
    let staff = signed_in(&app, "staff@city.vn").await;
    let res = get(&app, &staff, "/dashboard").await;
    assert_eq!(
        res.headers()["cache-control"],
        "no-store",
        "signed-in pages are not cached"
    );
    let _ = app.stop().await;
}
db_test!(every_response_carries_the_security_headers);

/// Finding 6: pages showing a firm's name or contact are not cached, with or without a session
/// cookie; static files still are.
async fn result_pages_are_never_cached(app: TestApp) {
    let (_, token) = app.submit(Lang::En, Some("owner@example.vn"), true).await;
    let anonymous = browser();
    for path in [
        format!("/r/{token}"),
        format!("/r/{token}/withdraw"),
        format!("/r/{token}/pdf"),
    ] {
        let res = get(&app, &anonymous, &path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(res.headers()["cache-control"], "no-store", "{path}");
    }
    let res = get(&app, &anonymous, "/static/style.css").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()
            .get("cache-control")
            .is_none_or(|v| v != "no-store")
    );
    let _ = app.stop().await;
}
db_test!(result_pages_are_never_cached);

async fn https_sites_get_hsts_and_secure_cookies(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |s| {
        s.base_url = Some("https://dxready.example".into());
    })
    .await
    else {
        return;
    };
    add_user(&app, "staff@city.vn", Role::Staff, None, None).await;
    // Secure cookies are not sent back over the tests' plain http: carry them by hand.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = get(&app, &client, "/login").await;
    assert_eq!(
        res.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
    assert!(
        set_cookie_line(&res, "dxready_csrf")
            .unwrap()
            .contains("Secure")
    );
    let csrf_cookie = set_cookie(&res, "dxready_csrf").unwrap();
    let token = hidden_input(&res.text().await.unwrap(), "csrf_token").unwrap();
    let res = client
        .post(app.url("/login"))
        .header(COOKIE, format!("dxready_csrf={csrf_cookie}"))
        .form(&[
            ("email", "staff@city.vn"),
            ("password", PASSWORD),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // Finding 6: a `__Host-` cookie, which neither a subdomain nor plain http can plant.
    let session = set_cookie_line(&res, "__Host-dxready_session").expect("__Host- prefix");
    assert!(session.contains("Secure") && session.contains("Path=/"));
    assert!(!session.to_ascii_lowercase().contains("domain="));
    let _ = app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_sites_get_hsts_and_secure_cookies_sqlite() {
    https_sites_get_hsts_and_secure_cookies(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_sites_get_hsts_and_secure_cookies_postgres() {
    https_sites_get_hsts_and_secure_cookies(Backend::Postgres).await;
}

async fn metrics_need_an_admin(app: TestApp) {
    add_user(&app, "admin@city.vn", Role::Admin, None, None).await;
    add_user(&app, "staff@city.vn", Role::Staff, None, None).await;
    submit_response(&app, "hue", "Hue Tea", false, true).await;
    let anonymous = get(&app, &browser(), "/metrics").await;
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    let staff = signed_in(&app, "staff@city.vn").await;
    assert_eq!(
        get(&app, &staff, "/metrics").await.status(),
        StatusCode::FORBIDDEN
    );
    let admin = signed_in(&app, "admin@city.vn").await;
    let _ = get(&app, &admin, "/dashboard").await;
    let res = get(&app, &admin, "/metrics").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let body = res.text().await.unwrap();
    assert!(
        body.contains(
            "dxready_http_requests_total{method=\"GET\",route=\"/dashboard\",status=\"200\"}"
        ),
        "{body}"
    );
    assert!(body.contains("dxready_http_request_duration_seconds_bucket{"));
    assert!(body.contains("dxready_submissions 1"));
    assert!(!body.contains("Hue Tea"));
    let _ = app.stop().await;
}
db_test!(metrics_need_an_admin);

async fn metrics_on_their_own_address(backend: Backend) {
    // Port 0: the app binds it and says where, so no other test can take the port meanwhile.
    let Some(app) = TestApp::spawn_with(backend, |s| {
        s.metrics_addr = Some("127.0.0.1:0".parse().unwrap());
    })
    .await
    else {
        return;
    };
    let metrics_addr = app.metrics_addr.expect("metrics listener");
    add_user(&app, "admin@city.vn", Role::Admin, None, None).await;
    let admin = signed_in(&app, "admin@city.vn").await;
    assert_eq!(
        get(&app, &admin, "/metrics").await.status(),
        StatusCode::NOT_FOUND,
        "not on the public address"
    );
    let mut body = String::new();
    for _ in 0..50 {
        if let Ok(res) = browser()
            .get(format!("http://{metrics_addr}/metrics"))
            .send()
            .await
        {
            body = res.text().await.unwrap();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(body.contains("dxready_http_requests_total"), "{body}");
    let _ = app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_on_their_own_address_sqlite() {
    metrics_on_their_own_address(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_on_their_own_address_postgres() {
    metrics_on_their_own_address(Backend::Postgres).await;
}

// ---------- public submission limit ----------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_submission_limit_counts_per_address_and_zero_turns_it_off() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = crate::helpers::test_settings("sqlite::memory:".into(), dir.path());
    settings.submit_rate = 3;
    let layer = dxready::web::security::submit_rate_limit(&settings).expect("a limit");
    let router = axum::Router::new()
        .route("/submit", axum::routing::post(|| async { "ok" }))
        .route_layer(layer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let url = format!("http://{addr}/submit");
    let one = browser();
    for _ in 0..3 {
        assert_eq!(
            one.post(&url).send().await.unwrap().status(),
            StatusCode::OK
        );
    }
    let over = one.post(&url).send().await.unwrap();
    assert_eq!(over.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(over.headers().contains_key("retry-after"));
    let other = browser_from(Ipv4Addr::new(127, 0, 0, 3));
    assert_eq!(
        other.post(&url).send().await.unwrap().status(),
        StatusCode::OK,
        "per address"
    );

    settings.submit_rate = 0;
    assert!(dxready::web::security::submit_rate_limit(&settings).is_none());
}

async fn admins_see_failed_mail_and_retry_it(app: TestApp) {
    use dxready::db::outbox::{self, Kind, NewMessage, Status};
    add_user(&app, "admin@city.vn", Role::Admin, None, None).await;
    add_user(&app, "staff@city.vn", Role::Staff, None, None).await;
    // A real draft: the retry gives it a new resume link, the failed one's having been dropped.
    let def = app
        .state
        .questionnaires
        .latest()
        .into_iter()
        .next()
        .unwrap();
    let (draft, resume) = dxready::db::responses::create_draft(&app.state.db, &def, Lang::Vi, None)
        .await
        .unwrap();
    let id = outbox::enqueue(
        &app.state.db,
        NewMessage {
            kind: Kind::ResumeLink,
            response_id: Some(draft),
            recipient: "owner@example.vn".into(),
            lang: Lang::Vi,
            token: Some(resume),
        },
    )
    .await
    .unwrap();
    let claimed = outbox::claim(
        &app.state.db,
        "test-worker",
        10,
        std::time::Duration::from_secs(60),
    )
    .await
    .unwrap();
    assert_eq!(claimed.len(), 1);
    outbox::mark_failed(&app.state.db, id, "test-worker", "550 mailbox unavailable")
        .await
        .unwrap();

    let staff = signed_in(&app, "staff@city.vn").await;
    assert_eq!(
        get(&app, &staff, "/admin/mail").await.status(),
        StatusCode::FORBIDDEN
    );

    let admin = signed_in(&app, "admin@city.vn").await;
    let (status, page) = text(get(&app, &admin, "/admin/mail").await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("owner@example.vn") && page.contains("550 mailbox unavailable"));
    // Without the form's token nothing happens.
    let res = admin
        .post(app.url(&format!("/admin/mail/{id}/retry")))
        .form(&[("csrf_token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let token = csrf(&app, &admin, "/admin/mail").await;
    let res = post_form(
        &app,
        &admin,
        &format!("/admin/mail/{id}/retry"),
        &[("csrf_token", &token)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // Back in the queue; the worker (writing .eml files here) may already have sent it.
    let msg = outbox::find(&app.state.db, id).await.unwrap().unwrap();
    assert_ne!(msg.status, Status::Failed.as_str(), "retried");
}
db_test!(admins_see_failed_mail_and_retry_it);

// ---------- second factor (issue 15, finding 6) ----------

async fn sign_in_with_code(app: &TestApp, client: &Client, code: &str) -> StatusCode {
    let token = csrf(app, client, "/login").await;
    post_form(
        app,
        client,
        "/login",
        &[
            ("email", "admin@city.vn"),
            ("password", PASSWORD),
            ("code", code),
            ("csrf_token", &token),
        ],
    )
    .await
    .status()
}

/// An admin turns authenticator codes on; from then on the password alone does not sign in,
/// and a code works once.
async fn an_admin_turns_on_authenticator_codes(app: TestApp) {
    use dxready::auth::totp;
    add_user(&app, "admin@city.vn", Role::Admin, None, None).await;
    let admin = signed_in(&app, "admin@city.vn").await;
    let (status, page) = text(get(&app, &admin, "/account/totp").await).await;
    assert_eq!(status, StatusCode::OK);
    let start = page.find("id=\"totp-secret\">").expect("the key is shown") + 17;
    let secret: String = page[start..].chars().take_while(|c| *c != '<').collect();
    let now = u64::try_from(Utc::now().timestamp()).unwrap();
    let valid: Vec<String> = [now - 30, now, now + 30]
        .iter()
        .map(|t| totp::code_at(&secret, *t).unwrap())
        .collect();
    let wrong = (0..10)
        .map(|d| format!("{d}{}", &valid[1][1..]))
        .find(|c| !valid.contains(c))
        .unwrap();
    let token = csrf(&app, &admin, "/account/totp").await;
    let res = post_form(
        &app,
        &admin,
        "/account/totp",
        &[("code", &wrong), ("csrf_token", &token)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = post_form(
        &app,
        &admin,
        "/account/totp",
        &[("code", &valid[1]), ("csrf_token", &token)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    assert_eq!(
        sign_in_with_code(&app, &browser(), "").await,
        StatusCode::UNAUTHORIZED
    );
    let next = totp::code_at(&secret, now + 30).unwrap();
    assert_eq!(
        sign_in_with_code(&app, &browser(), &next).await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        sign_in_with_code(&app, &browser(), &next).await,
        StatusCode::UNAUTHORIZED,
        "a code works once"
    );
    assert!(
        audit_actions(&app)
            .await
            .iter()
            .any(|a| a == "second_factor_on")
    );

    // Lost the phone: the operator sets a new password at the command line
    // (`dxready user add`), which turns the second factor off.
    let hash = dxready::auth::password::hash("a new phrase for me".into())
        .await
        .unwrap();
    let fields = AccountFields {
        email: "admin@city.vn".into(),
        role: Role::Admin,
        agency_id: None,
        province: None,
    };
    dxready::db::accounts::upsert_account(&app.state.db, &fields, &hash)
        .await
        .unwrap();
    let res = sign_in(&app, &browser(), "admin@city.vn", "a new phrase for me").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let _ = app.stop().await;
}
db_test!(an_admin_turns_on_authenticator_codes);

// ---------- exports (contract: "Staff, agencies and the firm's rights") ----------

/// The dashboard's tables as CSV and Excel for the same filters, with the filters in the file
/// and nothing from a group under five; the admin's response-level CSV without personal data;
/// an agency's own caseload with the contact details, every cell safe in a spreadsheet.
async fn exports_follow_the_filters_the_privacy_rule_and_the_roles(app: TestApp) {
    let agency = add_agency(&app, "hy-support", &["hung-yen"]).await;
    add_user(&app, "staff@city.vn", Role::Staff, None, None).await;
    add_user(&app, "admin@city.vn", Role::Admin, None, None).await;
    add_user(&app, "agent@hy.vn", Role::Agency, Some(agency), None).await;
    for i in 0..6 {
        submit_response(
            &app,
            "hung-yen",
            &format!("Hung Yen Firm {i}"),
            true,
            i % 2 == 0,
        )
        .await;
    }
    submit_response(&app, "hung-yen", "=HYPERLINK(\"http://evil\")", true, true).await;
    for i in 0..3 {
        submit_response(&app, "da-nang", &format!("Da Nang Firm {i}"), true, true).await;
    }
    // Without these, Hưng Yên would be all firms but Đà Nẵng's three, and the privacy rule
    // would withhold it (all minus Hưng Yên would give them).
    for i in 0..5 {
        submit_response(&app, "hue", &format!("Hue Firm {i}"), false, true).await;
    }
    let staff = signed_in(&app, "staff@city.vn").await;
    let res = get(&app, &staff, "/dashboard/export.csv?province=hung-yen").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = res.text().await.unwrap();
    assert!(
        csv.contains("hung-yen"),
        "the filter is written in the file: {csv}"
    );
    assert!(
        csv.lines().any(|l| l.starts_with("7,")),
        "seven assessments: {csv}"
    );
    assert!(!csv.contains("Firm"), "no firm's name in the aggregates");
    // Three firms: only the notes, no figure at all.
    let small = text(get(&app, &staff, "/dashboard/export.csv?province=da-nang").await)
        .await
        .1;
    assert!(!small.lines().any(|l| l.starts_with("3,")), "{small}");
    let xlsx = get(&app, &staff, "/dashboard/export.xlsx?province=hung-yen").await;
    assert_eq!(xlsx.status(), StatusCode::OK);
    assert!(
        xlsx.bytes().await.unwrap().starts_with(b"PK"),
        "an xlsx is a zip"
    );
    assert_eq!(
        get(&app, &staff, "/admin/export/responses.csv")
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get(&app, &staff, "/followup/export.csv").await.status(),
        StatusCode::FORBIDDEN
    );

    let admin = signed_in(&app, "admin@city.vn").await;
    let rows = text(get(&app, &admin, "/admin/export/responses.csv").await)
        .await
        .1;
    let mut lines = rows.lines();
    assert!(lines.next().unwrap().starts_with("submitted_at,"), "{rows}");
    assert_eq!(lines.count(), 15, "one row per submitted response");
    assert!(!rows.contains("Firm") && !rows.contains("@firm.example") && !rows.contains("0912"));

    let agent = signed_in(&app, "agent@hy.vn").await;
    let caseload = text(get(&app, &agent, "/followup/export.csv").await)
        .await
        .1;
    assert!(caseload.contains("Hung Yen Firm 0") && caseload.contains("@firm.example"));
    assert!(
        !caseload.contains("Da Nang"),
        "only the agency's own provinces"
    );
    assert!(
        caseload.contains("'=HYPERLINK"),
        "a formula is neutralised: {caseload}"
    );
    assert!(!caseload.contains(",=HYPERLINK") && !caseload.contains("\"=HYPERLINK"));
    let _ = app.stop().await;
}
db_test!(exports_follow_the_filters_the_privacy_rule_and_the_roles);
