//! The secret scrubber every result, error, log line and journal line passes through. A secret found
//! by its shape becomes `[REDACTED]`; everything else is returned byte for byte.
//!
//! Shapes covered (a match only starts at a token boundary: the start of the string, a byte other
//! than `[A-Za-z0-9_-]`, or a literal `\n` / `\t` / `\r` escape, so `risk-...` or `mask-...` never
//! start one):
//!
//! - `sk-` keys (OpenAI `sk-`, `sk-proj-`, `sk-svcacct-`, `sk-admin-`, Anthropic `sk-ant-api03-`) and
//!   Portkey `pk-` keys: the whole `[A-Za-z0-9_-]` run, when one of its `-`/`_`-separated pieces is a
//!   random body (below) of at least 16 characters.
//! - Stripe `sk_live_`, `sk_test_`, `rk_live_`, `rk_test_` + 24 or more alphanumerics; `whsec_` + 24
//!   or more base64 characters.
//! - AWS access key ids: `AKIA`/`ASIA` + exactly 16 of `[A-Z2-7]`, ending at a word boundary, with at
//!   least one digit (real ids almost always have one; words like `ASIANMARKETSDIVISION` never do).
//! - Google API keys: `AIza` + exactly 35 of `[A-Za-z0-9_-]`.
//! - GitHub `ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_` + 36 or more alphanumerics; `github_pat_` + 22 or
//!   more of `[A-Za-z0-9_]`.
//! - Hugging Face `hf_` + a random body of 30 or more alphanumerics.
//! - Slack `xoxb-`/`xoxp-`/`xoxa-`/`xoxr-`/`xoxs-`/`xoxe-`: one or more digit groups each ending in
//!   `-`, then at least 10 alphanumerics.
//! - HashiCorp Vault `hvs.`/`hvb.`/`hvr.` + 24 or more of `[A-Za-z0-9_-]`.
//! - JWTs: `eyJ` + base64url, then two (or, for JWE, up to four) more `.`-separated segments.
//! - PEM private keys: from `-----BEGIN <label>-----` (a label containing `PRIVATE KEY`) through the
//!   matching `-----END <label>-----`, or to the end of the text when it is missing. Newlines inside
//!   may be real or the two characters `\n`.
//! - `Basic <base64>` (any case, spaces or tabs between) when the base64 decodes to printable text
//!   holding a `:`; `Bearer <token>` when the token is 8+ characters and not a plain word (it has a
//!   digit, inner mixed case, or one of `_~+=`; full stops at its end are left as punctuation).
//!   Both keep the scheme word and hide the credential.
//!
//! Where a vendor documents an alphabet or a length, that alone decides (with at least two of
//! upper, lower and digit where the alphabet allows more). Where the prefix is generic (`sk-`, `pk-`,
//! `hf_`), the body must look random: at least two of upper/lower/digit, and at most 40% of it in
//! word-like stretches (four or more same-case letters, three tenths of them vowels), or at most 60%
//! when the character class (upper/lower/digit) flips at least every third character. Names such as
//! `sk-learn-pipeline-classifier-v3` or `pk-customer-support-bot-v2` fail that; random keys pass.
//! It is a heuristic: about one random 16-character body in 300 is missed (one in 70 when it is
//! letters only), far fewer at 32 characters and more, and a long camelCase name after `sk-` or
//! `pk-` can be taken for a key.
//!
//! The scan is one pass left to right; nothing is allocated until something matches.

use serde_json::Value;

pub const REDACTED: &str = "[REDACTED]";

/// Bytes that continue a key-like token.
fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// Bytes of a bearer token (RFC 6750's b64token, plus `/`).
fn is_bearer_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'+' | b'/' | b'=')
}

fn is_base32_byte(b: u8) -> bool {
    b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)
}

fn alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

fn is_base64_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}

/// How many bytes from `from` on satisfy `ok`.
fn run(bytes: &[u8], from: usize, ok: fn(u8) -> bool) -> usize {
    bytes
        .get(from..)
        .map_or(0, |r| r.iter().take_while(|b| ok(**b)).count())
}

/// Whether a match may start at `i`: not in the middle of a word.
fn at_boundary(bytes: &[u8], i: usize) -> bool {
    let Some(prev) = i.checked_sub(1).and_then(|p| bytes.get(p)) else {
        return true;
    };
    if !is_key_byte(*prev) {
        return true;
    }
    // A literal escape such as `\n` in escaped JSON text ends the word before it.
    matches!(prev, b'n' | b't' | b'r') && i >= 2 && bytes.get(i - 2) == Some(&b'\\')
}

/// How many of upper case, lower case and digits occur.
fn classes(s: &[u8]) -> usize {
    let upper = s.iter().any(u8::is_ascii_uppercase);
    let lower = s.iter().any(u8::is_ascii_lowercase);
    let digit = s.iter().any(u8::is_ascii_digit);
    usize::from(upper) + usize::from(lower) + usize::from(digit)
}

/// Whether `seg` reads like random key material rather than a name (see the module comment).
fn looks_random(seg: &[u8]) -> bool {
    if classes(seg) < 2 {
        return false;
    }
    let same_case = |a: &u8, b: &u8| {
        (a.is_ascii_lowercase() && b.is_ascii_lowercase())
            || (a.is_ascii_uppercase() && b.is_ascii_uppercase())
    };
    let wordy: usize = seg
        .chunk_by(same_case)
        .filter(|c| c.len() >= 4 && c.first().is_some_and(u8::is_ascii_alphabetic))
        .filter(|c| {
            let vowels = c
                .iter()
                .filter(|b| matches!(b.to_ascii_lowercase(), b'a' | b'e' | b'i' | b'o' | b'u'))
                .count();
            vowels * 10 >= c.len() * 3
        })
        .map(<[u8]>::len)
        .sum();
    let class = |b: &u8| (b.is_ascii_uppercase(), b.is_ascii_digit());
    let flips = seg
        .windows(2)
        .filter(|w| w.first().map(class) != w.get(1).map(class))
        .count();
    let len = seg.len();
    wordy * 5 <= len * 2 || (wordy * 5 <= len * 3 && flips * 3 >= len)
}

/// `sk-` / `pk-`: the whole key-byte run, when some piece of it is a random body.
fn generic_key(bytes: &[u8], i: usize) -> Option<usize> {
    let n = run(bytes, i + 3, is_key_byte);
    let body = bytes.get(i + 3..i + 3 + n)?;
    body.split(|b| *b == b'-' || *b == b'_')
        .any(|seg| seg.len() >= 16 && looks_random(seg))
        .then_some(i + 3 + n)
}

/// After a prefix of `skip` bytes, a run of `ok` bytes at least `min` long with two or more
/// character classes; returns where the run ends.
fn body_after(
    bytes: &[u8],
    i: usize,
    skip: usize,
    ok: fn(u8) -> bool,
    min: usize,
) -> Option<usize> {
    let start = i + skip;
    let n = run(bytes, start, ok);
    (n >= min && classes(bytes.get(start..start + n)?) >= 2).then_some(start + n)
}

/// `AKIA`/`ASIA` + 16 base32 characters with a digit among them, then a word boundary.
fn aws_key_id(bytes: &[u8], i: usize) -> Option<usize> {
    let rest = bytes.get(i..)?;
    if !(rest.starts_with(b"AKIA") || rest.starts_with(b"ASIA")) {
        return None;
    }
    let body = rest.get(4..20)?;
    let ends = rest.get(20).is_none_or(|b| !b.is_ascii_alphanumeric());
    (ends && body.iter().all(|b| is_base32_byte(*b)) && body.iter().any(u8::is_ascii_digit))
        .then_some(i + 20)
}

/// `AIza` + exactly 35 of `[A-Za-z0-9_-]`.
fn google_key(bytes: &[u8], i: usize) -> Option<usize> {
    if !bytes.get(i..)?.starts_with(b"AIza") {
        return None;
    }
    let end = body_after(bytes, i, 4, is_key_byte, 35)?;
    (end == i + 39).then_some(end)
}

/// `hf_` + 30 or more alphanumerics that look random.
fn hugging_face(bytes: &[u8], i: usize) -> Option<usize> {
    let n = run(bytes, i + 3, |b| b.is_ascii_alphanumeric());
    (n >= 30 && looks_random(bytes.get(i + 3..i + 3 + n)?)).then_some(i + 3 + n)
}

/// `xox?-`, one or more digit groups ending in `-`, then 10+ alphanumerics; the rest of the token.
fn slack_token(bytes: &[u8], i: usize) -> Option<usize> {
    let rest = bytes.get(i..)?;
    let kind = rest.get(3)?;
    if !(rest.starts_with(b"xox") && b"bpares".contains(kind) && rest.get(4) == Some(&b'-')) {
        return None;
    }
    let mut j = i + 5;
    let mut groups = 0;
    loop {
        let d = run(bytes, j, |b| b.is_ascii_digit());
        if d == 0 || bytes.get(j + d) != Some(&b'-') {
            break;
        }
        j += d + 1;
        groups += 1;
    }
    let tail = run(bytes, j, |b| b.is_ascii_alphanumeric());
    (groups >= 1 && tail >= 10)
        .then(|| j + run(bytes, j, |b| b.is_ascii_alphanumeric() || b == b'-'))
}

/// `eyJ` header, then payload and signature (and two more segments for JWE).
fn jwt(bytes: &[u8], i: usize) -> Option<usize> {
    if !bytes.get(i..)?.starts_with(b"eyJ") {
        return None;
    }
    let header = run(bytes, i, is_key_byte);
    let mut end = i + header;
    if header < 10 || bytes.get(end) != Some(&b'.') {
        return None;
    }
    let payload = run(bytes, end + 1, is_key_byte);
    if payload < 2 {
        return None;
    }
    end += 1 + payload;
    if bytes.get(end) != Some(&b'.') {
        return None;
    }
    // The signature may be empty (an unsecured token ends in its dot).
    end += 1 + run(bytes, end + 1, is_key_byte);
    for _ in 0..2 {
        let more = run(bytes, end + 1, is_key_byte);
        if bytes.get(end) != Some(&b'.') || more == 0 {
            break;
        }
        end += 1 + more;
    }
    Some(end)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A PEM private key block, through its END line or to the end of the text.
fn pem_private_key(bytes: &[u8], i: usize) -> Option<usize> {
    const BEGIN: &[u8] = b"-----BEGIN ";
    const END: &[u8] = b"-----END ";
    const DASHES: &[u8] = b"-----";
    let rest = bytes.get(i..)?;
    if !rest.starts_with(BEGIN) {
        return None;
    }
    let label_len = run(rest, BEGIN.len(), |b| {
        b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' '
    });
    let label = rest.get(BEGIN.len()..BEGIN.len() + label_len)?;
    let after = BEGIN.len() + label_len;
    if find(label, b"PRIVATE KEY").is_none() || !rest.get(after..)?.starts_with(DASHES) {
        return None;
    }
    let mut from = after + DASHES.len();
    while let Some(at) = rest.get(from..).and_then(|r| find(r, END)) {
        let marker = from + at;
        let tail = rest.get(marker + END.len()..).unwrap_or_default();
        if tail.starts_with(label)
            && tail
                .get(label.len()..)
                .is_some_and(|t| t.starts_with(DASHES))
        {
            return Some(i + marker + END.len() + label.len() + DASHES.len());
        }
        from = marker + END.len();
    }
    Some(bytes.len())
}

/// Spaces, tabs or literal `\t` escapes (escaped once or more) after a scheme word; how many bytes.
fn separator(bytes: &[u8], from: usize) -> usize {
    let mut j = from;
    loop {
        let slashes = run(bytes, j, |b| b == b'\\');
        match bytes.get(j) {
            Some(b' ' | b'\t') => j += 1,
            Some(b'\\') if bytes.get(j + slashes) == Some(&b't') => j += slashes + 1,
            _ => return j - from,
        }
    }
}

/// Whether `word` (ASCII, lower case) starts at `i`, in any case, followed by a separator;
/// returns where the credential starts.
fn scheme(bytes: &[u8], i: usize, word: &[u8]) -> Option<usize> {
    let w = bytes.get(i..i + word.len())?;
    if !w.eq_ignore_ascii_case(word) {
        return None;
    }
    let sep = separator(bytes, i + word.len());
    (sep > 0).then_some(i + word.len() + sep)
}

/// `Bearer <token>`: the span of the token to hide.
fn bearer(bytes: &[u8], i: usize) -> Option<(usize, usize)> {
    let start = scheme(bytes, i, b"bearer")?;
    let n = run(bytes, start, is_bearer_byte);
    let token = bytes.get(start..start + n)?;
    // A full stop after a word ends the sentence, not the token.
    let keep = token.len() - token.iter().rev().take_while(|b| **b == b'.').count();
    let token = token.get(..keep)?;
    let tail = token.get(1..).unwrap_or_default();
    let credential = token.iter().any(u8::is_ascii_digit)
        || token.iter().any(|b| matches!(b, b'_' | b'~' | b'+' | b'='))
        || (tail.iter().any(u8::is_ascii_uppercase) && token.iter().any(u8::is_ascii_lowercase));
    (token.len() >= 8 && credential).then_some((start, start + keep))
}

fn base64_value(b: u8) -> Option<u32> {
    match b {
        b'A'..=b'Z' => Some(u32::from(b - b'A')),
        b'a'..=b'z' => Some(u32::from(b - b'a') + 26),
        b'0'..=b'9' => Some(u32::from(b - b'0') + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Standard base64 (padding optional) to bytes; `None` when malformed.
fn base64_decode(s: &[u8]) -> Option<Vec<u8>> {
    let data = s.strip_suffix(b"==").or(s.strip_suffix(b"=")).unwrap_or(s);
    if data.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() * 3 / 4);
    for chunk in data.chunks(4) {
        let mut acc = 0u32;
        for b in chunk {
            acc = (acc << 6) | base64_value(*b)?;
        }
        let bits = chunk.len() * 6;
        acc <<= 24 - bits;
        let [_, a, b, c] = acc.to_be_bytes();
        out.extend_from_slice([a, b, c].get(..bits / 8)?);
    }
    Some(out)
}

/// `Basic <base64>` whose decoded text is `user:password`: the span of the base64 to hide.
fn basic(bytes: &[u8], i: usize) -> Option<(usize, usize)> {
    let start = scheme(bytes, i, b"basic")?;
    let n = run(bytes, start, is_base64_byte);
    let pad = run(bytes, start + n, |b| b == b'=').min(2);
    let end = start + n + pad;
    if n < 4 {
        return None;
    }
    let decoded = base64_decode(bytes.get(start..end)?)?;
    let text = std::str::from_utf8(&decoded).ok()?;
    (text.contains(':') && !text.chars().any(char::is_control)).then_some((start, end))
}

/// The secret at `i`, if any: the span to replace (scheme words stay outside it).
fn secret_at(bytes: &[u8], i: usize) -> Option<(usize, usize)> {
    let first = *bytes.get(i)?;
    // A PEM block is unmistakable wherever it starts.
    if first == b'-' {
        return pem_private_key(bytes, i).map(|end| (i, end));
    }
    // Most bytes cannot start a secret: decide those before looking back.
    if !b"srpwAghxebB".contains(&first) || !at_boundary(bytes, i) {
        return None;
    }
    let rest = bytes.get(i..)?;
    let end = match first {
        b's' | b'r'
            if rest
                .get(1..8)
                .is_some_and(|p| p == b"k_live_" || p == b"k_test_") =>
        {
            body_after(bytes, i, 8, alnum, 24)
        }
        b's' | b'p' if rest.get(1..3) == Some(&b"k-"[..]) => generic_key(bytes, i),
        b'w' if rest.starts_with(b"whsec_") => {
            body_after(bytes, i, 6, is_base64_byte, 24).map(|e| e + run(bytes, e, |b| b == b'='))
        }
        b'A' => aws_key_id(bytes, i).or_else(|| google_key(bytes, i)),
        b'g' if rest.starts_with(b"github_pat_") => {
            body_after(bytes, i, 11, |b| b.is_ascii_alphanumeric() || b == b'_', 22)
        }
        b'g' if rest.starts_with(b"gh")
            && rest.get(2).is_some_and(|k| b"pousr".contains(k))
            && rest.get(3) == Some(&b'_') =>
        {
            body_after(bytes, i, 4, alnum, 36)
        }
        b'h' if rest.starts_with(b"hf_") => hugging_face(bytes, i),
        b'h' if rest.starts_with(b"hv")
            && rest.get(2).is_some_and(|k| b"sbr".contains(k))
            && rest.get(3) == Some(&b'.') =>
        {
            body_after(bytes, i, 4, is_key_byte, 24)
        }
        b'x' => slack_token(bytes, i),
        b'e' => jwt(bytes, i),
        b'b' | b'B' => return bearer(bytes, i).or_else(|| basic(bytes, i)),
        _ => None,
    }?;
    Some((i, end))
}

/// Scrubs one string; returns `None` when nothing needed changing.
pub fn scrub_str(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out: Option<String> = None;
    let mut last = 0;
    let mut i = 0;
    while i < bytes.len() {
        match secret_at(bytes, i) {
            Some((from, end)) if end > from => {
                let buf = out.get_or_insert_with(|| String::with_capacity(s.len()));
                buf.push_str(s.get(last..from).unwrap_or_default());
                buf.push_str(REDACTED);
                i = end;
                last = end;
            }
            _ => i += 1,
        }
    }
    let mut buf = out?;
    buf.push_str(s.get(last..).unwrap_or_default());
    Some(buf)
}

/// Scrubs every string in a JSON value (keys included), in place.
pub fn scrub_value(v: &mut Value) {
    match v {
        Value::String(s) => {
            if let Some(clean) = scrub_str(s) {
                *s = clean;
            }
        }
        Value::Array(a) => a.iter_mut().for_each(scrub_value),
        Value::Object(m) => {
            let needs_key_change = m.keys().any(|k| scrub_str(k).is_some());
            if needs_key_change {
                let old = std::mem::take(m);
                for (k, mut x) in old {
                    scrub_value(&mut x);
                    m.insert(scrub_str(&k).unwrap_or(k), x);
                }
            } else {
                m.values_mut().for_each(scrub_value);
            }
        }
        _ => {}
    }
}

/// Scrubs text for a log line or message.
pub fn scrub_text(s: &str) -> String {
    scrub_str(s).unwrap_or_else(|| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, json};

    /// Realistic-looking but invented credentials, one per shape.
    const WHOLE_TOKEN_SECRETS: &[&str] = &[
        "sk-M0XvqZjxTW3xvboSRt5Mh3dAwVtRMflhbmuaptt0Azn0DNRU",
        "sk-proj-V0FhHVJWDBt2hWdQZUm14QhoxhLPAbQcEFUV2fsjGHb6HrlEOS47WgjKCu_0",
        "sk-ant-api03-xxKhg5QjWV1mKaUyvBPs0jSO2Jkf08MMF1ulMMCw3XVy27dFanAA",
        "sk-svcacct-UrOSE62chn4xdeJg1Kza5KxxGWfvmaQtKnP_VSGV",
        "sk-admin-BrYSuIb9OZiFZ3HLKv797TPNbpjava1bMZwIMlvd",
        "pk-live-Sh2Cde2wioVMEuUYMjPeFXsR",
        "pk-gZzCYTHY2IvGYF0eYF2ExFJgKLDL36aw",
        "AKIAIOSFODNN7EXAMPLE",
        "ASIAY34FZKBOKMUTVV7A",
        "AIzaz7NRSOtv75y4SXvE9rwLbAtf6e9cpCGybY9",
        "sk_live_4ftUvXQIChPnlnhG2BqxLHmA",
        "sk_test_uMe57l9JuO4iIhOvqiZnCxh1Gd1CJo",
        "rk_live_WD6W7vjmqz6mYjWc7izH9DsT",
        "rk_test_NAveadCL8Sby90WIJSbUGWBO",
        "whsec_WWcuaA5zbWVb2FaCo7du45pKcP753ivd",
        "ghp_SmDrUd7z14cKuuBNf0gmUBUhWRQdIAUDFbxt",
        "gho_BetshRQNG3dhi4wVnX558GkvxThvA0EhexWQ",
        "ghu_3czyrEvmkXbI8P0GwAESV5nkthBGJd8xncwj",
        "ghs_xTZVcUOpdxfWEIRH3KU3hOuNsFqrLtCCuFVp",
        "ghr_oDCIb20W0tvi1jsmCaDAoZuSEyDvvWq03mSM",
        "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",
        "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",
        "xoxb-219118205981-8114109652172-a84v7bMwNDlfBKP4b2loPDbw",
        "xoxp-69029551008-292209834464-1489984470308-5bb7a7af3d2e2425ba9682170905f4ec",
        "xoxa-2-7718239910-Qm4RtP0cXvB2nL8sKd3wYh6Ej",
        "xoxr-5512093341-Hq2Wm9LbV4tXc7NsR1dK",
        "xoxs-82910342-12209331-55412098-0f3a9c7d2b1e4a6f8c0d2e4f6a8b0c1d",
        "xoxe-1-OkvgsOM5LsE1zKLiSpYMZElLTCPPAwVv82BHZO0v",
        "hvs.ugs4lIFVRdxtDyKUOtfZUTqr8aFvnKbnHFbDfj3u-ypO09RnKw1zW9_ohP46PbmT1TOkzfR1wKbPXTXx8TTx4XUMGm",
        "hvb.Ttfc6y-xI25MTL3xzfMg5lJYj-loHI3Yhc1OxT_8",
        "hvr.QY4_3BMDogiSTRIiP9LJm7R04ZhbGS",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.Zq8rT4pwX2-vL9_kM3nB",
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.",
    ];

    /// The contexts a secret turns up in, with what each must become.
    fn contexts(secret: &str, hidden: &str) -> Vec<(String, String)> {
        [
            ("", ""),
            ("key ", " end"),
            ("", " at the start"),
            ("at the end: ", ""),
            ("k=", "&x=1"),
            ("\"", "\""),
            ("https://example.test/v1/", "?page=2"),
            ("auth:", ","),
            ("line one\\n", "\\nline two"),
            ("(", ")"),
        ]
        .iter()
        .map(|(before, after)| {
            (
                format!("{before}{secret}{after}"),
                format!("{before}{hidden}{after}"),
            )
        })
        .collect()
    }

    fn assert_hidden_as(secret: &str, hidden: &str) {
        for (input, want) in contexts(secret, hidden) {
            assert_eq!(scrub_text(&input), want, "{input}");
        }
        // Inside JSON: a value, an array item and a key, then the same object as JSON text.
        let mut m = Map::new();
        m.insert("note".into(), json!(format!("see {secret} please")));
        m.insert("list".into(), json!([secret]));
        m.insert(secret.to_string(), json!(1));
        let mut v = Value::Object(m);
        let text = v.to_string();
        scrub_value(&mut v);
        let mut want = Map::new();
        want.insert("note".into(), json!(format!("see {hidden} please")));
        want.insert("list".into(), json!([hidden]));
        want.insert(hidden.to_string(), json!(1));
        let want = Value::Object(want);
        assert_eq!(v, want, "{secret}");
        let scrubbed: Value = serde_json::from_str(&scrub_text(&text)).unwrap();
        assert_eq!(scrubbed, want, "{secret} in JSON text");
    }

    #[test]
    fn whole_token_secrets_are_redacted_everywhere() {
        for secret in WHOLE_TOKEN_SECRETS {
            assert_hidden_as(secret, REDACTED);
        }
    }

    const PEM_BODY: &str =
        "MIIEowIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM2Bj0\nq8Kx1Vw9ZrT4pwX2vL9kM3nBQ7hY2sJ5d";

    #[test]
    fn pem_private_keys_are_redacted_whole() {
        for label in [
            "RSA PRIVATE KEY",
            "EC PRIVATE KEY",
            "OPENSSH PRIVATE KEY",
            "ENCRYPTED PRIVATE KEY",
            "PRIVATE KEY",
            "PGP PRIVATE KEY BLOCK",
        ] {
            let real = format!("-----BEGIN {label}-----\n{PEM_BODY}\n-----END {label}-----");
            assert_hidden_as(&real, REDACTED);
            // Escaped JSON text carries the newlines as the two characters `\n`.
            let escaped = real.replace('\n', "\\n");
            assert_eq!(
                scrub_text(&format!("{{\"pem\":\"{escaped}\",\"ok\":true}}")),
                format!("{{\"pem\":\"{REDACTED}\",\"ok\":true}}")
            );
        }
    }

    #[test]
    fn unterminated_pem_block_is_redacted_to_the_end() {
        let s = format!("cert then -----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n(truncated)");
        assert_eq!(scrub_text(&s), format!("cert then {REDACTED}"));
        // An END line for another label does not close the block.
        let s = format!(
            "-----BEGIN EC PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----\ntail"
        );
        assert_eq!(scrub_text(&s), REDACTED);
    }

    #[test]
    fn public_pem_blocks_are_kept() {
        let s = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----";
        assert_eq!(scrub_str(s), None);
        let s = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYI\n-----END PUBLIC KEY-----";
        assert_eq!(scrub_str(s), None);
    }

    #[test]
    fn bearer_tokens_keep_the_word() {
        for (word, token) in [
            ("Bearer ", "dGWoZ6axl7KBGgMVGOYn7B3-5SApYXfE.1_ds3vb"),
            ("Bearer  ", "Zq8rT4pwX2vL9kM3nBQ7"),
            ("Bearer\t", "Zq8rT4pwX2vL9kM3nBQ7"),
            ("Bearer\\t", "Zq8rT4pwX2vL9kM3nBQ7"),
            ("bearer ", "0f3a9c7d2b1e4a6f8c0d"),
            ("BEARER ", "abc.def-ghi_jkl"),
            (
                "Bearer ",
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.Zq8rT4pwX2-vL9_kM3nB",
            ),
            ("Bearer ", "sk-live-HEADER-VALUE-42"),
        ] {
            assert_hidden_as(&format!("{word}{token}"), &format!("{word}{REDACTED}"));
        }
        assert_eq!(
            scrub_text("Authorization: Bearer Zq8rT4pwX2vL9kM3nBQ7."),
            format!("Authorization: Bearer {REDACTED}.")
        );
    }

    #[test]
    fn basic_credentials_keep_the_word() {
        // deploy:Zq8-rT4!pw, svc-user:Hn3rKq9Vx2 and a:b.
        for (word, b64) in [
            ("Basic ", "ZGVwbG95OlpxOC1yVDQhcHc="),
            ("Basic  ", "c3ZjLXVzZXI6SG4zcktxOVZ4Mg=="),
            ("basic\t", "c3ZjLXVzZXI6SG4zcktxOVZ4Mg"),
            ("BASIC ", "YTpi"),
        ] {
            assert_hidden_as(&format!("{word}{b64}"), &format!("{word}{REDACTED}"));
        }
        assert_eq!(
            scrub_text("Authorization: Basic ZGVwbG95OlpxOC1yVDQhcHc="),
            format!("Authorization: Basic {REDACTED}")
        );
    }

    #[test]
    fn basic_without_a_user_password_pair_is_kept() {
        for s in [
            "Basic plan",
            "Basic tier users",
            "Basic cGxhbi11c2Vy", // plan-user: no colon
            "Authorization: Basic realm=\"api\"",
            "basic usage of the API",
        ] {
            assert_eq!(scrub_str(s), None, "{s}");
        }
    }

    #[test]
    fn names_ids_and_prose_are_untouched() {
        for s in [
            "pk-customer-support-bot-v2",
            "sk-learn-pipeline-classifier-v3",
            "risk-assessment-of-the-model",
            "task-manager-service-1234567890",
            "mask-Zq8rT4pwX2vL9kM3nBQ7hY2s",
            "disk-Zq8rT4pwX2vL9kM3nBQ7hY2s",
            "ASIANMARKETSDIVISION",
            "AKIAGROUPMARKETINGX",
            "The bearer instrument is payable",
            "The bearer instrument is payable.",
            "Bearer x",
            "Bearer token required",
            "Basic plan",
            "Basic tier users",
            "hf_model_card",
            "sk-short",
            "pk-mock",
            "sk-****42",
            "3f1c2a9e-8b7d-4e2f-9a1b-0c2d3e4f5a6b",
            "2024-06-11T09:30:00.000Z",
            "ghp_",
            "ghp_ alone",
            "github_pat_",
            "xoxb-not-a-token",
            "hvs.short",
            "eyJ alone",
            "whsec_",
            "sk_live_short",
            "sk-customerSupportBotVersion2",
            "pk-ProductionGatewayConfig1",
            "sk-proj-DEBUGLEAKCHECK0123456789",
            "AIzawa is a family name",
            "Configs route 40% of traffic to gpt-4o-mini and the rest to claude-3-5-sonnet-20241022.",
            "",
            "ünïcødé text with sk- and pk- and Bearer in it",
        ] {
            assert_eq!(scrub_str(s), None, "{s}");
        }
    }

    /// A small deterministic generator so the tests need no crate.
    fn random_strings(seed: u64, alphabet: &[u8], len: usize, count: usize) -> Vec<String> {
        let mut x = seed;
        (0..count)
            .map(|_| {
                (0..len)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        let at = usize::try_from(x % alphabet.len() as u64).unwrap();
                        char::from(alphabet[at])
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn random_bodies_are_caught_for_every_generic_prefix() {
        let b62 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let letters = &b62[..52];
        let hex = b"0123456789abcdef";
        for (prefix, alphabet, len) in [
            ("sk-", &b62[..], 48),
            ("sk-proj-", &b62[..], 64),
            ("pk-", &b62[..], 32),
            ("pk-live-", &b62[..], 24),
            ("pk-", &hex[..], 32),
            ("hf_", letters, 34),
        ] {
            // The randomness test is a heuristic: allow a few misses in a thousand, no more.
            let missed: Vec<String> = random_strings(0x9e37_79b9_7f4a_7c15, alphabet, len, 1000)
                .into_iter()
                .map(|body| format!("{prefix}{body}"))
                .filter(|key| scrub_text(&format!("x {key} y")) != format!("x {REDACTED} y"))
                .collect();
            assert!(missed.len() <= 5, "{prefix} x {len}: {missed:?}");
        }
    }

    #[test]
    fn several_secrets_in_one_string() {
        let s = "a=AKIAIOSFODNN7EXAMPLE b=ghp_SmDrUd7z14cKuuBNf0gmUBUhWRQdIAUDFbxt c=ok";
        assert_eq!(scrub_text(s), format!("a={REDACTED} b={REDACTED} c=ok"));
    }

    #[test]
    fn scrubbing_is_idempotent() {
        for secret in WHOLE_TOKEN_SECRETS {
            let once = scrub_text(&format!("x {secret} y"));
            assert_eq!(scrub_str(&once), None, "{once}");
        }
    }

    #[test]
    fn base64_decoder() {
        assert_eq!(base64_decode(b"YTpi").unwrap(), b"a:b");
        assert_eq!(base64_decode(b"YQ==").unwrap(), b"a");
        assert_eq!(base64_decode(b"YWI").unwrap(), b"ab");
        assert_eq!(base64_decode(b"YWJjZA").unwrap(), b"abcd");
        assert!(base64_decode(b"YWJjZ").is_none());
        assert!(base64_decode(b"Y*==").is_none());
    }
}
