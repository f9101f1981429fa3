//! Hiding secrets in database URLs before they are printed or logged.

const HIDDEN: &str = "***";

/// The URL with any password replaced by `***`: the one in the user-info
/// part (`postgres://user:secret@host/db`) and any `password=` query
/// parameter. When unsure where a password ends, hides more rather than less.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return redact_query(url);
    };
    // The last '@' ends the user-info, even when the password holds an unencoded '@', '/' or '?'.
    let rest = match rest.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{user}:{HIDDEN}@{host}"),
            None => rest.to_string(),
        },
        None => rest.to_string(),
    };
    format!("{scheme}://{}", redact_query(&rest))
}

fn redact_query(s: &str) -> String {
    let Some((base, query)) = s.split_once('?') else {
        return s.to_string();
    };
    let params: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _))
                if key.eq_ignore_ascii_case("password")
                    || key.eq_ignore_ascii_case("sslpassword") =>
            {
                format!("{key}={HIDDEN}")
            }
            _ => pair.to_string(),
        })
        .collect();
    format!("{base}?{}", params.join("&"))
}

/// Free text (an error message that may quote a line of a configuration
/// file) with the password of every URL in it hidden.
pub fn redact_text(text: &str) -> String {
    text.split_inclusive(char::is_whitespace)
        .map(|piece| {
            let word = piece.trim_end();
            if word.contains("://") {
                format!("{}{}", redact_url(word), &piece[word.len()..])
            } else {
                piece.to_string()
            }
        })
        .collect()
}
