//! The little DER reading left after `rustls-webpki` parses certificates: one element of a given
//! tag at a time (definite, minimal lengths of at most two bytes, as keys use), to split the
//! `SubjectPublicKeyInfo` webpki hands back and to read the PKCS#1 `RSAPublicKey` (modulus and
//! exponent) that version 1 Alibaba secrets need; `ring` exposes neither.

/// Splits one DER element with `tag` off `input`: `(contents, rest)`. `None` for another tag, an
/// indefinite, non-minimal or over-long length, or too few bytes.
pub(crate) fn element(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&found, input) = input.split_first()?;
    let (&first, mut input) = input.split_first()?;
    if found != tag {
        return None;
    }
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let count = usize::from(first & 0x7f);
        if !(1..=2).contains(&count) {
            return None;
        }
        let (bytes, rest) = input.split_at_checked(count)?;
        input = rest;
        let len = bytes.iter().fold(0, |acc, &b| acc << 8 | usize::from(b));
        if len < 0x80 || bytes.first() == Some(&0) {
            return None;
        }
        len
    };
    input.split_at_checked(len)
}
