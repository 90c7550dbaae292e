//! The agencies' follow-up over HTTP: a firm across its assessments, the lead list (matching,
//! filters, order, pages), the lead page, the case workflow with its conflict answer, and the
//! firm's withdrawal and erasure reaching every agency at once.

use dxready::auth::Role;
use dxready::db::accounts::{AccountFields, AgencyFields};
use dxready::domain::case::{Priority, Status};
use reqwest::{Client, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;
use uuid::Uuid;

use crate::db_test;
use crate::fixtures::{Pick, answers, business};
use crate::helpers::{
    TestApp, browser, csrf, get, hidden_input, location, post_form, sign_in, text,
};

const QID: &str = "dxready-sme";
const PASSWORD: &str = "correct horse battery";

async fn add_agency(app: &TestApp, slug: &str, provinces: &[&str], barriers: &[&str]) -> i64 {
    let fields = AgencyFields {
        slug: slug.into(),
        name: format!("Agency {slug}"),
        provinces: provinces.iter().map(|p| (*p).to_string()).collect(),
        barriers: barriers.iter().map(|b| (*b).to_string()).collect(),
    };
    dxready::db::accounts::upsert_agency(&app.state.db, &fields)
        .await
        .expect("agency")
        .0
        .id
}

async fn add_user(app: &TestApp, email: &str, role: Role, agency_id: Option<i64>) -> i64 {
    let hash = dxready::auth::password::hash(PASSWORD.into())
        .await
        .expect("hash");
    let fields = AccountFields {
        email: email.into(),
        role,
        agency_id,
        province: None,
    };
    dxready::db::accounts::create_account(&app.state.db, &fields, &hash)
        .await
        .expect("account")
        .id
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

/// A firm's assessment over the API, consenting to follow-up; returns (response id, token).
async fn assess(
    app: &TestApp,
    def: &Value,
    name: &str,
    province: &str,
    pick: Pick,
    previous: Option<&str>,
) -> (Uuid, String) {
    let mut request = serde_json::json!({
        "lang": "vi",
        "business": business(province, "retail", 6, "none"),
        "answers": answers(def, pick),
        "contact": {
            "email": format!("{}@firm.example", name.to_lowercase().replace(' ', ".")),
            "phone": "0912 345 678",
            "consent_followup": true,
        },
    });
    request["business"]["name"] = name.into();
    if let Some(p) = previous {
        request["previous"] = p.into();
    }
    let res = app
        .post_json(&format!("/api/v1/questionnaires/{QID}/responses"), &request)
        .await;
    assert_eq!(res.status(), 201);
    let token = res.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let id = dxready::db::entities::response::Entity::find()
        .filter(
            dxready::db::entities::response::Column::ResultTokenHash
                .eq(dxready::db::tokens::hash_token(&token)),
        )
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("stored")
        .id;
    (id, token)
}

/// Posts the case form of lead `id` as the page `client` last saw it, with `fields` changed.
async fn post_case(
    app: &TestApp,
    client: &Client,
    id: Uuid,
    page: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let token = hidden_input(page, "csrf_token").expect("csrf");
    let version = case_version(page);
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", &token), ("version", &version)];
    form.extend_from_slice(fields);
    post_form(app, client, &format!("/followup/{id}/case"), &form).await
}

/// The version the case form on `page` carries.
fn case_version(page: &str) -> String {
    let form = page
        .split("class=\"case-form\"")
        .nth(1)
        .expect("a case form");
    hidden_input(form, "version").expect("version")
}

async fn page(app: &TestApp, client: &Client, path: &str) -> String {
    let (status, body) = text(get(app, client, path).await).await;
    assert_eq!(status, StatusCode::OK, "GET {path}");
    body
}

/// The lead ids on a list page, in order.
fn listed(page: &str) -> Vec<Uuid> {
    page.split("<tr class=\"lead\">")
        .skip(1)
        .filter_map(|row| {
            let start = row.find("href=\"/followup/")? + "href=\"/followup/".len();
            Uuid::parse_str(row.get(start..start + 36)?).ok()
        })
        .collect()
}

async fn case_of(app: &TestApp, lead: Uuid, agency: i64) -> dxready::db::cases::Case {
    let firm = dxready::db::leads::firm_of(&app.state.db, lead)
        .await
        .unwrap()
        .unwrap();
    dxready::db::cases::find(&app.state.db, firm, agency)
        .await
        .unwrap()
}

// ---------------------------------------------------------------------------------------------

/// A re-assessment belongs to the earlier assessment's firm; a firm that names no earlier
/// result is a new firm; and no result can be linked without its token.
async fn a_firm_keeps_its_identity_across_assessments(app: TestApp) {
    let def = definition(&app).await;
    let (t0, token0) = assess(&app, &def, "Firm One", "hai-phong", Pick::Worst, None).await;
    let (t1, token1) = assess(
        &app,
        &def,
        "Firm One",
        "hai-phong",
        Pick::Varied(3),
        Some(&token0),
    )
    .await;
    let (t2, _) = assess(
        &app,
        &def,
        "Firm One",
        "hai-phong",
        Pick::Best,
        Some(&token1),
    )
    .await;
    let (other, _) = assess(&app, &def, "Firm Two", "hai-phong", Pick::Worst, None).await;
    let firm = |id| {
        let db = app.state.db.clone();
        async move { dxready::db::leads::firm_of(&db, id).await.unwrap().unwrap() }
    };
    assert_eq!(firm(t0).await, t0, "a first assessment is its own firm");
    assert_eq!(firm(t1).await, t0);
    assert_eq!(firm(t2).await, t0);
    assert_eq!(firm(other).await, other);

    // Without the token there is no link: an id is not a token.
    let mut request = serde_json::json!({
        "lang": "vi", "business": business("hai-phong", "retail", 6, "none"),
        "answers": answers(&def, Pick::Best), "previous": t0.to_string(),
    });
    request["business"]["name"] = "Intruder".into();
    let res = app
        .post_json(&format!("/api/v1/questionnaires/{QID}/responses"), &request)
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        dxready::db::leads::assessments(&app.state.db, t0)
            .await
            .unwrap()
            .len(),
        3
    );

    // The migration back-fills firms by following the links: undo it and apply it again.
    use migration::MigratorTrait;
    let names: Vec<String> = migration::Migrator::migrations()
        .iter()
        .map(|m| m.name().to_string())
        .collect();
    let firm_migration = names
        .iter()
        .position(|n| n == "m20261208_200001_firm")
        .expect("the firm migration");
    let since = u32::try_from(names.len() - firm_migration).unwrap();
    migration::Migrator::down(&app.state.db, Some(since))
        .await
        .unwrap();
    migration::Migrator::up(&app.state.db, None).await.unwrap();
    assert_eq!(firm(t2).await, t0, "back-filled along the chain");
    assert_eq!(firm(t1).await, t0);
    assert_eq!(firm(other).await, other);
    let _ = app.stop().await;
}
db_test!(a_firm_keeps_its_identity_across_assessments);

/// Matching by provinces and barriers; another agency's lead or case is 404, also to post to.
async fn an_agency_sees_only_its_own_leads_and_cases(app: TestApp) {
    let def = definition(&app).await;
    let hp = add_agency(&app, "hp", &["hai-phong"], &[]).await;
    let hp_security = add_agency(&app, "hp-sec", &["hai-phong"], &["security"]).await;
    let hn = add_agency(&app, "hn", &["ha-noi"], &[]).await;
    add_user(&app, "a@hp.vn", Role::Agency, Some(hp)).await;
    add_user(&app, "s@hp.vn", Role::Agency, Some(hp_security)).await;
    add_user(&app, "b@hn.vn", Role::Agency, Some(hn)).await;
    add_user(&app, "admin@city.vn", Role::Admin, None).await;
    let (weak, _) = assess(&app, &def, "Weak Fish", "hai-phong", Pick::Worst, None).await;
    let (strong, _) = assess(&app, &def, "Strong Fish", "hai-phong", Pick::Best, None).await;
    let (hanoi, _) = assess(&app, &def, "Hanoi Bakery", "ha-noi", Pick::Worst, None).await;
    let barriers = |id| {
        let db = app.state.db.clone();
        async move {
            dxready::db::entities::result_barrier::Entity::find()
                .filter(dxready::db::entities::result_barrier::Column::ResponseId.eq(id))
                .all(&db)
                .await
                .unwrap()
                .into_iter()
                .map(|b| b.barrier_id)
                .collect::<Vec<_>>()
        }
    };
    assert!(barriers(weak).await.contains(&"security".to_string()));
    assert!(!barriers(strong).await.contains(&"security".to_string()));

    let a = signed_in(&app, "a@hp.vn").await;
    let list = page(&app, &a, "/followup").await;
    let ids = listed(&list);
    assert!(
        ids.contains(&weak) && ids.contains(&strong) && !ids.contains(&hanoi),
        "{ids:?}"
    );
    let s = signed_in(&app, "s@hp.vn").await;
    assert_eq!(
        listed(&page(&app, &s, "/followup").await),
        vec![weak],
        "an agency with barriers sees leads having one of them"
    );
    assert_eq!(
        get(&app, &s, &format!("/followup/{strong}")).await.status(),
        StatusCode::NOT_FOUND
    );

    // A claims its lead; B cannot see it, nor post to it.
    let lead_page = page(&app, &a, &format!("/followup/{weak}")).await;
    let a_id = add_user(&app, "a2@hp.vn", Role::Agency, Some(hp)).await;
    let res = post_case(
        &app,
        &a,
        weak,
        &lead_page,
        &[("status", "new"), ("assignee", &a_id.to_string())],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let b = signed_in(&app, "b@hn.vn").await;
    assert_eq!(
        get(&app, &b, &format!("/followup/{weak}")).await.status(),
        StatusCode::NOT_FOUND
    );
    let b_page = page(&app, &b, &format!("/followup/{hanoi}")).await;
    let res = post_case(&app, &b, weak, &b_page, &[("status", "contacted")]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "another agency's case");
    assert_eq!(
        case_of(&app, weak, hn).await.version,
        0,
        "nothing written for B"
    );
    // A cannot hand its case to someone of another agency.
    let b_id = add_user(&app, "b2@hn.vn", Role::Agency, Some(hn)).await;
    let lead_page = page(&app, &a, &format!("/followup/{weak}")).await;
    let res = post_case(
        &app,
        &a,
        weak,
        &lead_page,
        &[("status", "new"), ("assignee", &b_id.to_string())],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(case_of(&app, weak, hp).await.assignee_id, Some(a_id));

    // Admins see the lead and every agency's case, and change none.
    let admin = signed_in(&app, "admin@city.vn").await;
    let admin_page = page(&app, &admin, &format!("/followup/{weak}")).await;
    assert!(admin_page.contains("Agency hp"), "the agencies' cases");
    assert!(!admin_page.contains("case-form"));
    let _ = app.stop().await;
}
db_test!(an_agency_sees_only_its_own_leads_and_cases);

/// Claim, assign to a colleague, move along the way with notes; every change in the history and
/// the audit log; a change the workflow forbids is refused.
async fn claim_assign_and_status_flow_with_notes_and_audit(app: TestApp) {
    let def = definition(&app).await;
    let hp = add_agency(&app, "hp", &["hai-phong"], &[]).await;
    let anna = add_user(&app, "anna@hp.vn", Role::Agency, Some(hp)).await;
    let binh = add_user(&app, "binh@hp.vn", Role::Agency, Some(hp)).await;
    let (lead, _) = assess(&app, &def, "Weak Fish", "hai-phong", Pick::Worst, None).await;
    let a = signed_in(&app, "anna@hp.vn").await;
    let url = format!("/followup/{lead}");

    let p = page(&app, &a, &url).await;
    assert!(p.contains("Nhận hồ sơ này"), "a claim button");
    let claim = p.split("class=\"claim\"").nth(1).unwrap();
    let form = [
        ("csrf_token", hidden_input(claim, "csrf_token").unwrap()),
        ("version", hidden_input(claim, "version").unwrap()),
        ("status", hidden_input(claim, "status").unwrap()),
        ("assignee", hidden_input(claim, "assignee").unwrap()),
        ("next_action", String::new()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = post_form(&app, &a, &format!("{url}/case"), &form).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), format!("{url}#case"));
    assert_eq!(
        case_of(&app, lead, hp).await.assignee_id,
        Some(anna),
        "claimed"
    );

    let p = page(&app, &a, &url).await;
    let res = post_case(
        &app,
        &a,
        lead,
        &p,
        &[
            ("status", "contacted"),
            ("assignee", &anna.to_string()),
            ("next_action", "2030-01-15"),
            ("note", "Called the owner; visit next month"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let p = page(&app, &a, &url).await;
    let res = post_case(
        &app,
        &a,
        lead,
        &p,
        &[
            ("status", "contacted"),
            ("assignee", &binh.to_string()),
            ("next_action", "2030-01-15"),
            ("note", "Binh knows e-invoicing"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let b = signed_in(&app, "binh@hp.vn").await;
    let p = page(&app, &b, &url).await;
    // Backwards is not a way a case goes.
    let res = post_case(
        &app,
        &b,
        lead,
        &p,
        &[("status", "new"), ("assignee", &binh.to_string())],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = post_case(
        &app,
        &b,
        lead,
        &p,
        &[
            ("status", "supporting"),
            ("assignee", &binh.to_string()),
            ("note", "Set up the e-invoice software"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let case = case_of(&app, lead, hp).await;
    assert_eq!(case.status, Status::Supporting);
    assert_eq!(case.assignee_id, Some(binh));
    assert_eq!(case.next_action, None, "cleared by the last form");
    assert_eq!(case.version, 4);
    let history = dxready::db::cases::events(&app.state.db, case.id.unwrap())
        .await
        .unwrap();
    let steps: Vec<(Option<Status>, Status, String)> = history
        .iter()
        .map(|e| (e.from, e.to, e.actor.clone()))
        .collect();
    assert_eq!(
        steps,
        vec![
            (None, Status::New, "anna@hp.vn".into()),
            (Some(Status::New), Status::Contacted, "anna@hp.vn".into()),
            (
                Some(Status::Contacted),
                Status::Contacted,
                "anna@hp.vn".into()
            ),
            (
                Some(Status::Contacted),
                Status::Supporting,
                "binh@hp.vn".into()
            ),
        ]
    );
    assert_eq!(history[2].change.as_deref(), Some("assigned to binh@hp.vn"));
    let p = page(&app, &b, &url).await;
    for note in [
        "Called the owner; visit next month",
        "Binh knows e-invoicing",
        "Set up the e-invoice software",
    ] {
        assert!(p.contains(note), "the history shows {note}");
    }
    let audited = dxready::db::audit::search(
        &app.state.db,
        &dxready::db::audit::Filter {
            action: Some(dxready::db::audit::action::CASE_CHANGED.into()),
            ..Default::default()
        },
        100,
    )
    .await
    .unwrap();
    assert_eq!(audited.len(), 4, "every change audited");
    assert!(audited.iter().any(|e| e.actor == "binh@hp.vn"));
    let _ = app.stop().await;
}
db_test!(claim_assign_and_status_flow_with_notes_and_audit);

/// Two colleagues change one case from the same version: the second gets 409 with the case as
/// it is now and the note typed, and nothing of the first is lost.
async fn a_stale_version_is_a_conflict_that_loses_nothing(app: TestApp) {
    let def = definition(&app).await;
    let hp = add_agency(&app, "hp", &["hai-phong"], &[]).await;
    add_user(&app, "anna@hp.vn", Role::Agency, Some(hp)).await;
    add_user(&app, "binh@hp.vn", Role::Agency, Some(hp)).await;
    let (lead, _) = assess(&app, &def, "Weak Fish", "hai-phong", Pick::Worst, None).await;
    let url = format!("/followup/{lead}");
    let a = signed_in(&app, "anna@hp.vn").await;
    let b = signed_in(&app, "binh@hp.vn").await;
    let seen_by_a = page(&app, &a, &url).await;
    let seen_by_b = page(&app, &b, &url).await;

    let res = post_case(
        &app,
        &a,
        lead,
        &seen_by_a,
        &[("status", "contacted"), ("note", "Anna called")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = post_case(
        &app,
        &b,
        lead,
        &seen_by_b,
        &[("status", "declined"), ("note", "Binh's typed note")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let (_, body) = text(res).await;
    assert!(
        body.contains("Binh&#39;s typed note") || body.contains("Binh's typed note"),
        "the note is kept"
    );
    assert!(body.contains("Đã liên hệ"), "the current status is shown");
    let case = case_of(&app, lead, hp).await;
    assert_eq!(
        (case.status, case.version),
        (Status::Contacted, 1),
        "Anna's change stands"
    );

    // Saving again from the conflict page applies on top.
    let res = post_case(
        &app,
        &b,
        lead,
        &body,
        &[("status", "declined"), ("note", "Binh's typed note")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let case = case_of(&app, lead, hp).await;
    assert_eq!((case.status, case.version), (Status::Declined, 2));
    let notes: Vec<Option<String>> = dxready::db::cases::events(&app.state.db, case.id.unwrap())
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.note)
        .collect();
    assert_eq!(
        notes,
        vec![Some("Anna called".into()), Some("Binh's typed note".into())]
    );

    // Two first changes at once (no case row yet) meet at the unique key: one wins.
    let (other, _) = assess(&app, &def, "Other Fish", "hai-phong", Pick::Worst, None).await;
    let other_url = format!("/followup/{other}");
    let pa = page(&app, &a, &other_url).await;
    let pb = page(&app, &b, &other_url).await;
    let (ra, rb) = tokio::join!(
        post_case(
            &app,
            &a,
            other,
            &pa,
            &[("status", "contacted"), ("note", "A")]
        ),
        post_case(
            &app,
            &b,
            other,
            &pb,
            &[("status", "contacted"), ("note", "B")]
        ),
    );
    let mut statuses = [ra.status(), rb.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::SEE_OTHER, StatusCode::CONFLICT]);
    assert_eq!(case_of(&app, other, hp).await.version, 1);
    let _ = app.stop().await;
}
db_test!(a_stale_version_is_a_conflict_that_loses_nothing);

/// The list's order (risks, then low levels with several barriers, then candidates, then
/// newest), its filters and its pages.
async fn the_list_orders_filters_and_pages(app: TestApp) {
    let def = definition(&app).await;
    let hp = add_agency(&app, "hp", &["hai-phong"], &[]).await;
    let anna = add_user(&app, "anna@hp.vn", Role::Agency, Some(hp)).await;
    let mut ids = Vec::new();
    for i in 0..53u64 {
        let pick = match i % 4 {
            0 => Pick::Worst,
            1 => Pick::Best,
            _ => Pick::Varied(i),
        };
        ids.push(
            assess(&app, &def, &format!("Firm {i}"), "hai-phong", pick, None)
                .await
                .0,
        );
    }
    let a = signed_in(&app, "anna@hp.vn").await;
    let first = page(&app, &a, "/followup").await;
    assert!(first.contains("53 doanh nghiệp"), "the total");
    let mut shown = listed(&first);
    assert_eq!(shown.len(), 50, "a page");
    assert!(first.contains("rel=\"next\""));
    let second = page(&app, &a, "/followup?page=2").await;
    shown.extend(listed(&second));
    assert_eq!(shown.len(), 53, "nothing capped");

    // The expected order from the stored results, by the domain's priority.
    let mut expected = Vec::new();
    for id in &ids {
        let r = dxready::db::entities::assessment_result::Entity::find_by_id(*id)
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap();
        let flags: Vec<String> = serde_json::from_str(&r.agency_flags).unwrap();
        let barrier_ids: Vec<String> = dxready::db::entities::result_barrier::Entity::find()
            .filter(dxready::db::entities::result_barrier::Column::ResponseId.eq(*id))
            .all(&app.state.db)
            .await
            .unwrap()
            .into_iter()
            .map(|b| b.barrier_id)
            .collect();
        let barriers = barrier_ids.len();
        let resp = dxready::db::entities::response::Entity::find_by_id(*id)
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap();
        expected.push((
            Priority::of(&flags, r.level, barriers),
            std::cmp::Reverse((resp.submitted_at, *id)),
            *id,
            r.level,
            barrier_ids.contains(&"cost".to_string()),
        ));
    }
    let priorities: std::collections::BTreeSet<Priority> = expected.iter().map(|e| e.0).collect();
    assert!(
        priorities.len() >= 2,
        "the firms differ in priority: {priorities:?}"
    );
    expected.sort();
    assert_eq!(shown, expected.iter().map(|e| e.2).collect::<Vec<_>>());

    // Filters in the URL.
    let level = expected[0].3;
    let by_level = listed(&page(&app, &a, &format!("/followup?level={level}")).await);
    let want: Vec<Uuid> = expected
        .iter()
        .filter(|e| e.3 == level)
        .map(|e| e.2)
        .collect();
    assert_eq!(by_level, want.iter().copied().take(50).collect::<Vec<_>>());
    assert!(listed(&page(&app, &a, "/followup?province=ha-noi").await).is_empty());
    let with_cost: Vec<Uuid> = expected
        .iter()
        .filter(|e| e.4)
        .map(|e| e.2)
        .take(50)
        .collect();
    assert!(
        !with_cost.is_empty() && with_cost.len() < 53,
        "some firms name cost, some not"
    );
    assert_eq!(
        listed(&page(&app, &a, "/followup?sector=retail&barrier=cost").await),
        with_cost
    );
    assert!(listed(&page(&app, &a, "/followup?sector=hospitality").await).is_empty());

    // Case filters: status, assignee, overdue (the app's today decides).
    let today = app.state.clock.today();
    let yesterday = (today - chrono::Days::new(1)).to_string();
    let tomorrow = (today + chrono::Days::new(1)).to_string();
    for (lead, next) in [(ids[5], &yesterday), (ids[6], &tomorrow)] {
        let p = page(&app, &a, &format!("/followup/{lead}")).await;
        let res = post_case(
            &app,
            &a,
            lead,
            &p,
            &[
                ("status", "contacted"),
                ("assignee", &anna.to_string()),
                ("next_action", next),
            ],
        )
        .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
    let mut contacted = listed(&page(&app, &a, "/followup?status=contacted").await);
    contacted.sort();
    let mut want = vec![ids[5], ids[6]];
    want.sort();
    assert_eq!(contacted, want);
    assert_eq!(
        listed(&page(&app, &a, "/followup?assignee=me").await).len(),
        2
    );
    assert_eq!(
        listed(&page(&app, &a, &format!("/followup?assignee={anna}")).await).len(),
        2
    );
    assert_eq!(
        listed(&page(&app, &a, "/followup?assignee=none&page=2").await).len(),
        1,
        "51 unassigned"
    );
    assert_eq!(
        listed(&page(&app, &a, "/followup?overdue=1").await),
        vec![ids[5]]
    );
    let new_ones = page(&app, &a, "/followup?status=new").await;
    assert!(
        new_ones.contains("51 doanh nghiệp"),
        "untouched leads are new"
    );

    // The caseload export has the case columns.
    let (status, csv) = text(get(&app, &a, "/followup/export.csv").await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        csv.matches("@firm.example").count(),
        53,
        "every lead, no cap"
    );
    assert!(
        csv.contains("contacted,anna@hp.vn,") && csv.contains(&yesterday),
        "{csv}"
    );
    let _ = app.stop().await;
}
db_test!(the_list_orders_filters_and_pages);

/// The lead page has every assessment with the change between them and the full roadmap; a
/// re-assessment moves a case under way to re-assessed.
async fn the_lead_page_shows_assessments_and_change(app: TestApp) {
    let def = definition(&app).await;
    let hp = add_agency(&app, "hp", &["hai-phong"], &[]).await;
    add_user(&app, "anna@hp.vn", Role::Agency, Some(hp)).await;
    let (t0, token0) = assess(&app, &def, "Growing Fish", "hai-phong", Pick::Worst, None).await;
    let a = signed_in(&app, "anna@hp.vn").await;
    let p = page(&app, &a, &format!("/followup/{t0}")).await;
    let res = post_case(&app, &a, t0, &p, &[("status", "contacted")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let (t1, token1) = assess(
        &app,
        &def,
        "Growing Fish",
        "hai-phong",
        Pick::Varied(2),
        Some(&token0),
    )
    .await;
    assert_eq!(
        case_of(&app, t0, hp).await.status,
        Status::Reassessed,
        "moved by the re-assessment"
    );
    let (t2, _) = assess(
        &app,
        &def,
        "Growing Fish",
        "hai-phong",
        Pick::Best,
        Some(&token1),
    )
    .await;

    let list = listed(&page(&app, &a, "/followup").await);
    assert_eq!(list, vec![t2], "one row per firm, its latest assessment");
    // Any of the firm's assessments opens its lead.
    let p = page(&app, &a, &format!("/followup/{t1}")).await;
    let all = dxready::db::leads::assessments(&app.state.db, t0)
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|x| x.response_id).collect::<Vec<_>>(),
        vec![t0, t1, t2]
    );
    assert!(
        p.contains(">T0") && p.contains(">T1") && p.contains(">T2"),
        "three columns"
    );
    let change = all[2].overall - all[1].overall;
    assert!(change > 0.0);
    assert!(
        p.contains(&format!("+{}", change.round())),
        "the change T1 → T2 overall"
    );
    assert!(p.contains("Lộ trình đầy đủ"), "the full roadmap");
    assert!(p.contains("growing.fish@firm.example"), "the contact");
    assert!(p.contains("Đã đánh giá lại"), "the case is re-assessed");
    assert!(
        p.contains("re-assessed by the firm"),
        "the history says why"
    );
    let _ = app.stop().await;
}
db_test!(the_lead_page_shows_assessments_and_change);

/// Withdrawing the follow-up consent, from any of the firm's result links, takes the lead from
/// every agency at once and closes its cases; erasure drops the notes' text, keeping the events.
async fn withdrawal_takes_effect_at_once_and_closes_cases(app: TestApp) {
    let def = definition(&app).await;
    let hp = add_agency(&app, "hp", &["hai-phong"], &[]).await;
    let hp2 = add_agency(&app, "hp2", &["hai-phong"], &[]).await;
    add_user(&app, "anna@hp.vn", Role::Agency, Some(hp)).await;
    add_user(&app, "chi@hp2.vn", Role::Agency, Some(hp2)).await;
    let (t0, token0) = assess(&app, &def, "Leaving Fish", "hai-phong", Pick::Worst, None).await;
    let (t1, _) = assess(
        &app,
        &def,
        "Leaving Fish",
        "hai-phong",
        Pick::Varied(1),
        Some(&token0),
    )
    .await;
    let a = signed_in(&app, "anna@hp.vn").await;
    let c = signed_in(&app, "chi@hp2.vn").await;
    for client in [&a, &c] {
        let p = page(&app, client, &format!("/followup/{t1}")).await;
        let res = post_case(
            &app,
            client,
            t1,
            &p,
            &[
                ("status", "contacted"),
                ("note", "Spoke to Mr Tuan, 0912 345 678"),
            ],
        )
        .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }

    // The firm withdraws from its first result's link.
    let firm = browser();
    let withdraw = format!("/r/{token0}/withdraw");
    let token = csrf(&app, &firm, &withdraw).await;
    let res = post_form(
        &app,
        &firm,
        &withdraw,
        &[("csrf_token", &token), ("action", "withdraw:followup")],
    )
    .await;
    assert!(res.status().is_success(), "{}", res.status());
    for client in [&a, &c] {
        assert_eq!(
            get(&app, client, &format!("/followup/{t1}")).await.status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            get(&app, client, &format!("/followup/{t0}")).await.status(),
            StatusCode::NOT_FOUND
        );
        assert!(
            listed(&page(&app, client, "/followup").await).is_empty(),
            "gone from the list"
        );
    }
    for agency in [hp, hp2] {
        let case = case_of(&app, t1, agency).await;
        assert_eq!(case.status, Status::Closed);
        let last = dxready::db::cases::events(&app.state.db, case.id.unwrap())
            .await
            .unwrap()
            .pop()
            .unwrap();
        assert_eq!(
            (last.from, last.to, last.change.as_deref()),
            (
                Some(Status::Contacted),
                Status::Closed,
                Some("consent withdrawn")
            )
        );
    }

    // Erasure keeps the events without what the agencies typed.
    let delete = format!("/r/{token0}/withdraw");
    let token = csrf(&app, &firm, &delete).await;
    let res = post_form(
        &app,
        &firm,
        &delete,
        &[("csrf_token", &token), ("action", "delete")],
    )
    .await;
    assert!(
        res.status().is_success() || res.status().is_redirection(),
        "{}",
        res.status()
    );
    for agency in [hp, hp2] {
        let case = case_of(&app, t1, agency).await;
        let events = dxready::db::cases::events(&app.state.db, case.id.unwrap())
            .await
            .unwrap();
        assert_eq!(events.len(), 2, "the history stays");
        assert!(
            events.iter().all(|e| e.note.is_none()),
            "no note text is left"
        );
    }
    let _ = app.stop().await;
}
db_test!(withdrawal_takes_effect_at_once_and_closes_cases);
