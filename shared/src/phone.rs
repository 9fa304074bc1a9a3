//! Phone numbers, parsed rather than pattern-matched: `phonenumber` (libphonenumber's data)
//! decides whether a number exists and what kind it is. Only numbers it classes as mobile (or
//! fixed-line-or-mobile, where a country's plan cannot tell them apart) are accepted: never
//! premium-rate, shared-cost, toll-free, VoIP, personal, pager or unknown, the numbers SMS
//! pumping pays itself with. An operator may also restrict the destination countries.

use phonenumber::{PhoneNumber, Type};

use crate::model::Mobile;

/// Why a number was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// Not a number of that country's plan.
    Invalid,
    /// A real number, but not one that receives SMS as a person's mobile.
    NotMobile,
    /// A mobile number in a country SMS may not go to (`AUTH_SMS_COUNTRIES`).
    CountryNotAllowed,
}

/// Parses `raw` (international, or national for `region`, an ISO 3166 alpha-2 code) into a
/// mobile number SMS may go to, normalised to E.164.
pub fn parse_mobile(raw: &str, region: Option<&str>, allowed_countries: &[String]) -> Result<Mobile, Rejection> {
    let region = match region {
        Some(r) => Some(r.parse::<phonenumber::country::Id>().map_err(|_| Rejection::Invalid)?),
        None => None,
    };
    let number = phonenumber::parse(region, raw).map_err(|_| Rejection::Invalid)?;
    if !phonenumber::is_valid(&number) {
        return Err(Rejection::Invalid);
    }
    if !is_mobile(&number) {
        return Err(Rejection::NotMobile);
    }
    if !country_allowed(&number, allowed_countries) {
        return Err(Rejection::CountryNotAllowed);
    }
    let e164 = number.format().mode(phonenumber::Mode::E164).to_string();
    let country_code = format!("+{}", number.code().value());
    let national = e164.strip_prefix(&country_code).ok_or(Rejection::Invalid)?.to_owned();
    Ok(Mobile { country_code, number: national })
}

/// Whether an E.164 destination may receive SMS now: a valid mobile number of an allowed
/// country. Checked again at send time, as settings change after numbers were stored.
pub fn may_receive_sms(e164: &str, allowed_countries: &[String]) -> bool {
    parse_mobile(e164, None, allowed_countries).is_ok()
}

/// The country of an E.164 number, as an ISO 3166 alpha-2 code (`None` for a number no
/// country's plan holds): what the SMS metrics are counted by, never the number itself.
pub fn country_of(e164: &str) -> Option<String> {
    let number = phonenumber::parse(None, e164).ok()?;
    number.country().id().map(|id| AsRef::<str>::as_ref(&id).to_owned())
}

fn is_mobile(number: &PhoneNumber) -> bool {
    matches!(number.number_type(&phonenumber::metadata::DATABASE), Type::Mobile | Type::FixedLineOrMobile)
}

fn country_allowed(number: &PhoneNumber, allowed: &[String]) -> bool {
    allowed.is_empty()
        || number.country().id().is_some_and(|id| {
            let code: &str = id.as_ref();
            allowed.iter().any(|a| a == code)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobiles_are_accepted_and_normalised() {
        let m = parse_mobile("07400 123456", Some("GB"), &[]).unwrap();
        assert_eq!((m.country_code.as_str(), m.number.as_str()), ("+44", "7400123456"));
        assert_eq!(parse_mobile("+34 612 345 678", None, &[]).unwrap().e164(), "+34612345678");
    }

    #[test]
    fn pumping_destinations_are_refused() {
        // No such country code, and a satellite network's range: refused, whatever the reason.
        for raw in ["+9990000", "+882160000001", "+8816", "+4407400"] {
            assert!(parse_mobile(raw, None, &[]).is_err(), "{raw}");
        }
        for (raw, why) in [
            ("+449098790000", Rejection::NotMobile),
            ("+448001234567", Rejection::NotMobile),
            ("+445601234567", Rejection::NotMobile),
            ("+441212345678", Rejection::NotMobile),
            ("+447700900123", Rejection::Invalid),
        ] {
            assert_eq!(parse_mobile(raw, None, &[]).map(|m| m.e164()), Err(why), "{raw}");
        }
    }

    #[test]
    fn the_country_list_restricts_destinations() {
        let gb = ["GB".to_owned()];
        assert!(parse_mobile("+447400123456", None, &gb).is_ok());
        assert_eq!(parse_mobile("+34612345678", None, &gb).map(|m| m.e164()), Err(Rejection::CountryNotAllowed));
        assert!(may_receive_sms("+447400123456", &gb));
        assert!(!may_receive_sms("+34612345678", &gb));
        assert_eq!(country_of("+447400123456").as_deref(), Some("GB"));
        assert_eq!(country_of("+34612345678").as_deref(), Some("ES"));
        assert_eq!(country_of("+9990000"), None);
    }
}
