//! One writer at a time per warehouse, across machines and whatever writes (a pipeline run,
//! `gongkai ingest`, `gongkai rebuild`): a lease object `_leases/writer.json` (writer, holder,
//! expiry) in the warehouse's store.
//!
//! - **Take**: a create-if-absent put (`PutMode::Create`). When an object is there and its expiry
//!   has passed, it is taken over with a conditional update on the version read
//!   (`PutMode::Update`); stores without conditional update (the local disk) delete the expired
//!   lease and create a new one, which fails if another taker created it first.
//! - **Renew**: the holder rewrites the object with a later expiry (conditional update where
//!   supported, else after checking it still holds it).
//! - **Release**: the holder deletes it.
//! - **Hold** ([`hold`]): take it and renew it in the background; a writer whose lease is lost, or
//!   cannot be renewed while some of it is left, is cancelled before the lease lapses.
//!
//! Expiry compares wall clocks of different machines: keep `lease_seconds` well above any clock skew.
//! Residual race on stores without conditional update: two takers that both read the same expired
//! lease may both delete; the second delete can remove the first taker's new lease. The renewal of
//! the first taker then finds a foreign holder and cancels its run.

use std::time::Duration;

use bytes::Bytes;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::pipeline::now_micros;
use crate::store::{StoreError, Warehouse};

/// What the lease object holds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LeaseBody {
    /// What writes: a pipeline's name, `ingest` or `rebuild`.
    pub writer: String,
    pub holder: String,
    /// Microseconds since the epoch, UTC.
    pub acquired: i64,
    pub expires: i64,
}

/// A lease this process holds.
#[derive(Debug)]
pub struct Lease {
    path: Path,
    pub body: LeaseBody,
    version: UpdateVersion,
}

/// The outcome of trying to take a lease.
#[derive(Debug)]
pub enum Acquired {
    Taken(Lease),
    /// Someone else holds it until `expires`.
    Held(LeaseBody),
}

/// The lease object of a warehouse, relative to its root: one for every writer, so that two
/// pipelines, or a pipeline and a manual `ingest`, never write the same warehouse at once.
pub const LEASE_FILE: &str = "_leases/writer.json";

fn err(path: &Path) -> impl FnOnce(object_store::Error) -> StoreError + '_ {
    move |source| StoreError::Object { path: path.to_string(), source }
}

fn encode(body: &LeaseBody) -> PutPayload {
    PutPayload::from(Bytes::from(serde_json::to_vec_pretty(body).unwrap_or_default()))
}

async fn put(
    store: &dyn ObjectStore,
    path: &Path,
    body: &LeaseBody,
    mode: PutMode,
) -> object_store::Result<UpdateVersion> {
    let opts = PutOptions { mode, ..PutOptions::default() };
    let r = store.put_opts(path, encode(body), opts).await?;
    Ok(UpdateVersion { e_tag: r.e_tag, version: r.version })
}

/// The current lease object and its version, if any.
async fn read(store: &dyn ObjectStore, path: &Path) -> Result<Option<(LeaseBody, UpdateVersion)>, StoreError> {
    match store.get(path).await {
        Ok(got) => {
            let version = UpdateVersion { e_tag: got.meta.e_tag.clone(), version: got.meta.version.clone() };
            let bytes = got.bytes().await.map_err(err(path))?;
            // An unreadable lease (torn by hand) counts as expired.
            let body = serde_json::from_slice(&bytes).unwrap_or(LeaseBody {
                writer: String::new(),
                holder: "(unreadable lease)".into(),
                acquired: 0,
                expires: 0,
            });
            Ok(Some((body, version)))
        }
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(err(path)(e)),
    }
}

/// The warehouse's lease as it stands (for tests and diagnostics).
pub async fn current(wh: &Warehouse) -> Result<Option<LeaseBody>, StoreError> {
    Ok(read(wh.store().as_ref(), &wh.path(LEASE_FILE)).await?.map(|(b, _)| b))
}

/// Whether `holder` (`host/pid/run`) was a process of this machine that no longer runs: a writer
/// killed outright (SIGKILL, out of memory) cannot release its lease, and waiting out the rest of
/// it would hold up the next run for nothing. A holder elsewhere, or one whose process id is alive
/// (perhaps reused), is taken at its word.
fn died_here(holder: &str) -> bool {
    let mut parts = holder.splitn(3, '/');
    let (Some(host), Some(pid)) = (parts.next(), parts.next().and_then(|p| p.parse::<u32>().ok())) else {
        return false;
    };
    let proc = std::path::Path::new("/proc");
    host == super::host()
        && pid != std::process::id()
        && proc.join("self").exists()
        && !proc.join(pid.to_string()).exists()
}

/// Try to take the warehouse's lease for `writer` (run by `holder`) until `now + ttl`.
pub async fn acquire(
    wh: &Warehouse,
    writer: &str,
    holder: &str,
    now: i64,
    ttl_micros: i64,
) -> Result<Acquired, StoreError> {
    let store = wh.store();
    let path = wh.path(LEASE_FILE);
    let body = LeaseBody { writer: writer.into(), holder: holder.into(), acquired: now, expires: now + ttl_micros };
    // Two rounds: the second after deleting an expired lease on stores without conditional update.
    for _ in 0..2 {
        match put(store.as_ref(), &path, &body, PutMode::Create).await {
            Ok(version) => return Ok(Acquired::Taken(Lease { path, body, version })),
            Err(object_store::Error::AlreadyExists { .. }) => {}
            Err(e) => return Err(err(&path)(e)),
        }
        let Some((old, version)) = read(store.as_ref(), &path).await? else { continue };
        if old.expires > now && !died_here(&old.holder) {
            return Ok(Acquired::Held(old));
        }
        // Expired: take it over on the version just read.
        match put(store.as_ref(), &path, &body, PutMode::Update(version)).await {
            Ok(version) => return Ok(Acquired::Taken(Lease { path, body, version })),
            Err(object_store::Error::Precondition { .. }) => {
                // Someone else took it over first.
                return Ok(match read(store.as_ref(), &path).await? {
                    Some((other, _)) => Acquired::Held(other),
                    None => Acquired::Held(old),
                });
            }
            Err(object_store::Error::NotImplemented { .. }) => {
                store.delete(&path).await.or_else(|e| match e {
                    object_store::Error::NotFound { .. } => Ok(()),
                    e => Err(err(&path)(e)),
                })?;
            }
            Err(e) => return Err(err(&path)(e)),
        }
    }
    match read(store.as_ref(), &path).await? {
        Some((other, _)) => Ok(Acquired::Held(other)),
        None => Err(StoreError::Object {
            path: path.to_string(),
            source: object_store::Error::Generic { store: "lease", source: "the lease kept changing hands".into() },
        }),
    }
}

impl Lease {
    /// Extend the lease to `now + ttl`. `Ok(false)`: it is no longer ours (taken over after it
    /// expired); the run must stop.
    pub async fn renew(&mut self, wh: &Warehouse, now: i64, ttl_micros: i64) -> Result<bool, StoreError> {
        let store = wh.store();
        let body = LeaseBody { expires: now + ttl_micros, ..self.body.clone() };
        match put(store.as_ref(), &self.path, &body, PutMode::Update(self.version.clone())).await {
            Ok(version) => {
                self.version = version;
                self.body = body;
                Ok(true)
            }
            Err(object_store::Error::Precondition { .. }) => Ok(false),
            Err(object_store::Error::NotImplemented { .. }) => {
                match read(store.as_ref(), &self.path).await? {
                    Some((current, _)) if current.holder == self.body.holder => {}
                    _ => return Ok(false),
                }
                self.version =
                    put(store.as_ref(), &self.path, &body, PutMode::Overwrite).await.map_err(err(&self.path))?;
                self.body = body;
                Ok(true)
            }
            Err(e) => Err(err(&self.path)(e)),
        }
    }

    /// Give the lease up (only if still ours).
    pub async fn release(self, wh: &Warehouse) -> Result<(), StoreError> {
        let store = wh.store();
        match read(store.as_ref(), &self.path).await? {
            Some((current, _)) if current.holder == self.body.holder => match store.delete(&self.path).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(err(&self.path)(e)),
            },
            _ => Ok(()),
        }
    }
}

/// A lease taken by [`hold`] and renewed in the background until [`Holding::release`].
pub struct Holding {
    stop: CancellationToken,
    renewer: tokio::task::JoinHandle<Lease>,
    /// The lease as taken.
    pub body: LeaseBody,
}

/// The outcome of [`hold`].
pub enum Hold {
    Holding(Holding),
    /// Another writer holds the lease.
    Busy(LeaseBody),
}

/// Take the warehouse's lease for `writer` and renew it every third of `ttl_micros`. `run` is
/// cancelled when the lease is lost to another holder, or when renewals keep failing and only one
/// renewal interval of it is left: the writer stops while the lease still holds, so no second
/// writer can start beside it.
pub async fn hold(
    wh: &Warehouse,
    writer: &str,
    holder: &str,
    ttl_micros: i64,
    run: CancellationToken,
) -> Result<Hold, StoreError> {
    let mut lease = match acquire(wh, writer, holder, now_micros(), ttl_micros).await? {
        Acquired::Held(other) => return Ok(Hold::Busy(other)),
        Acquired::Taken(lease) => lease,
    };
    let body = lease.body.clone();
    let stop = CancellationToken::new();
    let every_micros = (ttl_micros / 3).max(1_000);
    let every = Duration::from_micros(every_micros as u64);
    let renewer = {
        let (wh, stop) = (wh.clone(), stop.clone());
        tokio::spawn(async move {
            let mut wait = every;
            loop {
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = tokio::time::sleep(wait) => {}
                }
                match lease.renew(&wh, now_micros(), ttl_micros).await {
                    Ok(true) => wait = every,
                    Ok(false) => {
                        eprintln!(
                            "gongkai: the warehouse lease of {} was lost to another holder; stopping",
                            lease.body.writer
                        );
                        run.cancel();
                        break;
                    }
                    Err(e) if lease.body.expires - now_micros() <= every_micros => {
                        eprintln!(
                            "gongkai: cannot renew the warehouse lease of {} ({e}); stopping before it lapses",
                            lease.body.writer
                        );
                        run.cancel();
                        break;
                    }
                    Err(e) => {
                        eprintln!("gongkai: renewing the warehouse lease of {}: {e}; trying again", lease.body.writer);
                        wait = every / 4;
                    }
                }
            }
            lease
        })
    };
    Ok(Hold::Holding(Holding { stop, renewer, body }))
}

impl Holding {
    /// Stop renewing and give the lease up (only if still ours).
    pub async fn release(self, wh: &Warehouse) -> Result<(), StoreError> {
        self.stop.cancel();
        match self.renewer.await {
            Ok(lease) => lease.release(wh).await,
            Err(e) => Err(StoreError::Object {
                path: LEASE_FILE.into(),
                source: object_store::Error::Generic { store: "lease", source: format!("renewal task: {e}").into() },
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_lease_that_cannot_be_renewed_stops_the_writer_before_it_lapses() {
        let dir = tempfile::tempdir().unwrap();
        let wh = Warehouse::open(&dir.path().display().to_string(), &[]).unwrap();
        let run = CancellationToken::new();
        let ttl = 600_000;
        let Hold::Holding(holding) = hold(&wh, "ingest", "here/1/run", ttl, run.clone()).await.unwrap() else {
            panic!("a free lease is taken")
        };
        // The lease folder becomes a file: every renewal fails (not a directory) from now on.
        let folder = dir.path().join(LEASE_FILE).parent().unwrap().to_path_buf();
        std::fs::remove_dir_all(&folder).unwrap();
        std::fs::write(&folder, b"").unwrap();
        run.cancelled().await;
        assert!(now_micros() < holding.body.expires, "cancelled while the lease still held");
        assert!(holding.release(&wh).await.is_err(), "the broken lease object is reported");
    }

    #[tokio::test]
    async fn one_lease_for_every_writer_of_a_warehouse() {
        let wh = Warehouse::open("memory://", &[]).unwrap();
        let run = CancellationToken::new();
        let Hold::Holding(a) = hold(&wh, "monthly", "a", 60_000_000, run.clone()).await.unwrap() else { panic!() };
        match hold(&wh, "ingest", "b", 60_000_000, run.clone()).await.unwrap() {
            Hold::Busy(other) => assert_eq!((other.writer.as_str(), other.holder.as_str()), ("monthly", "a")),
            Hold::Holding(_) => panic!("a second writer got the lease"),
        }
        a.release(&wh).await.unwrap();
        assert_eq!(current(&wh).await.unwrap(), None);
        assert!(!run.is_cancelled());
    }
}
