//! The soak run: many events through a real `regrelay serve` process to several flaky targets,
//! with the sender retrying as Event Grid does and the process killed and restarted along the
//! way; then the tally of what every target really received.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::flaky::FlakyReceiver;

mod shared;
use crate::process::ServeProcess;
pub use shared::Shared;

/// What to run.
#[derive(Debug, Clone)]
pub struct SoakParams {
    /// Events to send.
    pub events: usize,
    /// Events per request (an Event Grid batch).
    pub batch: usize,
    /// Targets every event goes to.
    pub targets: usize,
    /// Share of target requests that fail with 500.
    pub fail_ratio: f64,
    /// How many times the process is killed (SIGKILL) and restarted.
    pub restarts: usize,
    /// Concurrent senders.
    pub senders: usize,
    /// Seed of the receivers' failures.
    pub seed: u64,
    /// Give up after this long.
    pub time_limit: Duration,
    /// `inline` (the sender's retries are the schedule) or `queued` (regrelay's worker retries).
    pub mode: &'static str,
    /// `serve` processes sharing the store and queue (kills go round them).
    pub instances: usize,
    /// What they share.
    pub shared: Shared,
}

/// The tally.
#[derive(Debug, Clone, Default)]
pub struct SoakReport {
    /// Events sent.
    pub events: usize,
    /// Requests the sender made (first tries and retries).
    pub requests: usize,
    /// (event, target) pairs that should be delivered.
    pub expected: usize,
    /// Pairs a target accepted at least once.
    pub delivered: usize,
    /// Extra accepted copies after a kill came between the first copy and this one.
    pub duplicates_after_kill: usize,
    /// Extra accepted copies after regrelay's request timed out although the target accepted it
    /// (no HTTP target can be told "exactly once"; the stable `webhook-id` lets it drop these).
    pub duplicates_after_timeout: usize,
    /// Extra accepted copies with neither a kill nor a timeout to explain them (must be 0).
    pub duplicates_other: usize,
    /// Events with a dead-lettered pair.
    pub dead_lettered: usize,
    /// Pairs never accepted (must be 0).
    pub lost: usize,
    /// Kills done.
    pub restarts: usize,
    /// Wall time.
    pub elapsed: Duration,
    /// (event, target) of the duplicates not explained by a kill, before timeouts are looked up.
    pub unexplained: Vec<(String, String)>,
}

impl fmt::Display for SoakReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "events sent:            {}", self.events)?;
        writeln!(f, "requests (with retries): {}", self.requests)?;
        writeln!(f, "process restarts:       {}", self.restarts)?;
        writeln!(f, "deliveries expected:    {}", self.expected)?;
        writeln!(f, "delivered:              {}", self.delivered)?;
        writeln!(f, "duplicates (kill):      {}", self.duplicates_after_kill)?;
        writeln!(
            f,
            "duplicates (timeout):   {}",
            self.duplicates_after_timeout
        )?;
        writeln!(f, "duplicates (other):     {}", self.duplicates_other)?;
        writeln!(f, "dead-lettered:          {}", self.dead_lettered)?;
        writeln!(f, "lost:                   {}", self.lost)?;
        write!(
            f,
            "elapsed:                {:.1} s",
            self.elapsed.as_secs_f64()
        )
    }
}

fn config(
    dir: &std::path::Path,
    receiver: &FlakyReceiver,
    params: &SoakParams,
) -> std::path::PathBuf {
    let (targets, mode) = (params.targets, params.mode);
    // Queued: a fast schedule, so retries happen within the run.
    let mut text = format!(
        "{}[delivery]\nmode = \"{mode}\"\nattempts = 1\nbackoff = \"10ms\"\nbudget = \"2s\"\nschedule = [\"20ms\", \"50ms\", \"100ms\", \"200ms\"]\n\n",
        params.shared.sections(dir)
    );
    let names: Vec<String> = (0..targets).map(|i| format!("t{i}")).collect();
    for name in &names {
        text.push_str(&format!("[[targets]]\nname = \"{name}\"\ntype = \"webhook\"\nurl = \"{}\"\ntimeout = \"2s\"\n\n", receiver.url(name)));
    }
    let list = names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ");
    text.push_str(&format!(
        "[[rules]]\nname = \"all\"\nnotifications = [\"*:*\"]\ntargets = [{list}]\n"
    ));
    let path = dir.join("soak.toml");
    std::fs::write(&path, text).expect("write soak config");
    path
}

fn batch_body(first: usize, count: usize) -> String {
    let events: Vec<String> = (first..first + count)
        .map(|n| {
            format!(
                r#"{{"id":"soak-{n:06}","topic":"/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerRegistry/registries/soak","subject":"soak/app:v{n}","eventType":"Microsoft.ContainerRegistry.ImagePushed","eventTime":"2024-05-01T08:00:00Z","data":{{"action":"push","target":{{"repository":"soak/app","tag":"v{n}","digest":"sha256:{n:064}"}}}},"dataVersion":"1.0"}}"#
            )
        })
        .collect();
    format!("[{}]", events.join(","))
}

/// Runs the soak and tallies it.
pub async fn run(params: &SoakParams) -> SoakReport {
    let started = Instant::now();
    let receiver = FlakyReceiver::start(params.fail_ratio, params.seed).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = config(dir.path(), &receiver, params);
    let env = params.shared.env();
    let mut servers = Vec::new();
    for _ in 0..params.instances.max(1) {
        servers.push(ServeProcess::start_with_env(config.clone(), env.clone()).await);
    }
    let bodies: Arc<Vec<String>> = Arc::new(
        (0..params.events)
            .step_by(params.batch)
            .map(|first| batch_body(first, params.batch.min(params.events - first)))
            .collect(),
    );
    let queue = Arc::new(Mutex::new((0..bodies.len()).collect::<VecDeque<_>>()));
    let acked = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(AtomicUsize::new(0));
    let deadline = started + params.time_limit;
    let urls: Arc<Vec<String>> = Arc::new(servers.iter().map(ServeProcess::url).collect());
    let senders: Vec<_> = (0..params.senders)
        .map(|_| {
            tokio::spawn(send_loop(
                urls.clone(),
                bodies.clone(),
                queue.clone(),
                acked.clone(),
                requests.clone(),
                deadline,
            ))
        })
        .collect();
    let mut kills = Vec::new();
    for k in 0..params.restarts {
        let mark = bodies.len() * (k + 1) / (params.restarts + 1);
        while acked.load(Ordering::Relaxed) < mark && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // Stamp the kill after it happened: a copy accepted just before the SIGKILL belongs to it.
        let n = servers.len();
        let server = &mut servers[k % n];
        server.kill();
        kills.push(Instant::now());
        server.restart().await;
    }
    for sender in senders {
        let _ = sender.await;
    }
    // Queued: every request is acknowledged; wait for the worker to finish the queue.
    let expected = params.events * params.targets;
    while accepted_pairs(&receiver.receipts()) < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for server in &mut servers {
        server.kill();
    }
    let store = params.shared.store(dir.path());
    let mut report = tally(&receiver.receipts(), &kills, params);
    explain_timeouts(
        &store,
        &mut report.unexplained,
        &mut report.duplicates_after_timeout,
    )
    .await;
    report.duplicates_other = report.unexplained.len();
    report.requests = requests.load(Ordering::Relaxed);
    report.dead_lettered = dead_lettered(&store).await;
    report.elapsed = started.elapsed();
    report
}

fn accepted_pairs(receipts: &[crate::flaky::Receipt]) -> usize {
    receipts
        .iter()
        .filter(|r| r.accepted)
        .map(|r| (r.event_id.as_str(), r.target.as_str()))
        .collect::<std::collections::HashSet<_>>()
        .len()
}

async fn send_loop(
    urls: Arc<Vec<String>>,
    bodies: Arc<Vec<String>>,
    queue: Arc<Mutex<VecDeque<usize>>>,
    acked: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
    deadline: Instant,
) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    while Instant::now() < deadline {
        let next = queue.lock().ok().and_then(|mut q| q.pop_front());
        let Some(index) = next else {
            if acked.load(Ordering::Relaxed) == bodies.len() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        // Spread over the instances; a retry goes to another one.
        let sent = requests.fetch_add(1, Ordering::Relaxed);
        let url = &urls[sent % urls.len()];
        let reply = client
            .post(url)
            .header("content-type", "application/json")
            .header("aeg-event-type", "Notification")
            .body(bodies[index].clone())
            .send()
            .await;
        if reply.is_ok_and(|r| r.status() == 200) {
            acked.fetch_add(1, Ordering::Relaxed);
        } else {
            // As Event Grid does: retry the whole batch later.
            tokio::time::sleep(Duration::from_millis(20)).await;
            if let Ok(mut q) = queue.lock() {
                q.push_back(index);
            }
        }
    }
}

/// How long after a kill's stamp a copy the killed process had already sent may still be
/// recorded: the stamp is taken after `kill` and `wait` returned, and on the test's
/// current-thread runtime the receiver only reads what arrived meanwhile once that blocking call
/// is over. A duplicate whose first copy lands in this window is one the kill explains.
const KILL_GRACE: Duration = Duration::from_secs(1);

fn tally(receipts: &[crate::flaky::Receipt], kills: &[Instant], params: &SoakParams) -> SoakReport {
    let mut accepted: HashMap<(&str, &str), Vec<Instant>> = HashMap::new();
    for r in receipts.iter().filter(|r| r.accepted) {
        accepted
            .entry((r.event_id.as_str(), r.target.as_str()))
            .or_default()
            .push(r.at);
    }
    let mut report = SoakReport {
        events: params.events,
        expected: params.events * params.targets,
        restarts: kills.len(),
        ..SoakReport::default()
    };
    for ((event, target), times) in &mut accepted {
        times.sort();
        report.delivered += 1;
        let first = times[0];
        for later in &times[1..] {
            if kills.iter().any(|k| first <= *k + KILL_GRACE && k <= later) {
                report.duplicates_after_kill += 1;
            } else {
                report
                    .unexplained
                    .push(((*event).to_owned(), (*target).to_owned()));
            }
        }
    }
    report.lost = report.expected.saturating_sub(report.delivered);
    report
}

/// Moves the duplicates whose pair has a timed-out attempt on record into the timeout count.
async fn explain_timeouts(
    store: &Option<regrelay_core::Store>,
    unexplained: &mut Vec<(String, String)>,
    timeouts: &mut usize,
) {
    let Some(store) = store else { return };
    let mut still = Vec::new();
    for (event, target) in unexplained.drain(..) {
        let timed_out = store
            .trace(&event)
            .await
            .ok()
            .flatten()
            .is_some_and(|trace| {
                trace
                    .attempts
                    .iter()
                    .any(|a| a.target == target && a.error.as_deref() == Some("timed out"))
            });
        if timed_out {
            *timeouts += 1;
        } else {
            still.push((event, target));
        }
    }
    *unexplained = still;
}

async fn dead_lettered(store: &Option<regrelay_core::Store>) -> usize {
    let Some(store) = store else {
        return usize::MAX;
    };
    let filter = regrelay_core::ListFilter {
        state: Some(regrelay_core::DeliveryState::DeadLettered),
        limit: usize::MAX >> 1,
        ..Default::default()
    };
    store
        .list(&filter)
        .await
        .map_or(usize::MAX, |rows| rows.len())
}
