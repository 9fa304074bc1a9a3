//! An e-mail address, parsed once at the edge: a syntactically plausible address (one `@`,
//! text either side, a dot in the domain, no spaces or control characters), trimmed and in
//! lower case, so that one address is one account however it is typed. Deliverability is proven
//! by sending to it, not by a regex.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// The address in its normal form, or `None` when it is not one.
    pub fn parse(raw: &str) -> Option<Email> {
        let trimmed = raw.trim();
        let (local, domain) = trimmed.split_once('@')?;
        let valid = !local.is_empty()
            && local.len() <= 64
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
            && !trimmed.chars().any(|c| c.is_whitespace() || c.is_control());
        valid.then(|| Email(trimmed.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_parsed_into_one_normal_form() {
        assert_eq!(Email::parse("  Ada@Example.COM ").unwrap().as_str(), "ada@example.com");
        for bad in [
            "",
            "ada",
            "@example.com",
            "ada@",
            "ada@example",
            "ada@.example.com",
            "ada@example.com.",
            "a da@example.com",
            "ada@@example.com",
            "ada@exa\nmple.com",
        ] {
            assert!(Email::parse(bad).is_none(), "{bad:?}");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(65))).is_none(), "local part over 64");
    }
}
