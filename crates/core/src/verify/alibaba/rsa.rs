//! The raw RSA public-key operation and PKCS#1 v1.5 unpadding, used to recover the per-request
//! secret Alibaba Cloud EventBridge sends in `x-eventbridge-signature-secret`.
//!
//! EventBridge "encrypts" that secret with its RSA private key (Java `Cipher.getInstance("RSA")`,
//! i.e. a PKCS#1 v1.5 block of type 1: `00 01 FF..FF 00 || secret`); the receiver undoes it with
//! the public key from EventBridge's X.509 certificate.
//!
//! Why this is our own code: `ring` offers no raw public-key operation (only whole signature
//! verifications, and none that hands back the signed message), and a bigint or `rsa` crate would
//! grow the 2 MB Lambda package for about 250 lines. Everything else stays with the libraries:
//! certificates are parsed by `rustls-webpki`, and version 2 signatures (plain RSA-SHA256) are
//! verified by `ring`. This module owns only parsing the PKCS#1 `RSAPublicKey`, `s^e mod n`
//! (Montgomery multiplication over `u64` limbs) and the strict type-1 unpadding.
//!
//! Only block type 1 is accepted. Type 2 (encryption padding) would let anyone forge a secret
//! with the public key alone: raise random values to `e` until one reads as `00 02 …nonzero… 00 M`
//! (about one try in 10^4–10^5) and `M` is a "secret" the forger knows.
//!
//! Not constant-time, by design: the key, the ciphertext and the recovered secret's padding are
//! all public or attacker-supplied data, and no private key is involved.

use crate::verify::der;

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
        let (body, rest) = der::element(der, TAG_SEQUENCE)?;
        let (modulus, body) = der::element(body, TAG_INTEGER)?;
        let (exponent, body) = der::element(body, TAG_INTEGER)?;
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

/// Recovers the message from a PKCS#1 v1.5 block of type 1: `00 01`, at least 8 `FF` bytes,
/// `00`, then the message. `None` for any other block (type 2 above all, see the module header).
pub fn unpad_type1(block: &[u8]) -> Option<&[u8]> {
    let [0, 1, rest @ ..] = block else {
        return None;
    };
    let separator = rest.iter().position(|&b| b != 0xff)?;
    if separator < MIN_PADDING || rest[separator] != 0 {
        return None;
    }
    rest.get(separator + 1..)
}

/// `public_op` then `unpad_type1`: the message inside an EventBridge-style ciphertext.
pub fn recover(key: &PublicKey, ciphertext: &[u8]) -> Option<Vec<u8>> {
    let block = public_op(key, ciphertext)?;
    unpad_type1(&block).map(<[u8]>::to_vec)
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
mod tests;
