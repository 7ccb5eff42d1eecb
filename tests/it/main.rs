//! regrelay's integration tests: one binary, one module per concern.

// In tests a panic is a failed assertion, not a crash: helpers may unwrap.
#![allow(clippy::unwrap_used)]

mod azure; // the regrelay-azure binary spoken to exactly as the Functions host does
mod budget; // the DingTalk budget shared by two apps through one store; kept payloads
mod cli;
mod coalesce; // one event per image push: ACR, ECR, Harbor sequences, out of order, restarts, inline // the regrelay binary: normalize, simulate, serve + events show
mod config; // every shipped config and the issues' examples load as written
mod console; // the trace console in headless Chromium: list, filter, detail, redrive
mod delivery; // fan-out over real HTTP: ledger, retries, dead letters, replies to senders
mod handshake; // Event Grid validation/deletion and the CloudEvents OPTIONS handshake over HTTP
mod lambda; // the Lambda handler fed lambda_http's own request shapes
mod ledger; // concurrent duplicates, a kill mid fan-out, a short soak with restarts
mod metrics; // the Prometheus endpoint scraped after known traffic
mod normalize; // every fixture against its golden normalized output
mod queued; // queued mode: the serve worker, the 24 h schedule, Azure Storage queues, SQS + Lambda
mod registry; // a real Distribution registry notifying serve, images pushed with skopeo
mod rules; // rules as operators write them, on the seed documents' events
mod security; // trust at the edge: no bypass, no crash from a peer, bounded fan-out and reads
mod sources; // every inbound source through serve with its real headers; SNS handshake and signatures
mod stores; // the Azure Table and DynamoDB stores against Azurite and moto (scripts/emulators.sh)
mod targets; // each target kind against a loopback receiver that verifies what the real service verifies
