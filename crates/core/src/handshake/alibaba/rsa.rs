//! The raw RSA public-key operation and PKCS#1 v1.5 unpadding, used to recover the per-request
//! secret Alibaba Cloud EventBridge sends in `x-eventbridge-signature-secret`.
//!
//! EventBridge "encrypts" that secret with its RSA private key (Java `Cipher.getInstance("RSA")`,
//! i.e. a PKCS#1 v1.5 block of type 1: `00 01 FF..FF 00 || secret`); the receiver undoes it with
//! the public key from EventBridge's X.509 certificate. `ring` offers no such raw operation, so
//! this module owns it: parsing the PKCS#1 `RSAPublicKey`, `s^e mod n` (Montgomery
//! multiplication over `u64` limbs) and the unpadding. Nothing else: no certificate handling, no
//! padding generation, no private-key operation, no signature verification.
//!
//! Not constant-time, by design: the key, the ciphertext and the recovered secret's padding are
//! all public or attacker-supplied data, and no private key is involved.

/// Smallest accepted modulus, in bits.
const MIN_BITS: usize = 512;
/// Largest accepted modulus, in bits.
const MAX_BITS: usize = 8192;
/// Largest accepted public exponent.
const MAX_EXPONENT: u64 = 1 << 32;
/// Fewest padding bytes a PKCS#1 v1.5 block may carry.
const MIN_PADDING: usize = 8;
/// DER tag of an INTEGER.
const TAG_INTEGER: u8 = 0x02;
/// DER tag of a constructed SEQUENCE.
const TAG_SEQUENCE: u8 = 0x30;

/// Modulus and exponent of an RSA public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    /// The modulus `n`, least significant limb first.
    n: Vec<u64>,
    /// The public exponent `e` (at least 2).
    e: u64,
    /// Length of `n` in bytes, without leading zeros.
    len: usize,
    /// `-n^-1 mod 2^64`, the Montgomery reduction factor.
    n0inv: u64,
    /// `R^2 mod n` with `R = 2^(64 * limbs)`, to enter the Montgomery domain.
    rr: Vec<u64>,
}

// `len` is the modulus length; a key is never empty, so `is_empty` would mean nothing.
#[allow(clippy::len_without_is_empty)]
impl PublicKey {
    /// From the PKCS#1 `RSAPublicKey` DER (SEQUENCE { modulus INTEGER, publicExponent INTEGER })
    /// — the contents of an X.509 certificate's subjectPublicKey BIT STRING. `None` if the DER is
    /// malformed or has trailing bytes, the modulus is under 512 or over 8192 bits or even, or the
    /// exponent is 0, 1 or over 2^32.
    pub fn from_pkcs1_der(der: &[u8]) -> Option<PublicKey> {
        let (body, rest) = der_element(der, TAG_SEQUENCE)?;
        let (modulus, body) = der_element(body, TAG_INTEGER)?;
        let (exponent, body) = der_element(body, TAG_INTEGER)?;
        if !rest.is_empty() || !body.is_empty() {
            return None;
        }
        let modulus = der_unsigned(modulus)?;
        let exponent = be_to_u64(der_unsigned(exponent)?)?;
        if !(MIN_BITS..=MAX_BITS).contains(&bit_length(modulus)) || exponent > MAX_EXPONENT {
            return None;
        }
        Self::from_parts(modulus, exponent)
    }

    /// Modulus length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// From a big-endian modulus and an exponent, without the size limits of `from_pkcs1_der`.
    /// `None` if the modulus is even or below 3, or the exponent below 2.
    fn from_parts(modulus: &[u8], e: u64) -> Option<PublicKey> {
        let first = modulus.iter().position(|&b| b != 0)?;
        let modulus = modulus.get(first..)?;
        let odd = modulus.last().is_some_and(|&b| b & 1 == 1);
        if !odd || modulus == [1] || e < 2 {
            return None;
        }
        let n = be_to_limbs(modulus);
        let n0inv = neg_inverse(*n.first()?);
        let rr = r_squared(&n);
        Some(PublicKey {
            n,
            e,
            len: modulus.len(),
            n0inv,
            rr,
        })
    }

    /// Montgomery product `a * b / R mod n` (CIOS), for `a`, `b` < `n` of as many limbs as `n`.
    fn mont_mul(&self, a: &[u64], b: &[u64]) -> Vec<u64> {
        let s = self.n.len();
        // t < 2n throughout, with two extra limbs for the carries.
        let mut t = vec![0u64; s + 2];
        for &bi in b {
            let carry = mul_add(&mut t[..s], a, bi);
            let sum = u128::from(t[s]) + u128::from(carry);
            t[s] = sum as u64;
            t[s + 1] = (sum >> 64) as u64;
            self.reduce_step(&mut t);
        }
        t.truncate(s + 1);
        if t[s] != 0 || !less_than(&t[..s], &self.n) {
            sub_in_place(&mut t[..s], &self.n);
        }
        t.truncate(s);
        t
    }

    /// One CIOS reduction step: `t = (t + m * n) / 2^64` with `m` chosen so the division is exact.
    fn reduce_step(&self, t: &mut [u64]) {
        let s = self.n.len();
        let m = t[0].wrapping_mul(self.n0inv);
        let mut carry = ((u128::from(t[0]) + u128::from(m) * u128::from(self.n[0])) >> 64) as u64;
        for j in 1..s {
            let sum = u128::from(t[j]) + u128::from(m) * u128::from(self.n[j]) + u128::from(carry);
            t[j - 1] = sum as u64;
            carry = (sum >> 64) as u64;
        }
        let sum = u128::from(t[s]) + u128::from(carry);
        t[s - 1] = sum as u64;
        t[s] = t[s + 1].wrapping_add((sum >> 64) as u64);
    }
}

/// `s^e mod n` for a big-endian `input` of exactly `key.len()` bytes that is less than `n`;
/// returns the big-endian result, `key.len()` bytes long. `None` otherwise.
pub fn public_op(key: &PublicKey, input: &[u8]) -> Option<Vec<u8>> {
    if input.len() != key.len {
        return None;
    }
    let base = be_to_limbs(input);
    if base.len() != key.n.len() || !less_than(&base, &key.n) {
        return None;
    }
    let base = key.mont_mul(&base, &key.rr);
    let mut acc = base.clone();
    let bits = u64::BITS - key.e.leading_zeros();
    for i in (0..bits.saturating_sub(1)).rev() {
        acc = key.mont_mul(&acc, &acc);
        if (key.e >> i) & 1 == 1 {
            acc = key.mont_mul(&acc, &base);
        }
    }
    let mut one = vec![0u64; key.n.len()];
    one[0] = 1;
    Some(limbs_to_be(&key.mont_mul(&acc, &one), key.len))
}

/// Recovers the message from a PKCS#1 v1.5 block of type 1 (`00 01 FF.. 00 M`) or type 2
/// (`00 02 nonzero.. 00 M`), each with at least 8 padding bytes. `None` otherwise.
pub fn unpad_pkcs1(block: &[u8]) -> Option<&[u8]> {
    let [0, kind, rest @ ..] = block else {
        return None;
    };
    let separator = rest.iter().position(|&b| b == 0)?;
    let padding = rest.get(..separator)?;
    let padding_ok = match kind {
        1 => padding.iter().all(|&b| b == 0xff),
        // Type 2 padding is nonzero up to the separator by construction.
        2 => true,
        _ => false,
    };
    if !padding_ok || padding.len() < MIN_PADDING {
        return None;
    }
    rest.get(separator + 1..)
}

/// `public_op` then `unpad_pkcs1`: the secret inside an EventBridge-style ciphertext.
pub fn recover(key: &PublicKey, ciphertext: &[u8]) -> Option<Vec<u8>> {
    let block = public_op(key, ciphertext)?;
    unpad_pkcs1(&block).map(<[u8]>::to_vec)
}

/// Splits one DER element with the given tag off `input`: `(contents, rest)`. Definite lengths
/// only, in minimal form, of at most two length bytes.
fn der_element(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
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

/// The magnitude of a non-negative, minimally encoded DER INTEGER's contents, without the sign
/// byte. `None` for empty, negative or padded encodings.
fn der_unsigned(contents: &[u8]) -> Option<&[u8]> {
    match contents {
        [] => None,
        [first, ..] if first & 0x80 != 0 => None,
        [0, second, ..] if second & 0x80 == 0 => None,
        [0, rest @ ..] => Some(rest),
        _ => Some(contents),
    }
}

/// Number of significant bits in a big-endian magnitude without leading zero bytes.
fn bit_length(magnitude: &[u8]) -> usize {
    match magnitude.first() {
        Some(&first) => magnitude.len() * 8 - first.leading_zeros() as usize,
        None => 0,
    }
}

/// A big-endian magnitude of at most 8 bytes as a `u64`.
fn be_to_u64(bytes: &[u8]) -> Option<u64> {
    if bytes.len() > 8 {
        return None;
    }
    Some(bytes.iter().fold(0, |acc, &b| acc << 8 | u64::from(b)))
}

/// Big-endian bytes to limbs, least significant limb first, `ceil(len / 8)` limbs.
fn be_to_limbs(bytes: &[u8]) -> Vec<u64> {
    bytes
        .rchunks(8)
        .map(|chunk| chunk.iter().fold(0, |acc, &b| acc << 8 | u64::from(b)))
        .collect()
}

/// Limbs (least significant first) to `len` big-endian bytes, dropping anything above.
fn limbs_to_be(limbs: &[u64], len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    for (i, byte) in out.iter_mut().rev().enumerate() {
        let limb = limbs.get(i / 8).copied().unwrap_or(0);
        *byte = (limb >> (8 * (i % 8))) as u8;
    }
    out
}

/// `acc += a * b` over `acc.len()` limbs; returns the carry limb.
fn mul_add(acc: &mut [u64], a: &[u64], b: u64) -> u64 {
    let mut carry = 0u64;
    for (x, &y) in acc.iter_mut().zip(a) {
        let sum = u128::from(*x) + u128::from(y) * u128::from(b) + u128::from(carry);
        *x = sum as u64;
        carry = (sum >> 64) as u64;
    }
    carry
}

/// Whether `a < b`, for limb slices of the same length.
fn less_than(a: &[u64], b: &[u64]) -> bool {
    for (x, y) in a.iter().rev().zip(b.iter().rev()) {
        if x != y {
            return x < y;
        }
    }
    false
}

/// `a -= b` modulo `2^(64 * len)`, for limb slices of the same length.
fn sub_in_place(a: &mut [u64], b: &[u64]) {
    let mut borrow = false;
    for (x, &y) in a.iter_mut().zip(b) {
        let (d1, b1) = x.overflowing_sub(y);
        let (d2, b2) = d1.overflowing_sub(u64::from(borrow));
        *x = d2;
        borrow = b1 || b2;
    }
}

/// `a = 2a` in place; returns the bit shifted out of the top.
fn double_in_place(a: &mut [u64]) -> bool {
    let mut carry = 0u64;
    for x in a.iter_mut() {
        let next = *x >> 63;
        *x = *x << 1 | carry;
        carry = next;
    }
    carry == 1
}

/// `-n0^-1 mod 2^64` for odd `n0`, by Newton iteration: `n0` is its own inverse mod 2^3, and
/// each step doubles the correct bits (3, 6, 12, 24, 48, 96).
fn neg_inverse(n0: u64) -> u64 {
    let mut x = n0;
    for _ in 0..5 {
        x = x.wrapping_mul(2u64.wrapping_sub(n0.wrapping_mul(x)));
    }
    x.wrapping_neg()
}

/// `R^2 mod n` with `R = 2^(64 * limbs)`, for `n` > 1: doubles 1 that many times, subtracting
/// `n` whenever the value reaches it.
fn r_squared(n: &[u64]) -> Vec<u64> {
    let mut r = vec![0u64; n.len()];
    if let Some(low) = r.first_mut() {
        *low = 1;
    }
    for _ in 0..128 * n.len() {
        let carry = double_in_place(&mut r);
        if carry || !less_than(&r, n) {
            sub_in_place(&mut r, n);
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The secret signed below with `openssl pkeyutl -sign`.
    const SECRET: &[u8] = b"0123456789abcdef";

    /// `openssl rsa -in k1024.pem -RSAPublicKey_out -outform DER` (e = 65537).
    const PUB_1024: &str = concat!(
        "30818902818100dec37ae12b287c0277cc9f1cefd82ddff279b3939f7c3c8ef0",
        "02603e525abbc62e5a7b6f3b9c7dcceba6a5aabb90448c190e79174aef350c0b",
        "28fbe9dfa557d5b9660b82dcd8ada823cad40d2a10ae600212e17c4edf7477e6",
        "a7f9e271236a1733194a09a5ccd09434e05e161d567efa7fb91cfeb1526da882",
        "24bd8c52b21d710203010001",
    );
    /// `openssl pkeyutl -sign -inkey k1024.pem -pkeyopt rsa_padding_mode:pkcs1` of `SECRET`
    /// (note the leading zero byte).
    const SIG_1024: &str = concat!(
        "00f29420e830cf66bdb599881faf6e21796e73bcf1a819683d86bf8ae0304a40",
        "01cea666aa7169e08ef73a63b9476bed74b67f682b1e44b6a7321a6119ebec04",
        "1037dc4e89e2b3dfcdff4cd69ea65361e7a7a39e5aca02bfe2f7127d40e0c7ba",
        "5f3a5c701383d8bccc4f2dd6973ece9e353a3b2d783deb7cd4ac7e61f477935a",
    );
    /// `openssl rsa -in k2048.pem -RSAPublicKey_out -outform DER` (e = 65537).
    const PUB_2048: &str = concat!(
        "3082010a0282010100b6a2cffad5491c961db5b0a98a53eb1de7a75e3deef72a",
        "49fd27b33138cb12b10c03cda7576db056ae320e492629a3591529cc618a2f54",
        "ee286f312539d3ec4848919f4c92535e8ce51cbe2dd12164e81c90d47eeed27b",
        "a2544c88169c3ac18d9428acc0f7af28e478fe893fc496a778d076df7afe7d7e",
        "acc4a11624a061456395305f85b6e76e33ca5c112624ab170c701bd2b2cc100a",
        "543bf87e8347435e898667c747c3fee7a063187ea7d7d1c1b6875985eadcf2d8",
        "263fbc38f715bc1082aff076ef92f8b7e4fab0ee0c6cb4b84b59878234372088",
        "02672d5313128c4f58cf53b12c937391ce485f64d021f62ff4cebde26b4a626a",
        "459049760421d03b810203010001",
    );
    /// `openssl pkeyutl -sign -inkey k2048.pem -pkeyopt rsa_padding_mode:pkcs1` of `SECRET`.
    const SIG_2048: &str = concat!(
        "9c9a2060a505ee3440df740cc6984a5bfac57a8444e99fbba5b243290f17714c",
        "d75c070aefceae1be65e50f148ff98ca6c08c59377dffe85c178ca8523a19124",
        "0e5d8c400321a6a3f1b5db66bfbbac8b9eb6f6fa75b46063b2a66354ec1b91df",
        "5b5b90d480b3b1523653a3d50c007368f9c5416b29d620ad20adcdc24929404e",
        "a60c90a99324d6fd2b960f5f10a6da3deaa8ed2f49982a02383e74f2f902ec1e",
        "47d14bc9ed53acaf71e818a13fd27223615614348f1531cbaa685463005146da",
        "bc52e52768f21da8364c7f3c1fbe2472053823c31ed98d5e77bee4e137bc01ce",
        "315964512129c2c8f9e12fa3c31d10fafa9ea308ea93420281ad93a96cc7513a",
    );
    /// `openssl genrsa -3 512`, then `-RSAPublicKey_out -outform DER` (e = 3, 512 bits).
    const PUB_512_E3: &str = concat!(
        "3046024100b3c152ee5b6280b191484fbd27bba406f03cc75c6bdf226e1a621a",
        "bed4629a1d01e1dda83048afd52d828368660a8308b4d84da207430ef2e5a1d4",
        "5f43eae8e5020103",
    );
    /// `openssl pkeyutl -sign -inkey k512e3.pem -pkeyopt rsa_padding_mode:pkcs1` of `SECRET`.
    const SIG_512_E3: &str = concat!(
        "4adf31033be753a9111f97978ea8d62ea7ffacc75f4b613991029e3b3daa8c1d",
        "5bc3e6f1e5152b145049c2c03d94c306308499e247c88d395e1234d80cf87b51",
    );

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn der(tag: u8, contents: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        match contents.len() {
            len @ 0..0x80 => out.push(len as u8),
            len @ 0x80..0x100 => out.extend([0x81, len as u8]),
            len => out.extend([0x82, (len >> 8) as u8, len as u8]),
        }
        out.extend_from_slice(contents);
        out
    }

    fn der_int(magnitude: &[u8]) -> Vec<u8> {
        let mut contents = Vec::new();
        if magnitude.first().is_some_and(|b| b & 0x80 != 0) {
            contents.push(0);
        }
        contents.extend_from_slice(magnitude);
        der(TAG_INTEGER, &contents)
    }

    /// A PKCS#1 `RSAPublicKey` DER from big-endian magnitudes.
    fn rsa_der(modulus: &[u8], exponent: &[u8]) -> Vec<u8> {
        let mut body = der_int(modulus);
        body.extend(der_int(exponent));
        der(TAG_SEQUENCE, &body)
    }

    /// An odd modulus of exactly `bits` bits: all ones.
    fn ones(bits: usize) -> Vec<u8> {
        let mut out = vec![0xff; bits.div_ceil(8)];
        out[0] = 0xff >> ((8 - bits % 8) % 8);
        out
    }

    /// `2^k` as `len` big-endian bytes.
    fn power_of_two(k: usize, len: usize) -> Vec<u8> {
        let mut out = vec![0u8; len];
        out[len - 1 - k / 8] = 1 << (k % 8);
        out
    }

    fn block(kind: u8, padding: &[u8], message: &[u8]) -> Vec<u8> {
        let mut out = vec![0, kind];
        out.extend_from_slice(padding);
        out.push(0);
        out.extend_from_slice(message);
        out
    }

    #[test]
    fn textbook() {
        // n = 61 * 53 = 3233, e = 17, d = 2753.
        let key = PublicKey::from_parts(&[0x0c, 0xa1], 17).unwrap();
        assert_eq!(key.len(), 2);
        assert_eq!(public_op(&key, &[0x00, 65]).unwrap(), [0x0a, 0xe6]); // 2790
        let inverse = PublicKey::from_parts(&[0x0c, 0xa1], 2753).unwrap();
        assert_eq!(public_op(&inverse, &[0x0a, 0xe6]).unwrap(), [0x00, 65]);
    }

    #[test]
    fn openssl_1024() {
        let key = PublicKey::from_pkcs1_der(&hex(PUB_1024)).unwrap();
        assert_eq!(key.len(), 128);
        assert_eq!(key.e, 65537);
        assert_eq!(recover(&key, &hex(SIG_1024)).unwrap(), SECRET);
    }

    #[test]
    fn openssl_2048() {
        let key = PublicKey::from_pkcs1_der(&hex(PUB_2048)).unwrap();
        assert_eq!(key.len(), 256);
        assert_eq!(recover(&key, &hex(SIG_2048)).unwrap(), SECRET);
    }

    #[test]
    fn openssl_512_exponent_3() {
        let key = PublicKey::from_pkcs1_der(&hex(PUB_512_E3)).unwrap();
        assert_eq!((key.len(), key.e), (64, 3));
        assert_eq!(recover(&key, &hex(SIG_512_E3)).unwrap(), SECRET);
    }

    #[test]
    fn openssl_block_is_type_1() {
        let key = PublicKey::from_pkcs1_der(&hex(PUB_2048)).unwrap();
        let out = public_op(&key, &hex(SIG_2048)).unwrap();
        let padding = 256 - 3 - SECRET.len();
        assert_eq!(out, block(1, &vec![0xff; padding], SECRET));
    }

    #[test]
    fn multi_limb_powers_of_two() {
        // Modulo 2^1024 - 1, 2^k is 2^(k mod 1024): checks carries across all 16 limbs.
        let modulus = ones(1024);
        let two = power_of_two(1, 128);
        let cases: [(&[u8], Vec<u8>); 4] = [
            (&[3], power_of_two(3, 128)),
            (&[0x01, 0x00, 0x01], power_of_two(1, 128)), // 65537 mod 1024 = 1
            (&[0x01, 0x00, 0x00, 0x00, 0x00], power_of_two(0, 128)), // 2^32 mod 1024 = 0
            (&[0x03, 0xff], power_of_two(1023, 128)),
        ];
        for (exponent, expected) in cases {
            let key = PublicKey::from_pkcs1_der(&rsa_der(&modulus, exponent)).unwrap();
            assert_eq!(public_op(&key, &two).unwrap(), expected, "e = {exponent:?}");
        }
        let key = PublicKey::from_pkcs1_der(&rsa_der(&modulus, &[3])).unwrap();
        let cube = public_op(&key, &power_of_two(100, 128)).unwrap();
        assert_eq!(cube, power_of_two(300, 128));
    }

    #[test]
    fn size_limits() {
        let accepts = |modulus: &[u8], exponent: &[u8]| {
            PublicKey::from_pkcs1_der(&rsa_der(modulus, exponent)).is_some()
        };
        assert!(accepts(&ones(512), &[3]));
        assert!(accepts(&ones(8192), &[3]));
        assert!(!accepts(&ones(511), &[3]));
        assert!(!accepts(&ones(8193), &[3]));
        assert!(accepts(&ones(1024), &[1, 0, 0, 0, 0])); // 2^32
        assert!(!accepts(&ones(1024), &[1, 0, 0, 0, 1]));
        assert!(!accepts(&ones(1024), &[1, 0, 0, 0, 0, 0, 0, 0, 0]));
        assert!(!accepts(&ones(1024), &[]));
        assert!(!accepts(&ones(1024), &[1]));
        let mut even = ones(1024);
        even[127] = 0xfe;
        assert!(!accepts(&even, &[3]));
        assert_eq!(PublicKey::from_parts(&[1], 3), None);
        assert_eq!(PublicKey::from_parts(&[0x0c, 0xa1], 1), None);
    }

    #[test]
    fn malformed_der() {
        let good = hex(PUB_1024);
        for end in 0..good.len() {
            assert_eq!(
                PublicKey::from_pkcs1_der(&good[..end]),
                None,
                "prefix {end}"
            );
        }
        let mut trailing = good.clone();
        trailing.push(0);
        let mut wrong_tag = good.clone();
        wrong_tag[0] = 0x31;
        let mut indefinite = good.clone();
        indefinite[1] = 0x80;
        let modulus = ones(1024);
        let mut three = der_int(&modulus);
        three.extend(der_int(&[3]));
        three.extend(der_int(&[3]));
        let mut negative = der(TAG_INTEGER, &modulus);
        negative.extend(der_int(&[3]));
        let mut padded = der(TAG_INTEGER, &[&[0, 0][..], &modulus].concat());
        padded.extend(der_int(&[3]));
        let mut long_length = vec![TAG_SEQUENCE, 0x82, 0x00, 0x03];
        long_length.extend(der_int(&[1]));
        for bad in [
            Vec::new(),
            b"garbage".to_vec(),
            vec![0xff; 300],
            trailing,
            wrong_tag,
            indefinite,
            der(TAG_SEQUENCE, &three),
            der(TAG_SEQUENCE, &negative),
            der(TAG_SEQUENCE, &padded),
            der(TAG_SEQUENCE, &der_int(&modulus)),
            long_length,
        ] {
            assert_eq!(PublicKey::from_pkcs1_der(&bad), None, "{bad:02x?}");
        }
    }

    #[test]
    fn public_op_rejects_bad_input() {
        let key = PublicKey::from_pkcs1_der(&hex(PUB_1024)).unwrap();
        let n = der_unsigned(der_element(&hex(PUB_1024)[3..], TAG_INTEGER).unwrap().0)
            .unwrap()
            .to_vec();
        assert_eq!(n.len(), 128);
        let mut below = n.clone();
        below[127] -= 1;
        assert!(public_op(&key, &below).is_some());
        assert_eq!(public_op(&key, &n), None);
        assert_eq!(public_op(&key, &[0xff; 128]), None);
        assert_eq!(public_op(&key, &[0; 127]), None);
        assert_eq!(public_op(&key, &[0; 129]), None);
        assert_eq!(public_op(&key, &[]), None);
        assert_eq!(public_op(&key, &[0; 128]).unwrap(), [0; 128]);
        assert_eq!(recover(&key, &[0; 128]), None);
        assert_eq!(recover(&key, &hex(&SIG_1024[2..])), None);
    }

    #[test]
    fn recover_rejects_tampering() {
        let key = PublicKey::from_pkcs1_der(&hex(PUB_2048)).unwrap();
        let mut sig = hex(SIG_2048);
        sig[100] ^= 1;
        assert_eq!(recover(&key, &sig), None);
        let other = PublicKey::from_pkcs1_der(&hex(PUB_1024)).unwrap();
        assert_eq!(recover(&other, &hex(SIG_2048)), None);
    }

    #[test]
    fn unpad() {
        let ff = [0xff; 8];
        assert_eq!(unpad_pkcs1(&block(1, &ff, b"hi")), Some(&b"hi"[..]));
        assert_eq!(unpad_pkcs1(&block(1, &[0xff; 100], b"")), Some(&b""[..]));
        let random = [7, 1, 0xff, 9, 200, 3, 3, 42];
        assert_eq!(unpad_pkcs1(&block(2, &random, b"hi")), Some(&b"hi"[..]));
        assert_eq!(unpad_pkcs1(&block(2, &[1; 7], b"hi")), None);
        assert_eq!(unpad_pkcs1(&block(1, &[0xff; 7], b"hi")), None);
        assert_eq!(
            unpad_pkcs1(&block(
                1,
                &[0xff, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
                b"x"
            )),
            None
        );
        assert_eq!(unpad_pkcs1(&block(1, &random, b"hi")), None);
        assert_eq!(unpad_pkcs1(&block(0, &ff, b"hi")), None);
        assert_eq!(unpad_pkcs1(&block(3, &ff, b"hi")), None);
        let mut leading = block(1, &ff, b"hi");
        leading[0] = 1;
        assert_eq!(unpad_pkcs1(&leading), None);
        assert_eq!(
            unpad_pkcs1(&[0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            None
        );
        assert_eq!(unpad_pkcs1(&[0, 1]), None);
        assert_eq!(unpad_pkcs1(&[0]), None);
        assert_eq!(unpad_pkcs1(&[]), None);
    }
}
