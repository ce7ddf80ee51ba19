//! Who may log in to the PostgreSQL server and the dashboard: users with SCRAM-SHA-256 secrets, from a users file
//! (`--users FILE`, entries printed by `gongkai serve hash-password`) or from one name and password
//! given in the environment. There is no built-in user: an empty list is an error at start-up.

use std::collections::BTreeMap;
use std::path::Path;

use async_trait::async_trait;
use pgwire::api::auth::sasl::scram::gen_salted_password;
use pgwire::api::auth::{AuthSource, LoginInfo, Password};
use pgwire::error::PgWireResult;

/// PBKDF2 rounds of every secret (PostgreSQL's default for SCRAM-SHA-256). One number for all
/// users, since the SCRAM exchange announces it before the server knows whose secret it reads.
pub const ITERATIONS: usize = 4096;

const PREFIX: &str = "scram-sha-256";

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("{path}: cannot read the users file: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error(
        "no user to log in (PostgreSQL and dashboard): set GONGKAI_PG_USER and GONGKAI_PG_PASSWORD, or give --users FILE with \
         [[user]] entries (name and the hash that `gongkai serve hash-password` prints)"
    )]
    NoUser,
    #[error("GONGKAI_PG_USER and GONGKAI_PG_PASSWORD: give both or neither")]
    HalfUser,
    #[error("user {0}: an empty password is not allowed")]
    EmptyPassword(String),
}

/// A user's SCRAM secret: the salt and the salted password (PBKDF2-HMAC-SHA-256 over
/// [`ITERATIONS`] rounds). Anyone holding it can log in as the user, so a users file is kept like
/// a password file; it does not give away the password itself.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    salt: Vec<u8>,
    salted: Vec<u8>,
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(hidden)")
    }
}

impl Secret {
    /// A secret for `password` with a fresh random salt.
    pub fn new(password: &str) -> Secret {
        let salt: [u8; 16] = rand::random();
        Secret { salted: gen_salted_password(password, &salt, ITERATIONS), salt: salt.to_vec() }
    }

    /// `scram-sha-256$ITERATIONS$SALT$SALTED` (hex): the form of the users file.
    pub fn encode(&self) -> String {
        format!("{PREFIX}${ITERATIONS}${}${}", hex::encode(&self.salt), hex::encode(&self.salted))
    }

    pub fn decode(text: &str) -> Result<Secret, String> {
        let parts: Vec<&str> = text.trim().split('$').collect();
        let [prefix, rounds, salt, salted] = parts[..] else {
            return Err("expected scram-sha-256$4096$SALT$HASH, as `gongkai serve hash-password` prints".into());
        };
        if prefix != PREFIX {
            return Err(format!("unknown hash scheme {prefix:?} (expected {PREFIX})"));
        }
        if rounds != ITERATIONS.to_string() {
            return Err(format!("{rounds} rounds: gongkai's hashes use {ITERATIONS}"));
        }
        let salt = hex::decode(salt).map_err(|e| format!("salt: {e}"))?;
        let salted = hex::decode(salted).map_err(|e| format!("hash: {e}"))?;
        if salt.len() < 8 || salted.len() != 32 {
            return Err("salt or hash of the wrong length".into());
        }
        Ok(Secret { salt, salted })
    }
}

/// The users who may log in, by name.
#[derive(Debug, Clone, Default)]
pub struct Users {
    users: BTreeMap<String, Secret>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct UsersFile {
    #[serde(default)]
    user: Vec<UserEntry>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct UserEntry {
    name: String,
    password: String,
}

impl Users {
    /// The users of `file` (if given) and the one of `env` (GONGKAI_PG_USER, GONGKAI_PG_PASSWORD);
    /// at least one, or an error that says how to add one.
    pub fn load(file: Option<&Path>, env: (Option<String>, Option<String>)) -> Result<Users, AuthError> {
        let mut users = Users::default();
        if let Some(path) = file {
            users = Users::parse(
                &path.display().to_string(),
                &std::fs::read_to_string(path)
                    .map_err(|source| AuthError::Io { path: path.display().to_string(), source })?,
            )?;
        }
        match env {
            (Some(name), Some(password)) if !name.is_empty() => {
                if password.is_empty() {
                    return Err(AuthError::EmptyPassword(name));
                }
                users.users.insert(name, Secret::new(&password));
            }
            (None, None) => {}
            (Some(name), None) if name.is_empty() => {}
            _ => return Err(AuthError::HalfUser),
        }
        if users.users.is_empty() {
            return Err(AuthError::NoUser);
        }
        Ok(users)
    }

    /// A users file: `[[user]]` tables of `name` and `password` (the encoded [`Secret`]).
    pub fn parse(path: &str, text: &str) -> Result<Users, AuthError> {
        let err = |message: String| AuthError::File { path: path.to_string(), message };
        let file: UsersFile = toml::from_str(text).map_err(|e| err(e.to_string().trim_end().to_string()))?;
        let mut users = BTreeMap::new();
        for entry in file.user {
            if entry.name.is_empty() {
                return Err(err("a user with an empty name".into()));
            }
            let secret = Secret::decode(&entry.password).map_err(|m| err(format!("user {}: {m}", entry.name)))?;
            if users.insert(entry.name.clone(), secret).is_some() {
                return Err(err(format!("user {} is listed twice", entry.name)));
            }
        }
        Ok(Users { users })
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.users.keys().map(String::as_str)
    }

    fn get(&self, name: &str) -> Option<&Secret> {
        self.users.get(name)
    }

    /// Whether `password` is user `name`'s (the dashboard's HTTP login). An unknown name costs the
    /// same work as a wrong password.
    pub fn verify(&self, name: &str, password: &str) -> bool {
        let decoy;
        let (secret, known) = match self.get(name) {
            Some(secret) => (secret, true),
            None => {
                decoy = Secret { salt: vec![0; 16], salted: vec![0; 32] };
                (&decoy, false)
            }
        };
        let salted = gen_salted_password(password, &secret.salt, ITERATIONS);
        // Compared in constant time: every byte is looked at whatever differs.
        let same = salted.len() == secret.salted.len()
            && salted.iter().zip(&secret.salted).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
        known && same
    }
}

/// The secrets as pgwire's SCRAM exchange reads them.
#[derive(Debug)]
pub struct ScramSource {
    users: Users,
    /// Stands in for users that do not exist, so that an unknown name fails the same way, and
    /// after the same work, as a wrong password.
    decoy: Secret,
}

impl ScramSource {
    pub fn new(users: Users) -> ScramSource {
        let random: [u8; 32] = rand::random();
        ScramSource { users, decoy: Secret::new(&hex::encode(random)) }
    }
}

#[async_trait]
impl AuthSource for ScramSource {
    async fn get_password(&self, login: &LoginInfo) -> PgWireResult<Password> {
        let secret = login.user().and_then(|name| self.users.get(name)).unwrap_or(&self.decoy);
        Ok(Password::new(Some(secret.salt.clone()), secret.salted.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_round_trip_and_differ_by_salt() {
        let a = Secret::new("pencil");
        assert_eq!(Secret::decode(&a.encode()).unwrap(), a);
        let b = Secret::new("pencil");
        assert_ne!(a.encode(), b.encode(), "each hash has its own salt");
        assert_eq!(b.salted, gen_salted_password("pencil", &b.salt, ITERATIONS));
        assert!(Secret::decode("md5$abc").is_err());
        assert!(Secret::decode(&a.encode().replace("$4096$", "$10$")).is_err());
    }

    #[test]
    fn users_file_and_environment() {
        let hash = Secret::new("pw").encode();
        let text = format!("[[user]]\nname = \"analyst\"\npassword = \"{hash}\"\n");
        let users = Users::parse("users.toml", &text).unwrap();
        assert_eq!(users.names().collect::<Vec<_>>(), ["analyst"]);
        let twice = format!("{text}{text}");
        assert!(Users::parse("users.toml", &twice).unwrap_err().to_string().contains("twice"));
        assert!(matches!(Users::load(None, (None, None)), Err(AuthError::NoUser)));
        assert!(matches!(Users::load(None, (Some("a".into()), None)), Err(AuthError::HalfUser)));
        assert!(matches!(Users::load(None, (Some("a".into()), Some(String::new()))), Err(AuthError::EmptyPassword(_))));
        let env = Users::load(None, (Some("bi".into()), Some("secret".into()))).unwrap();
        assert_eq!(env.names().collect::<Vec<_>>(), ["bi"]);
    }
}
