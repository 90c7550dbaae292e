//! Signing in and out, changing one's password, signing out everywhere.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_csrf::CsrfToken;
use maud::{Markup, html};
use serde::Deserialize;

use super::{Console, error_summary, home_for};
use crate::auth::sign_in::{self, Outcome, PasswordChange};
use crate::auth::{AuthSession, Credentials, session_keys};
use crate::domain::Lang;
use crate::web::lang::PageLang;
use crate::web::security::ClientAddr;
use crate::web::session::safe_next;
use crate::web::views::layout::{page_with, t};
use crate::web::{AppResult, AppState};

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    /// The authenticator code, for accounts that turned the second factor on.
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    csrf_token: String,
}

/// `GET /login`: the form, or straight on when already signed in.
pub async fn login_form(
    PageLang(lang): PageLang,
    token: CsrfToken,
    auth: AuthSession,
    Query(query): Query<LoginQuery>,
) -> Response {
    let next = safe_next(query.next.as_deref());
    if let Some(account) = &auth.user {
        return Redirect::to(next.unwrap_or(home_for(account.role))).into_response();
    }
    login_page(lang, token, StatusCode::OK, "", next.unwrap_or(""), None)
}

/// `POST /login`. Unknown e-mail, wrong password and disabled account all get the same answer.
pub async fn login(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    token: CsrfToken,
    ClientAddr(addr): ClientAddr,
    mut auth: AuthSession,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    token.verify(&form.csrf_token)?;
    let next = safe_next(Some(&form.next)).map(str::to_string);
    let email: String = form.email.chars().take(254).collect();
    let creds = Credentials {
        email: email.clone(),
        password: form.password,
        code: form.code,
    };
    let outcome = sign_in::sign_in(&state.db, &mut auth, creds, addr).await?;
    let (status, message) = match outcome {
        Outcome::SignedIn(account) => {
            let to = next.unwrap_or_else(|| home_for(account.role).to_string());
            return Ok(Redirect::to(&to).into_response());
        }
        Outcome::Refused => (
            StatusCode::UNAUTHORIZED,
            t(
                lang,
                "E-mail hoặc mật khẩu không đúng. Kiểm tra lại rồi thử lần nữa.",
                "The e-mail address or password is not right. Check them and try again.",
            ),
        ),
        Outcome::Locked => (
            StatusCode::TOO_MANY_REQUESTS,
            t(
                lang,
                "Có quá nhiều lần đăng nhập không thành công. Hãy thử lại sau 15 phút.",
                "There have been too many failed sign-in attempts. Try again in 15 minutes.",
            ),
        ),
    };
    Ok(login_page(
        lang,
        token,
        status,
        &email,
        next.as_deref().unwrap_or(""),
        Some(message),
    ))
}

fn login_page(
    lang: Lang,
    token: CsrfToken,
    status: StatusCode,
    email: &str,
    next: &str,
    problem: Option<&str>,
) -> Response {
    let title = t(lang, "Đăng nhập", "Sign in");
    let title = if problem.is_some() {
        format!("{}: {title}", t(lang, "Lỗi", "Error"))
    } else {
        title.to_string()
    };
    let csrf = token.authenticity_token().unwrap_or_default();
    let content = html! {
        h1 { (t(lang, "Đăng nhập", "Sign in")) }
        p { (t(lang,
            "Dành cho cán bộ thành phố/tỉnh, đơn vị hỗ trợ và quản trị viên. Doanh nghiệp làm bài đánh giá không cần đăng nhập.",
            "For city and province staff, support agencies and administrators. Businesses taking the check do not need to sign in.")) }
        @if let Some(problem) = problem {
            (error_summary(lang, &[problem.to_string()]))
        }
        form method="post" action="/login" novalidate {
            input type="hidden" name="csrf_token" value=(csrf);
            input type="hidden" name="next" value=(next);
            div.field {
                label for="email" { (t(lang, "E-mail", "E-mail address")) }
                input #email type="email" name="email" value=(email) autocomplete="username" spellcheck="false" maxlength="254" required;
            }
            div.field {
                label for="password" { (t(lang, "Mật khẩu", "Password")) }
                input #password type="password" name="password" autocomplete="current-password" maxlength="256" required;
            }
            div.field {
                label for="code" { (t(lang, "Mã xác thực (nếu bạn đã bật)", "Authenticator code (if you turned it on)")) }
                input #code type="text" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="8";
            }
            button.button type="submit" { (t(lang, "Đăng nhập", "Sign in")) }
        }
    };
    (
        status,
        token,
        page_with(lang, &title, "/login", None, content),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf_token: String,
}

/// `POST /logout`.
pub async fn logout(
    State(state): State<AppState>,
    token: CsrfToken,
    ClientAddr(addr): ClientAddr,
    mut auth: AuthSession,
    Form(form): Form<CsrfForm>,
) -> AppResult<Redirect> {
    token.verify(&form.csrf_token)?;
    sign_in::sign_out(&state.db, &mut auth, addr).await?;
    Ok(Redirect::to("/login"))
}

/// `POST /account/sign-out-everywhere`: every session of this account ends, this one too.
pub async fn sign_out_everywhere(
    State(state): State<AppState>,
    mut console: Console,
    Form(form): Form<CsrfForm>,
) -> AppResult<Redirect> {
    console.verify_csrf(&form.csrf_token)?;
    sign_in::sign_out_everywhere(&state.db, &mut console.user.auth, console.addr.0).await?;
    Ok(Redirect::to("/login"))
}

#[derive(Debug, Deserialize)]
pub struct AccountQuery {
    changed: Option<String>,
}

/// `GET /account/password`: the account page (password change, sign out everywhere).
pub async fn account_page(
    State(state): State<AppState>,
    console: Console,
    Query(query): Query<AccountQuery>,
) -> AppResult<Response> {
    let sessions =
        crate::db::sessions::count_for_user(&state.db, console.account().id, chrono::Utc::now())
            .await?;
    let notice = if query.changed.is_some() {
        Some(console.t(
            "Đã đổi mật khẩu. Các phiên đăng nhập khác đã kết thúc.",
            "Your password has been changed. Your other sessions have ended.",
        ))
    } else if console.account().must_change_password {
        Some(console.t(
            "Mật khẩu này do người khác đặt. Hãy chọn mật khẩu của riêng bạn để tiếp tục.",
            "This password was chosen by someone else. Choose your own to go on.",
        ))
    } else {
        None
    };
    Ok(account_view(
        &console,
        StatusCode::OK,
        &[],
        notice,
        sessions,
    ))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
    #[serde(default)]
    csrf_token: String,
}

/// `POST /account/password`.
pub async fn change_password(
    State(state): State<AppState>,
    mut console: Console,
    Form(form): Form<PasswordForm>,
) -> AppResult<Response> {
    console.verify_csrf(&form.csrf_token)?;
    let problem = if form.new_password != form.confirm_password {
        Some(
            console
                .t(
                    "Hai lần nhập mật khẩu mới không khớp nhau",
                    "The two new passwords do not match",
                )
                .to_string(),
        )
    } else {
        match sign_in::change_password(
            &state.db,
            &mut console.user.auth,
            form.current_password,
            form.new_password,
            console.addr.0,
        )
        .await?
        {
            PasswordChange::Changed => {
                return Ok(Redirect::to("/account/password?changed=1").into_response());
            }
            PasswordChange::WrongCurrent => Some(
                console
                    .t(
                        "Mật khẩu hiện tại không đúng",
                        "Your current password is not right",
                    )
                    .to_string(),
            ),
            PasswordChange::Unacceptable(e) => Some(e.0.get(console.lang).to_string()),
        }
    };
    let problems: Vec<String> = problem.into_iter().collect();
    let sessions =
        crate::db::sessions::count_for_user(&state.db, console.account().id, chrono::Utc::now())
            .await?;
    Ok(account_view(
        &console,
        StatusCode::UNPROCESSABLE_ENTITY,
        &problems,
        None,
        sessions,
    ))
}

fn account_view(
    console: &Console,
    status: StatusCode,
    problems: &[String],
    notice: Option<&str>,
    sessions: usize,
) -> Response {
    let lang = console.lang;
    let csrf = console.csrf_value();
    let content: Markup = html! {
        h1 { (t(lang, "Tài khoản của bạn", "Your account")) }
        @if let Some(notice) = notice { p.notice role="status" { (notice) } }
        (error_summary(lang, problems))
        dl.summary-list {
            div { dt { (t(lang, "E-mail", "E-mail")) } dd { (console.account().email) } }
            div { dt { (t(lang, "Vai trò", "Role")) } dd { (super::role_name(lang, console.account().role)) } }
            @if let Some(p) = &console.account().province {
                div { dt { (t(lang, "Giới hạn theo tỉnh", "Limited to province")) } dd { (p) } }
            }
        }
        h2 { (t(lang, "Đổi mật khẩu", "Change your password")) }
        form method="post" action="/account/password" novalidate {
            input type="hidden" name="csrf_token" value=(csrf);
            div.field {
                label for="current_password" { (t(lang, "Mật khẩu hiện tại", "Current password")) }
                input #current_password type="password" name="current_password" autocomplete="current-password" maxlength="256" required;
            }
            div.field {
                label for="new_password" { (t(lang, "Mật khẩu mới", "New password")) }
                p.hint { (t(lang, "Ít nhất 10 ký tự. Một cụm vài từ dễ nhớ là tốt nhất.", "At least 10 characters. A phrase of a few words is easiest to remember.")) }
                input #new_password type="password" name="new_password" autocomplete="new-password" maxlength="256" required;
            }
            div.field {
                label for="confirm_password" { (t(lang, "Nhập lại mật khẩu mới", "Type the new password again")) }
                input #confirm_password type="password" name="confirm_password" autocomplete="new-password" maxlength="256" required;
            }
            button.button type="submit" { (t(lang, "Đổi mật khẩu", "Change password")) }
        }
        h2 { (t(lang, "Mã xác thực hai lớp", "Two-step sign-in")) }
        @if console.account().totp_secret.is_some() {
            p { (t(lang, "Đã bật: mỗi lần đăng nhập cần mã từ ứng dụng xác thực.", "On: every sign-in asks for a code from your authenticator app.")) }
        } @else {
            p { (t(lang, "Khuyến nghị cho tài khoản quản trị.", "Recommended for admin accounts.")) " " a href="/account/totp" { (t(lang, "Bật mã xác thực", "Turn on authenticator codes")) } }
        }
        h2 { (t(lang, "Đăng xuất khỏi mọi thiết bị", "Sign out everywhere")) }
        p { (t(lang, "Số phiên đang mở: ", "Open sessions: ")) (sessions) }
        p { (t(lang,
            "Nếu bạn quên đăng xuất trên máy dùng chung hoặc nghi ngờ ai đó dùng tài khoản của bạn, hãy kết thúc mọi phiên đăng nhập.",
            "If you forgot to sign out on a shared computer or think someone else used your account, end every session.")) }
        form method="post" action="/account/sign-out-everywhere" {
            input type="hidden" name="csrf_token" value=(csrf);
            button.button.button-warning type="submit" { (t(lang, "Đăng xuất khỏi mọi thiết bị", "Sign out everywhere")) }
        }
    };
    console.page_with_status(status, t(lang, "Tài khoản", "Account"), content)
}

/// `GET /account/totp`: a new secret to add to an authenticator app, kept in the session
/// until a code confirms it.
pub async fn totp_page(console: Console) -> AppResult<Response> {
    if console.account().totp_secret.is_some() {
        return Ok(Redirect::to("/account/password").into_response());
    }
    // The same key on a reload, so one already added to the app still matches.
    let pending = console
        .user
        .auth
        .session
        .get::<String>(session_keys::TOTP_PENDING)
        .await
        .map_err(anyhow::Error::from)?;
    let secret = match pending {
        Some(secret) => secret,
        None => {
            let secret = crate::auth::totp::new_secret();
            console
                .user
                .auth
                .session
                .insert(session_keys::TOTP_PENDING, &secret)
                .await
                .map_err(anyhow::Error::from)?;
            secret
        }
    };
    Ok(totp_view(&console, StatusCode::OK, &secret, &[]))
}

#[derive(Deserialize)]
pub struct TotpForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    csrf_token: String,
}

/// `POST /account/totp`: turns the second factor on when the code matches the pending secret.
pub async fn enable_totp(
    State(state): State<AppState>,
    console: Console,
    Form(form): Form<TotpForm>,
) -> AppResult<Response> {
    console.verify_csrf(&form.csrf_token)?;
    let Some(secret) = console
        .user
        .auth
        .session
        .get::<String>(session_keys::TOTP_PENDING)
        .await
        .map_err(anyhow::Error::from)?
    else {
        return Ok(Redirect::to("/account/totp").into_response());
    };
    if sign_in::enable_second_factor(
        &state.db,
        console.account(),
        &secret,
        &form.code,
        console.addr.0,
    )
    .await?
    {
        console
            .user
            .auth
            .session
            .remove::<String>(session_keys::TOTP_PENDING)
            .await
            .map_err(anyhow::Error::from)?;
        return Ok(Redirect::to("/account/password").into_response());
    }
    let problem = console
        .t(
            "Mã không đúng. Nhập mã đang hiện trong ứng dụng xác thực.",
            "That code is not right. Enter the code your authenticator app shows now.",
        )
        .to_string();
    Ok(totp_view(
        &console,
        StatusCode::UNPROCESSABLE_ENTITY,
        &secret,
        &[problem],
    ))
}

fn totp_view(console: &Console, status: StatusCode, secret: &str, problems: &[String]) -> Response {
    let lang = console.lang;
    let uri = crate::auth::totp::otpauth_uri(secret, &console.account().email);
    let content: Markup = html! {
        h1 { (t(lang, "Bật mã xác thực hai lớp", "Turn on two-step sign-in")) }
        (error_summary(lang, problems))
        p { (t(lang, "Thêm khoá này vào ứng dụng xác thực (Google Authenticator, Microsoft Authenticator, …), rồi nhập mã 6 số mà ứng dụng hiện ra.", "Add this key to an authenticator app (Google Authenticator, Microsoft Authenticator, …), then enter the 6-digit code it shows.")) }
        p { (t(lang, "Khoá: ", "Key: ")) code #totp-secret { (secret) } }
        p.hint { code { (uri) } }
        form method="post" action="/account/totp" novalidate {
            input type="hidden" name="csrf_token" value=(console.csrf_value());
            div.field {
                label for="code" { (t(lang, "Mã 6 số", "6-digit code")) }
                input #code type="text" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="8" required;
            }
            button.button type="submit" { (t(lang, "Bật", "Turn on")) }
        }
    };
    console.page_with_status(
        status,
        t(lang, "Mã xác thực", "Authenticator codes"),
        content,
    )
}
