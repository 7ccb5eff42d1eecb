//! Sender signatures: who may claim to have sent a request. Amazon SNS ([`sns`]) and Alibaba
//! EventBridge ([`alibaba`]) sign with keys from certificates they publish; [`signing`] holds the
//! allowlisted certificate fetch, its bounded cache and the RSA checks (`ring`, `rustls-webpki`).
//!
//! Pure checks and a certificate fetch, nothing else: admission decides what a failure means.

pub mod alibaba;
mod der;
pub mod signing;
pub mod sns;
