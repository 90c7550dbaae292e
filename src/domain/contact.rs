//! The rules for how a firm may be reached, the same for the form and the API: an address or
//! number must look real, and a consent that needs one must come with it.

use std::collections::BTreeSet;

use crate::domain::answers::{Contact, is_plausible_email, is_plausible_phone};
use crate::domain::questionnaire::ConsentPurpose;
use crate::domain::text::Text;
use crate::domain::validate::{Field, FieldError};

/// Every problem with `contact` given the consents ticked; the first per field matters most.
pub fn contact_errors(contact: &Contact, consents: &BTreeSet<ConsentPurpose>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut refuse = |field: &'static str, vi: &str, en: &str| {
        errors.push(FieldError {
            field: Field::Contact(field),
            message: Text::new(vi, en),
        });
    };
    if let Some(e) = &contact.email
        && !is_plausible_email(e)
    {
        refuse(
            "email",
            "Nhập e-mail đúng dạng, ví dụ ten@congty.vn",
            "Enter an e-mail address in the right format, like name@company.vn",
        );
    }
    if let Some(p) = &contact.phone
        && !is_plausible_phone(p)
    {
        refuse(
            "phone",
            "Nhập số điện thoại đúng dạng, ví dụ 0912 345 678",
            "Enter a phone number like 0912 345 678",
        );
    }
    if consents.contains(&ConsentPurpose::EmailReport) && contact.email.is_none() {
        refuse(
            "email",
            "Nhập e-mail để chúng tôi gửi lộ trình",
            "Enter an e-mail address so we can send the roadmap (the e-mail consent is given)",
        );
    }
    if consents.contains(&ConsentPurpose::Followup)
        && contact.email.is_none()
        && contact.phone.is_none()
    {
        refuse(
            "phone",
            "Nhập e-mail hoặc số điện thoại để tổ chức hỗ trợ liên hệ",
            "Enter an e-mail address or phone number so a support agency can reach the firm (the follow-up consent is given)",
        );
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(email: Option<&str>, phone: Option<&str>) -> Contact {
        Contact {
            email: email.map(str::to_string),
            phone: phone.map(str::to_string),
        }
    }

    #[test]
    fn consents_that_need_a_way_to_reach_the_firm_require_one() {
        let email = BTreeSet::from([ConsentPurpose::EmailReport]);
        let followup = BTreeSet::from([ConsentPurpose::Followup]);
        let names = |errors: Vec<FieldError>| -> Vec<String> {
            errors.iter().map(|e| e.field.api_name()).collect()
        };
        assert_eq!(
            names(contact_errors(&contact(None, None), &email)),
            ["contact.email"]
        );
        assert_eq!(
            names(contact_errors(&contact(None, None), &followup)),
            ["contact.phone"]
        );
        assert!(contact_errors(&contact(None, Some("0912 345 678")), &followup).is_empty());
        assert!(contact_errors(&contact(None, None), &BTreeSet::new()).is_empty());
        assert_eq!(
            names(contact_errors(
                &contact(Some("not-an-address"), Some("12")),
                &BTreeSet::new()
            )),
            ["contact.email", "contact.phone"]
        );
    }
}
