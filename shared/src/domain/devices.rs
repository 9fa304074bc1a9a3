//! What counts as a device the account has signed in from (issue 25, part 3): a login is from a
//! known device when the account signed in from the same device within [`KNOWN_SECS`].
//!
//! A device is, when the client names itself with an `x-device-id` header (an opaque value it
//! keeps, such as a random id in local storage), that id with the browser and system families;
//! otherwise the browser and system families with the source network (the /24 of an IPv4
//! address, the /48 of an IPv6 one). The families come from a small classifier of the user
//! agent (below), not a full parser: enough to tell "Firefox on Windows" from "Safari on iOS",
//! and stable across the browser's version updates (a version is not part of the key).

use crate::domain::Epoch;

/// How long a device stays known after its last login.
pub const KNOWN_SECS: Epoch = 90 * 86_400;

/// The longest `x-device-id` taken into account (longer ones are cut).
pub const DEVICE_ID_MAX: usize = 128;

/// The browser family of a user agent: `Edge`, `Opera`, `Samsung Internet`, `Firefox`,
/// `Chrome`, `Safari`, `curl`, or `Other`. Order matters: Edge and Opera also say Chrome, and
/// Chrome also says Safari.
pub fn browser(ua: &str) -> &'static str {
    let has = |s: &str| ua.contains(s);
    if has("Edg/") || has("Edge/") || has("EdgA/") || has("EdgiOS/") {
        "Edge"
    } else if has("OPR/") || has("Opera") {
        "Opera"
    } else if has("SamsungBrowser/") {
        "Samsung Internet"
    } else if has("Firefox/") || has("FxiOS/") {
        "Firefox"
    } else if has("Chrome/") || has("CriOS/") || has("Chromium/") {
        "Chrome"
    } else if has("Safari/") && has("Version/") {
        "Safari"
    } else if ua.starts_with("curl/") {
        "curl"
    } else {
        "Other"
    }
}

/// The operating-system family of a user agent: `iOS`, `Android`, `Windows`, `macOS`,
/// `ChromeOS`, `Linux`, or `Other`.
pub fn system(ua: &str) -> &'static str {
    let has = |s: &str| ua.contains(s);
    if has("iPhone") || has("iPad") || has("iPod") {
        "iOS"
    } else if has("Android") {
        "Android"
    } else if has("Windows") {
        "Windows"
    } else if has("Macintosh") || has("Mac OS X") {
        "macOS"
    } else if has("CrOS") {
        "ChromeOS"
    } else if has("Linux") {
        "Linux"
    } else {
        "Other"
    }
}

/// The source network of an address: `203.0.113.0/24`, `2001:db8:1::/48`; the address as
/// given when it is not one.
pub fn network(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(v4)) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        Ok(std::net::IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
        }
        Err(_) => ip.chars().take(64).collect(),
    }
}

/// The key of a device: a SHA-256 of what identifies it (see the module's text), so that
/// the key names no address.
pub fn device_key(browser: &str, system: &str, network: &str, device_id: Option<&str>) -> String {
    let named = match device_id {
        Some(id) => format!("ID\u{1f}{id}\u{1f}{browser}\u{1f}{system}"),
        None => format!("NET\u{1f}{network}\u{1f}{browser}\u{1f}{system}"),
    };
    crate::crypto::sha256_b64url(named.as_bytes())[..32].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families() {
        let chrome_win = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0";
        let safari_ios = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        let firefox_linux = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
        assert_eq!((browser(chrome_win), system(chrome_win)), ("Chrome", "Windows"));
        assert_eq!((browser(edge), system(edge)), ("Edge", "Windows"));
        assert_eq!((browser(safari_ios), system(safari_ios)), ("Safari", "iOS"));
        assert_eq!((browser(firefox_linux), system(firefox_linux)), ("Firefox", "Linux"));
        assert_eq!((browser("curl/8.5.0"), system("curl/8.5.0")), ("curl", "Other"));
    }

    #[test]
    fn networks() {
        assert_eq!(network("203.0.113.77"), "203.0.113.0/24");
        assert_eq!(network("2001:db8:1:2::5"), "2001:db8:1::/48");
        assert_eq!(device_key("Chrome", "Windows", "203.0.113.0/24", None).len(), 32);
        assert_ne!(
            device_key("Chrome", "Windows", "203.0.113.0/24", None),
            device_key("Chrome", "Windows", "203.0.114.0/24", None)
        );
    }
}
