//! Vectors made with OpenSSL, textbook cases, and malformed input.

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
    let n = der_unsigned(der::element(&hex(PUB_1024)[3..], TAG_INTEGER).unwrap().0)
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
    assert_eq!(unpad_type1(&block(1, &ff, b"hi")), Some(&b"hi"[..]));
    assert_eq!(unpad_type1(&block(1, &[0xff; 100], b"")), Some(&b""[..]));
    let random = [7, 1, 0xff, 9, 200, 3, 3, 42];
    assert_eq!(
        unpad_type1(&block(2, &random, b"hi")),
        None,
        "type 2 lets anyone with the public key forge a secret"
    );
    assert_eq!(unpad_type1(&block(2, &[1; 7], b"hi")), None);
    assert_eq!(unpad_type1(&block(1, &[0xff; 7], b"hi")), None);
    assert_eq!(
        unpad_type1(&block(
            1,
            &[0xff, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            b"x"
        )),
        None
    );
    assert_eq!(unpad_type1(&block(1, &random, b"hi")), None);
    assert_eq!(unpad_type1(&block(0, &ff, b"hi")), None);
    assert_eq!(unpad_type1(&block(3, &ff, b"hi")), None);
    let mut leading = block(1, &ff, b"hi");
    leading[0] = 1;
    assert_eq!(unpad_type1(&leading), None);
    assert_eq!(
        unpad_type1(&[0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
        None
    );
    assert_eq!(unpad_type1(&[0, 1]), None);
    assert_eq!(unpad_type1(&[0]), None);
    assert_eq!(unpad_type1(&[]), None);
}
