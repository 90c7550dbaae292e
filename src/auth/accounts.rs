//! Checks on account and agency input, shared by `dxready user add` / `agency add` and the
//! admin pages. Every message is bilingual; the command line prints the English one.

use sea_orm::DatabaseConnection;

use super::Role;
use crate::db;
use crate::db::accounts::{AccountFields, AgencyFields};
use crate::domain::Text;
use crate::domain::answers::is_plausible_email;
use crate::domain::reference::Reference;

/// The contract's barrier ids, which agencies may help with.
pub const BARRIER_IDS: [&str; 5] = ["awareness", "cost", "staffing", "security", "roadmap"];

/// Why some input was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", .0.en)]
pub struct InputError(pub Text);

fn refuse(vi: impl Into<String>, en: impl Into<String>) -> InputError {
    InputError(Text::new(vi, en))
}

/// E-mails are compared and stored trimmed and lowercased.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

pub fn check_email(email: &str) -> Result<String, InputError> {
    let email = normalise_email(email);
    if is_plausible_email(&email) {
        Ok(email)
    } else {
        Err(refuse(
            "Nhập địa chỉ e-mail đúng dạng, ví dụ ten@so-ke-hoach.gov.vn",
            "Enter an e-mail address in the right form, like name@example.gov.vn",
        ))
    }
}

pub fn check_password(password: &str) -> Result<(), InputError> {
    super::password::check_new(password).map_err(|weakness| match weakness {
        super::password::Weakness::Common => refuse(
            "Mật khẩu này quá phổ biến, ai cũng đoán được. Hãy chọn một câu dài của riêng bạn.",
            "This password is one of the most common, the first anyone would guess. Choose a phrase of your own.",
        ),
        _ => refuse(
            format!(
                "Mật khẩu phải có từ {} ký tự (tối đa {} byte)",
                super::password::MIN_LENGTH,
                super::password::MAX_LENGTH
            ),
            format!(
                "The password must have at least {} characters (at most {} bytes)",
                super::password::MIN_LENGTH,
                super::password::MAX_LENGTH
            ),
        )
    })
}

pub fn parse_role(role: &str) -> Result<Role, InputError> {
    Role::parse(role.trim()).ok_or_else(|| {
        refuse(
            "Vai trò phải là admin, staff hoặc agency",
            "The role must be admin, staff or agency",
        )
    })
}

fn check_province(reference: &Reference, slug: &str) -> Result<String, InputError> {
    let slug = slug.trim();
    if reference.province(slug).is_some() {
        Ok(slug.to_string())
    } else {
        let known: Vec<&str> = reference
            .provinces
            .iter()
            .map(|p| p.slug.as_str())
            .collect();
        Err(refuse(
            format!(
                "Không có tỉnh/thành phố \"{slug}\". Dùng một trong: {}",
                known.join(", ")
            ),
            format!(
                "Unknown province \"{slug}\". Use one of: {}",
                known.join(", ")
            ),
        ))
    }
}

/// Role and scope as typed (on the command line or the admin form).
#[derive(Debug, Clone, Default)]
pub struct ScopeInput<'a> {
    pub role: &'a str,
    /// Agency slug; required for, and only for, agency accounts.
    pub agency: Option<&'a str>,
    /// Province slug; only for staff accounts.
    pub province: Option<&'a str>,
}

/// Checks role and scope together and resolves the agency slug.
pub async fn resolve_scope(
    db: &DatabaseConnection,
    reference: &Reference,
    input: &ScopeInput<'_>,
) -> Result<(Role, Option<i64>, Option<String>), ResolveError> {
    let role = parse_role(input.role)?;
    let agency = input.agency.map(str::trim).filter(|s| !s.is_empty());
    let province = input.province.map(str::trim).filter(|s| !s.is_empty());
    match role {
        Role::Agency => {
            let Some(slug) = agency else {
                return Err(refuse(
                    "Tài khoản agency cần --agency (mã đơn vị hỗ trợ)",
                    "An agency account needs --agency (the agency's slug)",
                )
                .into());
            };
            if province.is_some() {
                return Err(refuse(
                    "Chỉ tài khoản staff mới giới hạn theo tỉnh; tỉnh của agency lấy từ đơn vị",
                    "Only staff accounts are limited to a province; an agency's provinces come from the agency",
                )
                .into());
            }
            let found = db::accounts::find_agency_by_slug(db, slug)
                .await?
                .ok_or_else(|| {
                    refuse(
                        format!(
                            "Chưa có đơn vị hỗ trợ \"{slug}\"; tạo bằng `dxready agency add` trước"
                        ),
                        format!("No agency \"{slug}\"; create it with `dxready agency add` first"),
                    )
                })?;
            Ok((role, Some(found.id), None))
        }
        Role::Staff => {
            if agency.is_some() {
                return Err(refuse(
                    "Chỉ tài khoản agency mới thuộc một đơn vị hỗ trợ",
                    "Only agency accounts belong to an agency",
                )
                .into());
            }
            let province = province.map(|p| check_province(reference, p)).transpose()?;
            Ok((role, None, province))
        }
        Role::Admin => {
            if agency.is_some() || province.is_some() {
                return Err(refuse(
                    "Tài khoản admin không giới hạn theo đơn vị hay tỉnh",
                    "An admin account is not limited to an agency or a province",
                )
                .into());
            }
            Ok((role, None, None))
        }
    }
}

/// A refusal, or a storage failure while checking.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Db(#[from] db::Error),
}

/// Everything an account needs, checked.
pub async fn account_fields(
    db: &DatabaseConnection,
    reference: &Reference,
    email: &str,
    scope: &ScopeInput<'_>,
) -> Result<AccountFields, ResolveError> {
    let email = check_email(email)?;
    let (role, agency_id, province) = resolve_scope(db, reference, scope).await?;
    Ok(AccountFields {
        email,
        role,
        agency_id,
        province,
    })
}

/// Splits `a,b , c` into trimmed, non-empty, de-duplicated items in order.
pub fn split_list(list: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if !out.iter().any(|x| x == item) {
            out.push(item.to_string());
        }
    }
    out
}

/// Checks an agency: a slug of lowercase letters, digits and hyphens; a name; at least one
/// known province; known barriers (all five when none are given).
pub fn agency_fields(
    reference: &Reference,
    slug: &str,
    name: &str,
    provinces: &[String],
    barriers: &[String],
) -> Result<AgencyFields, InputError> {
    let slug = slug.trim();
    let slug_ok = !slug.is_empty()
        && slug.len() <= 64
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !slug_ok {
        return Err(refuse(
            "Mã đơn vị chỉ gồm chữ thường không dấu, số và dấu gạch ngang (tối đa 64 ký tự)",
            "The slug may hold only lowercase letters, digits and hyphens (at most 64 characters)",
        ));
    }
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > 200
        || crate::domain::answers::has_hidden_or_control(name)
    {
        return Err(refuse(
            "Nhập tên đơn vị (tối đa 200 ký tự, không có ký tự ẩn)",
            "Enter the agency's name (at most 200 characters, no hidden characters)",
        ));
    }
    if provinces.is_empty() {
        return Err(refuse(
            "Chọn ít nhất một tỉnh/thành phố mà đơn vị phục vụ",
            "Give at least one province the agency serves",
        ));
    }
    let provinces = provinces
        .iter()
        .map(|p| check_province(reference, p))
        .collect::<Result<Vec<_>, _>>()?;
    let barriers = if barriers.is_empty() {
        BARRIER_IDS.iter().map(|b| (*b).to_string()).collect()
    } else {
        for b in barriers {
            if !BARRIER_IDS.contains(&b.as_str()) {
                return Err(refuse(
                    format!("Không có rào cản \"{b}\". Dùng: {}", BARRIER_IDS.join(", ")),
                    format!("Unknown barrier \"{b}\". Use: {}", BARRIER_IDS.join(", ")),
                ));
            }
        }
        barriers.to_vec()
    };
    Ok(AgencyFields {
        slug: slug.to_string(),
        name: name.to_string(),
        provinces,
        barriers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            check_email("  Staff@Example.VN ").unwrap(),
            "staff@example.vn"
        );
        assert!(check_email("not an email").is_err());
    }

    #[test]
    fn lists_are_split_trimmed_and_deduplicated() {
        assert_eq!(split_list("a, b,,a ,c"), vec!["a", "b", "c"]);
        assert!(split_list(" , ").is_empty());
    }
}
