//! One run at a time per pipeline and warehouse, across machines: a lease object
//! `_leases/<pipeline>.json` (holder, expiry) in the warehouse's store.
//!
//! - **Take**: a create-if-absent put (`PutMode::Create`). When an object is there and its expiry
//!   has passed, it is taken over with a conditional update on the version read
//!   (`PutMode::Update`); stores without conditional update (the local disk) delete the expired
//!   lease and create a new one, which fails if another taker created it first.
//! - **Renew**: the holder rewrites the object with a later expiry (conditional update where
//!   supported, else after checking it still holds it).
//! - **Release**: the holder deletes it.
//!
//! Expiry compares wall clocks of different machines: keep `lease_seconds` well above any clock skew.
//! Residual race on stores without conditional update: two takers that both read the same expired
//! lease may both delete; the second delete can remove the first taker's new lease. The renewal of
//! the first taker then finds a foreign holder and cancels its run.

use bytes::Bytes;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion};
use serde::{Deserialize, Serialize};

use crate::store::{StoreError, Warehouse};

/// What the lease object holds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LeaseBody {
    pub pipeline: String,
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

/// The lease object of a pipeline, relative to the warehouse root.
pub fn lease_path(pipeline: &str) -> String {
    format!("_leases/{pipeline}.json")
}

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
                pipeline: String::new(),
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

/// The lease of `pipeline` as it stands (for `pipeline list` and tests).
pub async fn current(wh: &Warehouse, pipeline: &str) -> Result<Option<LeaseBody>, StoreError> {
    Ok(read(wh.store().as_ref(), &wh.path(&lease_path(pipeline))).await?.map(|(b, _)| b))
}

/// Try to take the lease of `pipeline` for `holder` until `now + ttl`.
pub async fn acquire(
    wh: &Warehouse,
    pipeline: &str,
    holder: &str,
    now: i64,
    ttl_micros: i64,
) -> Result<Acquired, StoreError> {
    let store = wh.store();
    let path = wh.path(&lease_path(pipeline));
    let body = LeaseBody { pipeline: pipeline.into(), holder: holder.into(), acquired: now, expires: now + ttl_micros };
    // Two rounds: the second after deleting an expired lease on stores without conditional update.
    for _ in 0..2 {
        match put(store.as_ref(), &path, &body, PutMode::Create).await {
            Ok(version) => return Ok(Acquired::Taken(Lease { path, body, version })),
            Err(object_store::Error::AlreadyExists { .. }) => {}
            Err(e) => return Err(err(&path)(e)),
        }
        let Some((old, version)) = read(store.as_ref(), &path).await? else { continue };
        if old.expires > now {
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
