//! What every stage shares and none owns: secrets and `${env:…}` expansion, durations written in
//! config, the config error, and the record of one delivery attempt. Imports nothing of the crate.

pub mod attempt;
pub mod duration;
pub mod error;
pub mod hex;
pub mod secret;

pub use attempt::{Attempt, AttemptClass};
pub use error::ConfigError;
pub use hex::hex;
pub use secret::{Env, ProcessEnv, Secret};
