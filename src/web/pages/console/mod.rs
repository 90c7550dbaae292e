//! The console: the signed-in area of city and province staff (the dashboard), support
//! agencies (follow-up) and admins, and everyone's own account and sign-in. Its shell is shared:
//! a [`Console`] extractor bundles the account, language, CSRF token and client address, and
//! renders pages with the top bar (person, role, sign-out) and the navigation.

pub mod account;
pub mod admin;
pub mod dashboard;
pub mod followup;
pub mod invite;
pub mod mail_queue;

use axum::Router;
use axum::routing::{get, post};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum_csrf::CsrfToken;
use maud::{Markup, html};

use crate::db::accounts::Account;
use crate::domain::Lang;
use crate::domain::Role;
use crate::web::lang::PageLang;
use crate::web::security::ClientAddr;
use crate::web::session::SignedIn;
use crate::web::views::layout::{page_with, t};
use crate::web::{AppResult, AppState};

/// Every console route; each handler checks the role it needs.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(account::login_form).post(account::login))
        .route("/logout", post(account::logout))
        .route(
            "/account/totp",
            get(account::totp_page).post(account::enable_totp),
        )
        .route(
            "/account/password",
            get(account::account_page).post(account::change_password),
        )
        .route(
            "/account/sign-out-everywhere",
            post(account::sign_out_everywhere),
        )
        .route("/dashboard", get(dashboard::dashboard))
        .route("/dashboard/{file}", get(dashboard::export))
        .route("/followup", get(followup::list_leads))
        .route("/followup/export.csv", get(followup::export_caseload))
        .route("/followup/{id}", get(followup::show_lead))
        .route("/followup/{id}/invite", post(invite::send_invitation))
        .route("/followup/{id}/case", post(followup::change_case))
        .route("/admin", get(admin::admin_page))
        .route("/admin/accounts", post(admin::create_account))
        .route("/admin/accounts/{id}/role", post(admin::change_role))
        .route("/admin/accounts/{id}/disable", post(admin::disable_account))
        .route("/admin/accounts/{id}/enable", post(admin::enable_account))
        .route("/admin/agencies", post(admin::save_agency))
        .route("/admin/audit", get(admin::audit_page))
        .route("/admin/export/responses.csv", get(admin::export_responses))
        .route("/admin/mail", get(mail_queue::mail_queue))
        .route("/admin/mail/{id}/retry", post(mail_queue::retry_mail))
        .route("/metrics", get(crate::web::metrics::protected_metrics))
}

pub struct Console {
    pub user: SignedIn,
    pub lang: Lang,
    pub csrf: CsrfToken,
    pub addr: ClientAddr,
    path: String,
}

impl FromRequestParts<AppState> for Console {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = SignedIn::from_request_parts(parts, state).await?;
        // A password someone else chose is replaced before anything else is shown.
        if user.account.must_change_password
            && !matches!(parts.uri.path(), "/account/password" | "/logout")
        {
            return Err(axum::response::Redirect::to("/account/password").into_response());
        }
        let PageLang(lang) = PageLang::from_request_parts(parts, state)
            .await
            .unwrap_or(PageLang(Lang::Vi));
        let csrf = CsrfToken::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let addr = ClientAddr::from_request_parts(parts, state)
            .await
            .unwrap_or(ClientAddr(None));
        Ok(Console {
            user,
            lang,
            csrf,
            addr,
            path: parts.uri.path().to_string(),
        })
    }
}

impl Console {
    pub fn account(&self) -> &Account {
        &self.user.account
    }

    /// The signed-in account as the audit log names it.
    pub fn actor(&self) -> crate::db::audit::Actor {
        crate::db::audit::Actor::account(self.account(), self.addr.0)
    }

    pub fn require(&self, allowed: fn(Role) -> bool) -> AppResult<()> {
        self.user.require(allowed)
    }

    /// The value for every form's hidden `csrf_token` input.
    pub fn csrf_value(&self) -> String {
        self.csrf.authenticity_token().unwrap_or_default()
    }

    /// `403` unless the form carried this visitor's CSRF token.
    pub fn verify_csrf(&self, submitted: &str) -> AppResult<()> {
        Ok(self.csrf.verify(submitted)?)
    }

    pub fn t<'a>(&self, vi: &'a str, en: &'a str) -> &'a str {
        t(self.lang, vi, en)
    }

    /// A full page, with the CSRF cookie set so the page's forms work.
    pub fn page(&self, title: &str, content: Markup) -> Response {
        self.page_with_status(axum::http::StatusCode::OK, title, content)
    }

    pub fn page_with_status(
        &self,
        status: axum::http::StatusCode,
        title: &str,
        content: Markup,
    ) -> Response {
        let body = page_with(
            self.lang,
            title,
            &self.path,
            Some(self.topbar()),
            html! {
                (self.nav())
                (content)
            },
        );
        (status, self.csrf.clone(), body).into_response()
    }

    /// Who is signed in, in which role, and the sign-out button.
    fn topbar(&self) -> Markup {
        let account = self.account();
        html! {
            span.topbar {
                span.topbar-user { (account.email) }
                " · "
                span.topbar-role { (role_name(self.lang, account.role)) }
                form.topbar-signout method="post" action="/logout" {
                    input type="hidden" name="csrf_token" value=(self.csrf_value());
                    button.button.button-secondary type="submit" { (self.t("Đăng xuất", "Sign out")) }
                }
            }
        }
    }

    /// At most four entries, only those the role may open.
    fn nav(&self) -> Markup {
        let role = self.account().role;
        let entries = [
            (
                role.sees_aggregates(),
                "/dashboard",
                "Tổng quan",
                "Dashboard",
            ),
            (
                role.sees_leads(),
                "/followup",
                "Doanh nghiệp cần hỗ trợ",
                "Follow-up",
            ),
            (role.administers(), "/admin", "Quản trị", "Admin"),
            (role.administers(), "/admin/mail", "E-mail", "E-mail"),
            (true, "/account/password", "Tài khoản", "Account"),
        ];
        html! {
            nav.console-nav aria-label=(self.t("Điều hướng", "Navigation")) {
                ul {
                    @for (shown, href, vi, en) in entries {
                        @if shown {
                            li {
                                @if self.path == href || (href != "/" && self.path.starts_with(&format!("{href}/"))) {
                                    a href=(href) aria-current="page" { (t(self.lang, vi, en)) }
                                } @else {
                                    a href=(href) { (t(self.lang, vi, en)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub fn role_name(lang: Lang, role: Role) -> &'static str {
    match role {
        Role::Admin => t(lang, "Quản trị viên", "Administrator"),
        Role::Staff => t(lang, "Cán bộ", "Staff"),
        Role::Agency => t(lang, "Đơn vị hỗ trợ", "Support agency"),
    }
}

/// The first page of each role after signing in.
pub fn home_for(role: Role) -> &'static str {
    match role {
        Role::Admin => "/admin",
        Role::Staff => "/dashboard",
        Role::Agency => "/followup",
    }
}

/// An error summary at the top of a form page (GOV.UK pattern): a heading and each problem.
pub fn error_summary(lang: Lang, problems: &[String]) -> Markup {
    html! {
        @if !problems.is_empty() {
            div.error-summary role="alert" tabindex="-1" {
                h2.error-summary-title { (t(lang, "Có lỗi cần sửa", "There is a problem")) }
                ul {
                    @for p in problems { li { (p) } }
                }
            }
        }
    }
}

/// The reference data (provinces, sectors, size classes) of the loaded questionnaires.
pub fn reference(state: &AppState) -> std::sync::Arc<crate::domain::reference::Reference> {
    state
        .questionnaires
        .latest()
        .first()
        .map(|d| d.reference.clone())
        .unwrap_or_default()
}

/// The newest questionnaire (level, dimension and barrier names for aggregate pages).
pub fn current_definition(state: &AppState) -> Option<std::sync::Arc<crate::domain::Definition>> {
    state.questionnaires.latest().first().cloned()
}

/// A province's name in the page's language, or the slug when unknown.
pub fn province_name(
    reference: &crate::domain::reference::Reference,
    lang: Lang,
    slug: &str,
) -> String {
    reference
        .province(slug)
        .map_or_else(|| slug.to_string(), |p| p.name.get(lang).to_string())
}
